import { describe, expect, it } from 'vitest';
import { createProgress, type ImportOutcome, type ProgressOptions } from '../../../functions/cli/progress.ts';

/** A stream that records what is written, and a clock the test moves. */
function harness(options: { tty: boolean; columns?: number } & Omit<ProgressOptions, 'stream' | 'now' | 'label'>) {
  const writes: string[] = [];
  const clock = { ms: 0 };
  const stream = { isTTY: options.tty, columns: options.columns, write: (text: string) => writes.push(text) };
  const progress = createProgress({ ...options, label: 'import', stream, now: () => clock.ms });
  return { writes, clock, progress };
}

/** Ticks `count` times, `stepMs` apart, the outcome of each chosen by its number. */
function run(h: ReturnType<typeof harness>, count: number, stepMs: number, outcome: (n: number) => ImportOutcome = () => 'imported'): void {
  for (let n = 0; n < count; n++) {
    h.clock.ms += stepMs;
    h.progress.tick(outcome(n));
  }
}

describe('the progress line on a terminal', () => {
  it('shows bar, counts, percentage, windowed rate, ETA and outcomes', () => {
    // Arrange: 100 messages a second
    const h = harness({ tty: true, total: 10_000, redrawMs: 0 });
    const outcome = (n: number): ImportOutcome => (n % 41 === 40 ? 'failed' : n % 10 === 9 ? 'duplicate' : 'imported');

    // Act
    run(h, 1234, 10, outcome);

    // Assert: 8,766 left at 100/s is 87.66 s
    expect(h.writes.at(-1)).toBe('\rimport [##------------------] 1234/10000 12.3% 100/s ETA 1:28 (imported 1084, duplicates 120, failed 30)');
  });

  it('redraws one line in place, at most ten times a second', () => {
    // Arrange
    const h = harness({ tty: true, total: 1000 });

    // Act: 1,000 messages in one second
    run(h, 1000, 1);

    // Assert
    expect(h.writes.length).toBeGreaterThanOrEqual(10);
    expect(h.writes.length).toBeLessThanOrEqual(11);
    expect(h.writes.every((w) => w.startsWith('\r') && !w.includes('\n'))).toBe(true);
  });

  it('takes the rate from the recent past, not the whole run', () => {
    // Arrange: 100/s for 20 s, then 10/s
    const h = harness({ tty: true, total: 10_000 });
    run(h, 2000, 10);

    // Act
    run(h, 200, 100);

    // Assert: the average since the start is 55/s
    expect(h.writes.at(-1)).toMatch(/ 10\/s ETA 13:00 /);
  });

  it('shows no rate in the first second, and hours in a long ETA', () => {
    const h = harness({ tty: true, total: 1_000_000, redrawMs: 0 });
    run(h, 1, 500);
    expect(h.writes.at(-1)).toContain(' 1/1000000 0.0% -/s ETA -:-- ');
    run(h, 9, 500);
    // 10 messages in 5 s: 2/s for the 999,990 left
    expect(h.writes.at(-1)).toContain(' 2.0/s ETA 138:53:15 ');
  });

  it('pads over what is left of a longer line before', () => {
    // Arrange: 1000/s (drawn last at 1901, ten times a second), then a pause
    const h = harness({ tty: true });
    run(h, 2000, 1);

    // Act
    run(h, 1, 10_000);

    // Assert
    expect(h.writes.at(-2)).toBe('\rimport 1901 1000/s (imported 1901, duplicates 0, failed 0)');
    expect(h.writes.at(-1)).toBe('\rimport 2001 0.1/s (imported 2001, duplicates 0, failed 0) ');
  });

  it('cuts a line wider than the terminal, which would wrap and break the redraw', () => {
    const h = harness({ tty: true, columns: 40, total: 100 });
    run(h, 1, 1);
    expect(h.writes[0]).toBe(`\r${'import [--------------------] 1/100 1.0% -/s'.slice(0, 39)}`);
  });

  it('ends with a summary line and the counts', () => {
    // Arrange
    const h = harness({ tty: true, total: 4 });
    run(h, 4, 500, (n) => (['imported', 'duplicate', 'failed', 'imported'] as const)[n]!);

    // Act
    const summary = h.progress.done();
    const again = h.progress.done();
    h.progress.tick('imported');

    // Assert
    // (padded by one over the last line's `ETA 0:00`)
    expect(h.writes.at(-1)).toBe('\rimport [####################] 4/4 100.0% in 0:02 2.0/s (imported 2, duplicates 1, failed 1) \n');
    expect(summary).toEqual({ processed: 4, imported: 2, duplicates: 1, failed: 1, elapsedMs: 2000, perSecond: 2 });
    expect(again).toBe(summary);
    expect(h.writes.filter((w) => w.endsWith('\n'))).toHaveLength(1);
  });
});

describe('the progress line in a log', () => {
  it('writes a line at every tenth of the total', () => {
    // Arrange
    const h = harness({ tty: false, total: 1000 });

    // Act: faster than the time between log lines
    run(h, 1000, 1);
    h.progress.done();

    // Assert
    expect(h.writes.map((w) => w.split(' ')[2])).toEqual([
      '100/1000',
      '200/1000',
      '300/1000',
      '400/1000',
      '500/1000',
      '600/1000',
      '700/1000',
      '800/1000',
      '900/1000',
      '1000/1000',
    ]);
    expect(h.writes.every((w) => w.endsWith('\n') && !w.includes('\r'))).toBe(true);
  });

  it('writes a line every ten seconds when there is no total', () => {
    // Arrange
    const h = harness({ tty: false });

    // Act
    run(h, 35, 1000, () => 'duplicate');
    h.progress.done();

    // Assert
    expect(h.writes).toEqual([
      'import 10 1.0/s (imported 0, duplicates 10, failed 0)\n',
      'import 20 1.0/s (imported 0, duplicates 20, failed 0)\n',
      'import 30 1.0/s (imported 0, duplicates 30, failed 0)\n',
      'import 35 in 0:35 1.0/s (imported 0, duplicates 35, failed 0)\n',
    ]);
  });

  it('writes the summary even when nothing was imported', () => {
    const h = harness({ tty: false, total: 0 });
    expect(h.progress.done()).toEqual({ processed: 0, imported: 0, duplicates: 0, failed: 0, elapsedMs: 0, perSecond: 0 });
    expect(h.writes).toEqual(['import 0 in 0:00 -/s (imported 0, duplicates 0, failed 0)\n']);
  });
});
