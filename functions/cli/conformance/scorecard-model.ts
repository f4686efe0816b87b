import type { RecipientCheck } from './bounces.ts';
import type { LaneResult, LaneScore } from './lanes.ts';
import type { FieldCheck } from './parsing.ts';
import type { ReplyScores } from './replies.ts';
import type { ThreadCheck } from './threads.ts';

/** What the conformance run reports: the shapes shared by the run, the thresholds and the printed scorecard. */

export interface Threshold {
  readonly name: string;
  readonly value: number;
  readonly min: number;
  readonly passed: boolean;
}

export interface Agreement<T> {
  readonly agree: number;
  readonly total: number;
  readonly rate: number;
  readonly misses: readonly T[];
}

export interface Scorecard {
  readonly corpus: string;
  readonly files: number;
  readonly elapsedMs: number;
  readonly parseErrors: readonly { file: string; error: string }[];
  readonly lanes: { readonly scores: readonly LaneScore[]; readonly misses: readonly LaneResult[]; readonly notes: readonly { file: string; note: string }[] };
  readonly bounces: { readonly sisimai: Agreement<RecipientCheck>; readonly bounceparser: Agreement<RecipientCheck>; readonly combined: number };
  readonly parsing: Readonly<Record<FieldCheck['field'], Agreement<FieldCheck>>>;
  readonly threads: Agreement<ThreadCheck> & { readonly agreeAsLabelled: number };
  /** Reply extraction, side by side with the kept reply-parsing libraries (committed fixtures). */
  readonly replies: ReplyScores;
  readonly thresholds: readonly Threshold[];
}
