import { describe, expect, it } from 'vitest';
import { type ExtractionResult, measureExtraction, summarize } from '../../../bench/extraction.ts';
import { extractionLines } from '../../../bench/report.ts';
import { checkReplies } from '../../../functions/cli/conformance/replies.ts';

const score = (right: number, total: number) => ({ right, total, rate: right / total });

describe('reply extraction summary', () => {
  it("takes each message's median over the rounds, then the median and p99 over the messages, and both as ratios to Postroom", () => {
    // Arrange: three messages, three rounds each (ms); planer twice Postroom's median, four times its slowest.
    const times = {
      postroom: [
        [0.01, 0.03, 0.02],
        [0.04, 0.04, 0.09],
        [0.1, 0.5, 0.2],
      ],
      planer: [
        [0.04, 0.04, 0.04],
        [0.08, 0.07, 0.09],
        [0.9, 0.8, 0.7],
      ],
    };

    // Act
    const summary = summarize(times, { planer: score(1, 3) });

    // Assert
    expect(summary.postroom).toEqual({ medianUs: 40, p99Us: 200, medianRatio: 1, p99Ratio: 1, score: null });
    expect(summary.planer?.medianUs).toBeCloseTo(80);
    expect(summary.planer?.p99Us).toBeCloseTo(800);
    expect(summary.planer?.medianRatio).toBeCloseTo(2);
    expect(summary.planer?.p99Ratio).toBeCloseTo(4);
    expect(summary.planer?.score).toEqual(score(1, 3));
  });
});

describe('reply extraction lines', () => {
  const timesOf = (medianUs: number, p99Us: number, medianRatio: number, p99Ratio: number, right: number) => ({
    medianUs,
    p99Us,
    medianRatio,
    p99Ratio,
    score: score(right, 55),
  });

  it('prints a row per suite and contender, the suite named once, with ratios and conformance accuracy', () => {
    // Arrange
    const result: ExtractionResult = {
      rounds: 9,
      contenders: ['postroom', 'planer', 'email-reply-parser'],
      suites: [
        {
          suite: 'talon',
          cases: 55,
          byContender: {
            postroom: timesOf(13.44, 47.3, 1, 1, 54),
            planer: timesOf(13.0, 70.9, 0.967, 1.499, 52),
            'email-reply-parser': timesOf(69.3, 407.3, 5.156, 8.611, 32),
          },
        },
      ],
    };

    // Act
    const lines = extractionLines(result).join('\n');

    // Assert
    expect(lines).toContain("each message's median of 9 rounds");
    expect(lines).toMatch(/talon\s+55\s+postroom\s+13\.4\s+47\.3\s+1\.00\s+1\.00\s+54\/55 98\.2%\n/);
    expect(lines).toMatch(/\n\s+planer\s+13\.0\s+70\.9\s+0\.97\s+1\.50\s+52\/55 94\.5%\n/);
    expect(lines).toMatch(/\n\s+email-reply-parser\s+69\.3\s+407\.3\s+5\.16\s+8\.61\s+32\/55 58\.2%\n/);
    expect(lines).not.toContain('not installed');
  });

  it('says so when the libraries are not installed', () => {
    // Arrange
    const only = { suite: 'all', cases: 55, byContender: { postroom: timesOf(20, 400, 1, 1, 54) } };
    const result: ExtractionResult = { rounds: 3, contenders: ['postroom'], suites: [only] };

    // Act
    const lines = extractionLines(result);

    // Assert
    expect(lines).toContain('  planer and email-reply-parser are not installed (devDependencies): Postroom alone');
  });
});

describe('reply extraction measurement', () => {
  it('times every contender on every suite, with the accuracy conformance prints', async () => {
    // Act
    const [result, conformance] = await Promise.all([measureExtraction({ quick: true, minRounds: 1, budgetMs: 0 }), checkReplies()]);

    // Assert
    expect(result.rounds).toBe(1);
    expect(result.contenders).toEqual(['postroom', 'planer', 'email-reply-parser']);
    expect(result.suites.map((s) => s.suite)).toEqual([...conformance.suites.map((s) => s.suite), 'all']);
    expect(result.suites.at(-1)?.cases).toBe(conformance.suites.reduce((sum, s) => sum + s.cases, 0));
    for (const suite of result.suites) {
      const scores = suite.suite === 'all' ? conformance.overall : conformance.suites.find((s) => s.suite === suite.suite)?.scores;
      for (const name of result.contenders) {
        const times = suite.byContender[name];
        expect(times?.medianUs).toBeGreaterThan(0);
        expect(times?.p99Us).toBeGreaterThanOrEqual(times?.medianUs ?? Number.POSITIVE_INFINITY);
        expect(times?.score).toEqual(scores?.[name]);
      }
      expect(suite.byContender.postroom?.medianRatio).toBe(1);
    }
  }, 30_000);
});
