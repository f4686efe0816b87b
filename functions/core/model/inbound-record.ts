import { z } from 'zod';
import { LaneSchema, ReceiptVerdictsSchema } from './classification.ts';
import { OutboundJobSchema } from './outbound-job.ts';
import { LeaseFieldsSchema } from './processing-record.ts';
import { StoredRoutedMessageSchema } from './routed-message.ts';

/** One mail as SES hands it over: where the raw copy is, who it was for, what SES thought of it. */
export const InboundMailSchema = z.object({
  /** SES message id; the raw copy is stored under `rawKey` (prefix + this id). */
  sesMessageId: z.string().min(1),
  rawKey: z.string().min(1),
  /** Envelope recipients the receipt rule matched, lowercase. */
  recipients: z.array(z.string()),
  verdicts: ReceiptVerdictsSchema,
  /** ISO 8601 time SES received the mail. */
  receivedAt: z.string(),
  /** The SMTP envelope sender (SES `mail.source`); `''` for the null return path; absent when unknown. */
  envelopeSender: z.string().optional(),
  /** Where a mail read from a mailbox or an archive came from (absent: SES receiving), by its source-specific key. */
  origin: z.object({ type: z.enum(['imap', 'pop3', 'graph', 'archive']), key: z.string() }).optional(),
  /**
   * Old mail (a mailbox's first sync with `import-closed`, or `postroom import`): it becomes or
   * joins a closed conversation, is queued nowhere and never acknowledged.
   */
  imported: z.boolean().optional(),
});
export type InboundMail = z.infer<typeof InboundMailSchema>;

export const INBOUND_STATES = ['received', 'decided', 'routed', 'recorded', 'quarantined', 'dropped', 'failed'] as const;
export type InboundState = (typeof INBOUND_STATES)[number];
/** States after which nothing is left to do (a `failed` record only moves again on an explicit replay). */
export const FINAL_STATES: readonly InboundState[] = ['routed', 'recorded', 'quarantined', 'dropped', 'failed'];

export { ErrorInfoSchema, type ErrorInfo } from './processing-record.ts';

/**
 * The conversation this message will create if it wins the claims, fixed once so retries reuse
 * it. Its ticket number is drawn when the conversation is created (null until then, on records
 * that fix the candidate with their first save); the stored conversation keeps the number its
 * first creation wrote.
 */
export const CandidateSchema = z.object({
  conversationId: z.string(),
  ticketNumber: z.string().nullable(),
  replyToken: z.string().nullable(),
});
export type Candidate = z.infer<typeof CandidateSchema>;

/** What became of a mail's acknowledgement. */
export const AcknowledgementRecordSchema = z.object({
  /** Null when one is queued; else the reason (`window`, `automatic`, `circuit-breaker`, …). */
  skipped: z.string().nullable(),
  job: OutboundJobSchema.nullable(),
});
export type AcknowledgementRecord = z.infer<typeof AcknowledgementRecordSchema>;

/** Processing record of one mail on one channel: the idempotency key and its progress. */
export const InboundRecordSchema = z
  .object({
    sesMessageId: z.string(),
    channelId: z.string(),
    /** Postroom id of the message, fixed on the first attempt. */
    messageId: z.string(),
    mail: InboundMailSchema,
    state: z.enum(INBOUND_STATES),
    candidate: CandidateSchema.nullable(),
    conversationId: z.string().nullable(),
    /** Set once decided. */
    disposition: z.enum(['route', 'record', 'quarantine', 'drop']).nullable(),
    lane: LaneSchema.nullable(),
    tags: z.array(z.string()),
    /** Set from `decided` on when the message goes to a queue: what was (or will be) sent. */
    routed: StoredRoutedMessageSchema.nullable(),
    /**
     * The channel's automatic acknowledgement of this mail, once decided (null when the channel
     * does not acknowledge): `skipped` names why none is sent; `job` is the queued one, fixed before
     * anything of it is written, so a retry writes and sends the same message again, never another.
     */
    acknowledgement: AcknowledgementRecordSchema.nullable().default(null),
  })
  .extend(LeaseFieldsSchema.shape);
export type InboundRecord = z.infer<typeof InboundRecordSchema>;

/** Mail that could not be processed; `mail` holds all a replay needs. */
export const FailedMailSchema = z.object({
  sesMessageId: z.string(),
  /** Null when no channel matched the recipients. */
  channelId: z.string().nullable(),
  rawKey: z.string(),
  code: z.string(),
  reason: z.string(),
  failedAt: z.string(),
  mail: InboundMailSchema,
});
export type FailedMail = z.infer<typeof FailedMailSchema>;
