import { FEEDBACK_FINAL_STATES, FeedbackRecordSchema, type FeedbackRecord } from '../core/model/feedback-record.ts';
import type { RecordKind } from './dynamo-processing-ledger.ts';
import { itemKeys } from './dynamo-schema.ts';

/** Feedback records for `DynamoProcessingLedger`: one per report key. */
export const FEEDBACK_RECORDS: RecordKind<FeedbackRecord> = {
  name: 'feedback record',
  keyOf: (r) => itemKeys.feedback(r.key),
  schema: FeedbackRecordSchema,
  finalStates: FEEDBACK_FINAL_STATES,
  firstState: 'received',
  describe: (r) => r.key,
};
