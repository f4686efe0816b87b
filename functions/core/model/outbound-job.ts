import { z } from 'zod';
import { LeaseFieldsSchema } from './processing-record.ts';

export const OUTBOUND_JOB_SCHEMA_VERSION = 1;

/**
 * The job on the outbound FIFO queue: a pointer to the stored outbound message and its plan,
 * never the mail. Group = conversation (one conversation's mail leaves in order); deduplication
 * id = the message id.
 */
export const OutboundJobSchema = z.object({
  schemaVersion: z.literal(OUTBOUND_JOB_SCHEMA_VERSION),
  channelId: z.string().min(1),
  conversationId: z.string().min(1),
  /** Postroom id of the outbound message. */
  messageId: z.string().min(1),
  /** When it was queued: part of the stored message's key. */
  createdAt: z.string(),
});
export type OutboundJob = z.infer<typeof OutboundJobSchema>;

/**
 * `queued → sending → accepted → sent`, or `failed`. `sending` is saved before the transport is
 * called and `accepted` (with what the transport said) as soon as it took the mail, so a retry
 * after a crash knows whether the mail may have left: from `sending` it never sends again, from
 * `accepted` it only records.
 */
export const OUTBOUND_STATES = ['queued', 'sending', 'accepted', 'sent', 'failed'] as const;
export type OutboundState = (typeof OUTBOUND_STATES)[number];
export const OUTBOUND_FINAL_STATES: readonly OutboundState[] = ['sent', 'failed'];

/** Processing record of one outbound message: the idempotency key of sending it. */
export const OutboundRecordSchema = z
  .object({
    messageId: z.string(),
    channelId: z.string(),
    conversationId: z.string(),
    createdAt: z.string(),
    state: z.enum(OUTBOUND_STATES),
    /** What the transport said when it took the mail; set from `accepted` on. */
    accepted: z
      .object({ providerMessageId: z.string().nullable(), threadIds: z.array(z.string()), response: z.string().nullable(), at: z.string() })
      .nullable(),
  })
  .extend(LeaseFieldsSchema.shape);
export type OutboundRecord = z.infer<typeof OutboundRecordSchema>;
