import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { IndexEntry } from '../../../functions/cli/conformance/corpus.ts';
import { expectedLane, scoreLanes, scoredLane } from '../../../functions/cli/conformance/lanes.ts';
import { evaluateThresholds } from '../../../functions/cli/conformance/thresholds.ts';

const entry = (file: string, category: string): IndexEntry => ({ source: 'x', file, category, thread: '', labelStatus: 'stated' });

describe('conformance lane scoring', () => {
  it('maps corpus categories to lanes, and applies a label note with its reason', () => {
    expect(expectedLane(entry('a.eml', 'challenge-response'))).toEqual({ lane: 'auto-reply', note: null });
    expect(expectedLane(entry('a.eml', 'spam'))).toEqual({ lane: null, note: null });
    expect(expectedLane(entry('zammad/mail/mail078.box', 'bounce'))).toMatchObject({ lane: 'delay', note: expect.stringContaining('RFC 3464') });
  });

  it('refuses a category it has no mapping for, instead of scoring it as anything', () => {
    expect(() => expectedLane(entry('a.eml', 'something-new'))).toThrow(/no lane mapping/);
  });

  it('counts out-of-office as auto-reply, since the labels do not tell them apart', () => {
    expect(scoredLane('out-of-office')).toBe('auto-reply');
  });

  it('computes precision and recall per lane', () => {
    const scores = scoreLanes([
      { file: '1', expected: 'bounce', actual: 'bounce' },
      { file: '2', expected: 'bounce', actual: 'human' },
      { file: '3', expected: 'human', actual: 'human' },
    ]);
    expect(scores.find((s) => s.lane === 'bounce')).toMatchObject({ precision: 1, recall: 0.5 });
    expect(scores.find((s) => s.lane === 'human')).toMatchObject({ precision: 0.5, recall: 1 });
  });

  it('fails the bar when a bounce is missed or a human mail is called automatic', () => {
    // Arrange
    const card = {
      corpus: '',
      files: 2,
      parseErrors: [],
      lanes: { scores: scoreLanes([{ file: '1', expected: 'human', actual: 'auto-reply' }]), misses: [], notes: [] },
      bounces: { sisimai: { agree: 1, total: 1, rate: 1, misses: [] }, bounceparser: { agree: 1, total: 1, rate: 1, misses: [] }, combined: 1 },
      parsing: {
        subject: { agree: 1, total: 1, rate: 1, misses: [] },
        from: { agree: 1, total: 1, rate: 1, misses: [] },
        attachments: { agree: 1, total: 1, rate: 1, misses: [] },
      },
      threads: { agree: 1, total: 1, rate: 1, misses: [], agreeAsLabelled: 1 },
      replies: replyScores(1, 1),
    };

    // Act
    const failed = evaluateThresholds(card)
      .filter((t) => !t.passed)
      .map((t) => t.name);

    // Assert
    expect(failed).toContain('no human mail called automatic (human recall)');
    expect(failed).not.toContain('reply text at least the better library per suite');
  });

  it('fails the reply bar when a library beats postroom on a suite', () => {
    // Arrange
    const card = { ...perfectCard(), replies: replyScores(0.96, 0.98) };

    // Act
    const failed = evaluateThresholds(card)
      .filter((t) => !t.passed)
      .map((t) => t.name);

    // Assert
    expect(failed).toContain('reply text at least the better library per suite');
  });
});

function replyScores(postroomRate: number, libraryRate: number) {
  const score = (rate: number) => ({ right: rate * 100, total: 100, rate });
  const scores = { postroom: score(postroomRate), planer: score(libraryRate), 'email-reply-parser': score(0.5) };
  const suite = (id: string) => ({ suite: id, compare: 'visible' as const, cases: 100, scores });
  return {
    contenders: ['postroom', 'planer', 'email-reply-parser'],
    suites: ['talon', 'planer', 'email-reply-parser', 'postroom'].map(suite),
    overall: scores,
    misses: [],
  };
}

function perfectCard() {
  const all = { agree: 1, total: 1, rate: 1, misses: [] };
  return {
    corpus: '',
    files: 1,
    parseErrors: [],
    lanes: {
      scores: scoreLanes([
        { file: '1', expected: 'human', actual: 'human' },
        { file: '2', expected: 'bounce', actual: 'bounce' },
      ]),
      misses: [],
      notes: [],
    },
    bounces: { sisimai: all, bounceparser: all, combined: 1 },
    parsing: { subject: all, from: all, attachments: all },
    threads: { ...all, agreeAsLabelled: 1 },
  };
}

describe('npm run conformance without the corpus', () => {
  it('skips with a clear message and exit code 0', async () => {
    const { stdout } = await promisify(execFile)('node', ['cli/postroom.js', 'conformance', '--corpus', '/nonexistent/corpus'], {
      cwd: join(import.meta.dirname, '../../..'),
    });
    expect(stdout).toMatch(/conformance: skipped: no corpus at \/nonexistent\/corpus/);
  });
});
