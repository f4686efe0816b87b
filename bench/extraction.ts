import { loadSanitizeHtml } from '../functions/adapters/mime/sanitize-html-lib.ts';
import { type Contender, libraryContenders, postroom } from '../functions/cli/conformance/reply-contenders.ts';
import { checkReplies, type ContenderScore } from '../functions/cli/conformance/replies.ts';
import { type ReplySuite, readReplySuites } from '../functions/cli/conformance/reply-suites.ts';
import { median, quantile } from './stats.ts';

/** One contender on a set of messages: time per message, µs (each message's median over the rounds). */
export interface ExtractionTimes {
  readonly medianUs: number;
  readonly p99Us: number;
  /** The same two as ratios to Postroom's on the same messages. */
  readonly medianRatio: number;
  readonly p99Ratio: number;
  /** Conformance's accuracy on the suite (`checkReplies`): the same figures as `npm run conformance`. */
  readonly score: ContenderScore | null;
}

export interface ExtractionSuite {
  /** A suite of `test/fixtures/reply`, or `all` for every message of every suite. */
  readonly suite: string;
  readonly cases: number;
  /** By contender name; a library that is not installed is absent. */
  readonly byContender: Readonly<Record<string, ExtractionTimes>>;
}

export interface ExtractionResult {
  readonly rounds: number;
  readonly contenders: readonly string[];
  readonly suites: readonly ExtractionSuite[];
}

/**
 * Median and p99 over the messages of each contender's per-message times, and both as ratios to
 * Postroom's. `times[contender][message]` holds one time per round; a message's time is their median.
 */
export function summarize(
  times: Readonly<Record<string, readonly (readonly number[])[]>>,
  scores: Readonly<Record<string, ContenderScore>> = {},
): Record<string, ExtractionTimes> {
  const perMessage = Object.fromEntries(Object.entries(times).map(([name, messages]) => [name, messages.map((rounds) => median(rounds) * 1000)]));
  const base = perMessage[postroom.name] ?? [];
  const baseMedian = median(base);
  const baseP99 = quantile(base, 0.99);
  return Object.fromEntries(
    Object.entries(perMessage).map(([name, us]) => {
      const medianUs = median(us);
      const p99Us = quantile(us, 0.99);
      return [name, { medianUs, p99Us, medianRatio: medianUs / baseMedian, p99Ratio: p99Us / baseP99, score: scores[name] ?? null }];
    }),
  );
}

/** Runs one contender on one message as conformance does: a parser that throws has answered wrongly, not stopped the run. */
function timeOne(contender: Contender, c: ReplySuite['cases'][number]): number {
  const started = performance.now();
  try {
    contender.parse(c);
  } catch {
    // timed all the same: conformance counts the case as wrong
  }
  return performance.now() - started;
}

export interface ExtractionOptions {
  readonly quick: boolean;
  /** Timed rounds at the least (default 9; 3 with `quick`). */
  readonly minRounds?: number;
  /** More rounds run while this budget lasts, ms (default 2,500; 500 with `quick`). */
  readonly budgetMs?: number;
}

/**
 * Reply extraction per message for Postroom and the kept libraries (planer, email-reply-parser)
 * on conformance's reply suites, with conformance's accuracy beside each. The contenders run as
 * conformance runs them (`reply-contenders.ts`); `.eml` cases are parsed once beforehand, so
 * only the extraction is timed. Interleaved message by message, the contenders' order rotating,
 * so drift in CPU speed or GC pressure hits all of them alike.
 */
export async function measureExtraction(options: ExtractionOptions): Promise<ExtractionResult> {
  await loadSanitizeHtml();
  const [suites, accuracy, libraries] = await Promise.all([readReplySuites(), checkReplies(), libraryContenders()]);
  const contenders = [postroom, ...(libraries ?? [])];
  // One time per round, by suite, contender and message.
  const timed = suites.map((suite) => ({ suite, times: contenders.map(() => suite.cases.map((): number[] => [])) }));
  const warmup = 1;
  const minRounds = options.minRounds ?? (options.quick ? 3 : 9);
  const budgetMs = options.budgetMs ?? (options.quick ? 500 : 2500);
  const started = performance.now();
  let round = 0;
  for (; round < warmup + minRounds || (performance.now() - started < budgetMs && round < 200); round++) {
    for (const { suite, times } of timed) {
      suite.cases.forEach((c, i) => {
        contenders.forEach((_, k) => {
          const at = (k + round + i) % contenders.length;
          const ms = timeOne(contenders[at] ?? postroom, c);
          if (round >= warmup) times[at]?.[i]?.push(ms);
        });
      });
    }
  }
  const byName = (times: readonly (readonly number[][])[]) => Object.fromEntries(contenders.map((c, k) => [c.name, times[k] ?? []]));
  const rows: ExtractionSuite[] = timed.map(({ suite, times }) => ({
    suite: suite.id,
    cases: suite.cases.length,
    byContender: summarize(byName(times), accuracy.suites.find((a) => a.suite === suite.id)?.scores),
  }));
  const all = contenders.map((_, k) => timed.flatMap(({ times }) => times[k] ?? []));
  rows.push({ suite: 'all', cases: suites.reduce((sum, suite) => sum + suite.cases.length, 0), byContender: summarize(byName(all), accuracy.overall) });
  return { rounds: round - warmup, contenders: contenders.map((c) => c.name), suites: rows };
}
