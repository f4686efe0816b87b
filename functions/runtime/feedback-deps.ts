import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoOutboundMessages } from '../adapters/dynamo-outbound-messages.ts';
import { FEEDBACK_RECORDS } from '../adapters/dynamo-feedback-records.ts';
import { DynamoProcessingLedger } from '../adapters/dynamo-processing-ledger.ts';
import { DynamoSuppressionList } from '../adapters/dynamo-suppression-list.ts';
import { DynamoWindowCounter } from '../adapters/dynamo-window-counter.ts';
import type { ApplyFeedbackOptions } from '../core/outbound/feedback/apply-feedback.ts';
import type { ProcessFeedbackDeps } from '../core/outbound/feedback/process-feedback.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { FeedbackEnv } from './env.ts';

/** The settings of how feedback suppresses, as both environments that apply feedback carry them. */
export type SuppressionEnv = Pick<FeedbackEnv, 'SUPPRESSION_SCOPE' | 'TRANSIENT_FAILURES' | 'TRANSIENT_WINDOW_SECONDS'>;

/** The DynamoDB adapters of `processFeedback` on one client and table, and its options. */
export function feedbackAdapters(
  db: DynamoDBDocumentClient,
  table: string,
  clock: Clock,
  env: SuppressionEnv & { readonly LEASE_SECONDS: number },
): { deps: ProcessFeedbackDeps; options: ApplyFeedbackOptions } {
  return {
    deps: {
      messages: new DynamoOutboundMessages(db, table),
      suppression: new DynamoSuppressionList(db, table),
      failures: new DynamoWindowCounter(db, table),
      ledger: new DynamoProcessingLedger(db, table, FEEDBACK_RECORDS),
      clock,
      leaseMs: env.LEASE_SECONDS * 1000,
    },
    options: {
      scope: env.SUPPRESSION_SCOPE,
      transient: { failures: env.TRANSIENT_FAILURES, windowMs: env.TRANSIENT_WINDOW_SECONDS * 1000 },
    },
  };
}
