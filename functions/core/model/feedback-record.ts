import { z } from 'zod';
import { FEEDBACK_KINDS } from './delivery-feedback.ts';
import { LeaseFieldsSchema } from './processing-record.ts';

export const FEEDBACK_STATES = ['received', 'applied', 'unchanged', 'ignored', 'failed'] as const;
/** States after which nothing is left to do. `ignored`: the report is about no message of ours. */
export const FEEDBACK_FINAL_STATES: readonly (typeof FEEDBACK_STATES)[number][] = ['applied', 'unchanged', 'ignored', 'failed'];

/** Processing record of one delivery report (SES event or DSN/ARF): its idempotency key and what it did. */
export const FeedbackRecordSchema = z
  .object({
    key: z.string(),
    kind: z.enum(FEEDBACK_KINDS),
    state: z.enum(FEEDBACK_STATES),
    /** The outbound message it was applied to, once found. */
    messageId: z.string().nullable(),
    conversationId: z.string().nullable(),
    /** Addresses it suppressed. */
    suppressed: z.array(z.string()),
    note: z.string().nullable(),
  })
  .extend(LeaseFieldsSchema.shape);
export type FeedbackRecord = z.infer<typeof FeedbackRecordSchema>;
