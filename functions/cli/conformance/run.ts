import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MailparserMimeParser } from '../../adapters/mailparser-mime-parser.ts';
import { classify } from '../../core/inbound/classify.ts';
import type { Classification } from '../../core/model/classification.ts';
import type { ParsedMessage } from '../../core/model/message.ts';
import { checkBounceparser, checkSisimai } from './bounces.ts';
import { readIndex } from './corpus.ts';
import { expectedLane, type LaneResult, scoredLane, scoreLanes } from './lanes.ts';
import { type FieldCheck, checkZammad } from './parsing.ts';
import { checkReplies } from './replies.ts';
import { checkThreads } from './threads.ts';
import { evaluateThresholds } from './thresholds.ts';

import type { Agreement, Scorecard } from './scorecard-model.ts';

export type { Agreement, Scorecard };

export function agreement<T extends { agrees: boolean }>(checks: readonly T[]): Agreement<T> {
  const agree = checks.filter((c) => c.agrees).length;
  return { agree, total: checks.length, rate: checks.length === 0 ? 1 : agree / checks.length, misses: checks.filter((c) => !c.agrees) };
}

/** Runs the core over the whole corpus and scores it against every label table. */
export async function runConformance(dir: string): Promise<Scorecard> {
  const started = performance.now();
  const entries = await readIndex(dir);
  const parser = new MailparserMimeParser();
  const parsed = new Map<string, ParsedMessage>();
  const classified = new Map<string, Classification>();
  const parseErrors: { file: string; error: string }[] = [];
  for (const entry of entries) {
    try {
      const message = await parser.parse(await readFile(join(dir, entry.file)));
      parsed.set(entry.file, message);
      classified.set(entry.file, classify(message));
    } catch (error) {
      parseErrors.push({ file: entry.file, error: (error as Error).message });
    }
  }

  const laneResults: LaneResult[] = [];
  const notes: { file: string; note: string }[] = [];
  for (const entry of entries) {
    const { lane, note } = expectedLane(entry);
    if (note) notes.push({ file: entry.file, note });
    const actual = classified.get(entry.file);
    if (lane === null) continue;
    laneResults.push({ file: entry.file, expected: lane, actual: actual ? scoredLane(actual.lane) : 'human' });
  }

  const reportOf = (file: string) => classified.get(file)?.deliveryReport ?? null;
  const sisimai = agreement(await checkSisimai(dir, reportOf));
  const bounceparser = agreement(await checkBounceparser(dir, reportOf));
  const zammad = await checkZammad(dir, (file) => parsed.get(file) ?? null);
  const byField = (field: FieldCheck['field']) => agreement(zammad.filter((c) => c.field === field));
  const threadChecks = await checkThreads(entries, parsed);
  const threads = { ...agreement(threadChecks), agreeAsLabelled: threadChecks.filter((c) => c.agreesAsLabelled).length };

  const card = {
    corpus: dir,
    files: entries.length,
    parseErrors,
    lanes: { scores: scoreLanes(laneResults), misses: laneResults.filter((r) => r.expected !== r.actual), notes },
    bounces: {
      sisimai,
      bounceparser,
      combined: (sisimai.agree + bounceparser.agree) / Math.max(1, sisimai.total + bounceparser.total),
    },
    parsing: { subject: byField('subject'), from: byField('from'), attachments: byField('attachments') },
    threads,
    replies: await checkReplies(),
  };
  return { ...card, thresholds: evaluateThresholds(card), elapsedMs: Math.round(performance.now() - started) };
}
