import type { DeliveryFeedback } from '../../model/delivery-feedback.ts';
import type { FeedbackRecord } from '../../model/feedback-record.ts';
import type { ProcessingLedger } from '../../ports/processing-ledger.ts';
import { processOnce } from '../../processing/process-once.ts';
import { applyFeedback, type ApplyFeedbackDeps, type ApplyFeedbackOptions, type FeedbackOutcome } from './apply-feedback.ts';

export interface ProcessFeedbackDeps extends ApplyFeedbackDeps {
  readonly ledger: ProcessingLedger<FeedbackRecord>;
  /** How long one attempt owns a record; longer than the function timeout. */
  readonly leaseMs: number;
}

/** What became of one report: applied now (with what changed), done before (a duplicate), or failed for good. */
export type ProcessedFeedback =
  | { readonly kind: 'processed'; readonly record: FeedbackRecord; readonly outcome: FeedbackOutcome }
  | { readonly kind: 'duplicate'; readonly record: FeedbackRecord }
  | { readonly kind: 'failed'; readonly record: FeedbackRecord };

/**
 * Applies a delivery report at most once per report key (`processOnce`): SNS and SQS deliver at
 * least once and SES may publish an event twice, so metrics count each report once. Retryable
 * errors (a message not stored yet, a busy write) are thrown for the queue to retry.
 */
export async function processFeedback(deps: ProcessFeedbackDeps, feedback: DeliveryFeedback, options: ApplyFeedbackOptions = {}): Promise<ProcessedFeedback> {
  const fresh: FeedbackRecord = {
    key: feedback.key,
    kind: feedback.kind,
    state: 'received',
    messageId: null,
    conversationId: null,
    suppressed: [],
    note: null,
    leaseUntil: null,
    attempts: 0,
    error: null,
    updatedAt: deps.clock.now().toISOString(),
  };
  let outcome: FeedbackOutcome | null = null;
  const result = await processOnce(deps, fresh, async (record): Promise<FeedbackRecord> => {
    const applied = await applyFeedback(deps, feedback, options);
    outcome = applied;
    if (applied.kind === 'unknown-message') return { ...record, state: 'ignored', note: applied.reason };
    return {
      ...record,
      state: applied.kind,
      messageId: applied.messageId,
      conversationId: applied.conversationId,
      suppressed: applied.suppressed.map((s) => s.address),
      note: applied.unmatched.length > 0 ? `not recipients: ${applied.unmatched.join(', ').slice(0, 300)}` : null,
    };
  });
  if (result.kind === 'done') return { kind: 'duplicate', record: result.record };
  if (result.kind === 'failed' || outcome === null) return { kind: 'failed', record: result.record };
  return { kind: 'processed', record: result.record, outcome };
}
