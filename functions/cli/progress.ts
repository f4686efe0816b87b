/**
 * A progress line for long CLI runs (`postroom import`), written to stderr so that stdout stays
 * the command's JSON lines. On a terminal one line is redrawn in place; in a log (CI, a pipe) a
 * line is written now and then, so the log shows progress without one line per message.
 */

export type ImportOutcome = 'imported' | 'duplicate' | 'failed';

/** The part of a stream the bar writes to: `process.stderr` or a test's fake. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ProgressOptions {
  readonly label: string;
  /** Messages expected; without it the line shows counts and rate only. */
  readonly total?: number;
  /** @default process.stderr */
  readonly stream?: ProgressStream;
  /** Milliseconds from a monotonic clock. @default performance.now */
  readonly now?: () => number;
  /** Least time between two redraws on a terminal. @default 100 */
  readonly redrawMs?: number;
  /** Longest time between two lines in a log. @default 10_000 */
  readonly logEveryMs?: number;
  /** Span of the moving window the rate and ETA are taken over. @default 10_000 */
  readonly windowMs?: number;
}

export interface ProgressSummary {
  readonly processed: number;
  readonly imported: number;
  readonly duplicates: number;
  readonly failed: number;
  readonly elapsedMs: number;
  /** Messages per second over the whole run. */
  readonly perSecond: number;
}

export interface Progress {
  tick(outcome: ImportOutcome): void;
  /** Writes the final line and returns the counts; later calls return them again and write nothing. */
  done(): ProgressSummary;
}

const BAR_WIDTH = 20;
/** Samples kept in the rate window: enough for a smooth rate, few enough to cost nothing per tick. */
const WINDOW_SAMPLES = 20;
/** Until a second has passed the rate is noise (one message in 3 ms is not 333/s), so none is shown. */
const MIN_RATE_SPAN_MS = 1000;

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? (() => performance.now());
  const tty = stream.isTTY === true;
  const redrawMs = options.redrawMs ?? 100;
  const logEveryMs = options.logEveryMs ?? 10_000;
  const windowMs = options.windowMs ?? 10_000;
  const total = options.total !== undefined && options.total > 0 ? options.total : undefined;

  const started = now();
  const counts = { imported: 0, duplicates: 0, failed: 0 };
  let processed = 0;
  /** (time, processed) pairs, oldest first; the first is the window's base. */
  const samples: Array<[number, number]> = [[started, 0]];
  let lastDraw = Number.NEGATIVE_INFINITY;
  let lastLog = started;
  let lastTenth = 0;
  let drawnWidth = 0;
  let summary: ProgressSummary | undefined;

  function sample(at: number): void {
    const newest = samples[samples.length - 1];
    if (newest !== undefined && at - newest[0] >= windowMs / WINDOW_SAMPLES) samples.push([at, processed]);
    // Keep one sample at or before the window's start as the base the rate is measured from.
    while (samples.length > 2 && (samples[1]?.[0] ?? at) <= at - windowMs) samples.shift();
  }

  function rate(at: number): number | undefined {
    const base = samples[0];
    if (base === undefined || at - base[0] < MIN_RATE_SPAN_MS) return undefined;
    return ((processed - base[1]) * 1000) / (at - base[0]);
  }

  function line(at: number, final: boolean): string {
    const parts = [options.label];
    if (total !== undefined) {
      const filled = Math.min(BAR_WIDTH, Math.floor((processed / total) * BAR_WIDTH));
      parts.push(
        `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`,
        `${processed}/${total}`,
        `${Math.min(100, (processed / total) * 100).toFixed(1)}%`,
      );
    } else {
      parts.push(`${processed}`);
    }
    if (final) {
      const elapsed = at - started;
      parts.push(`in ${clock(elapsed)}`, perSecond(elapsed > 0 ? (processed * 1000) / elapsed : undefined));
    } else {
      const perSec = rate(at);
      parts.push(perSecond(perSec));
      if (total !== undefined) parts.push(`ETA ${processed >= total ? clock(0) : perSec ? clock(((total - processed) / perSec) * 1000) : '-:--'}`);
    }
    parts.push(`(imported ${counts.imported}, duplicates ${counts.duplicates}, failed ${counts.failed})`);
    return parts.join(' ');
  }

  function draw(at: number, final: boolean): void {
    let text = line(at, final);
    if (!tty) {
      stream.write(`${text}\n`);
      return;
    }
    // A line wider than the terminal wraps, and `\r` would then redraw only its last row.
    if (stream.columns !== undefined && stream.columns > 1 && text.length >= stream.columns) text = text.slice(0, stream.columns - 1);
    // Pad over what is left of a longer previous line.
    stream.write(`\r${text.padEnd(drawnWidth)}${final ? '\n' : ''}`);
    drawnWidth = text.length;
  }

  return {
    tick(outcome) {
      if (summary !== undefined) return;
      processed += 1;
      if (outcome === 'imported') counts.imported += 1;
      else if (outcome === 'duplicate') counts.duplicates += 1;
      else counts.failed += 1;
      const at = now();
      sample(at);
      if (tty) {
        if (at - lastDraw < redrawMs) return;
        lastDraw = at;
        draw(at, false);
        return;
      }
      const tenth = total !== undefined ? Math.floor((processed / total) * 10) : 0;
      if (at - lastLog >= logEveryMs || (tenth > lastTenth && processed < (total ?? 0))) {
        lastLog = at;
        lastTenth = tenth;
        draw(at, false);
      }
    },
    done() {
      if (summary !== undefined) return summary;
      const at = now();
      draw(at, true);
      const elapsedMs = at - started;
      summary = { processed, ...counts, elapsedMs, perSecond: elapsedMs > 0 ? (processed * 1000) / elapsedMs : 0 };
      return summary;
    },
  };
}

function perSecond(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '-/s';
  return value < 10 ? `${value.toFixed(1)}/s` : `${Math.round(value)}/s`;
}

/** `m:ss`, or `h:mm:ss` from an hour on. */
function clock(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
