import { z } from 'zod';

export const LANES = ['human', 'auto-reply', 'out-of-office', 'bounce', 'delay', 'delivery-report', 'feedback-report', 'read-receipt', 'bulk'] as const;
export const LaneSchema = z.enum(LANES);
export type Lane = z.infer<typeof LaneSchema>;

/** Lanes of mail written by a machine in answer to something: never open a conversation. */
export const ANSWERING_LANES: readonly Lane[] = ['auto-reply', 'out-of-office', 'bounce', 'delay', 'delivery-report', 'feedback-report', 'read-receipt'];

export const DeliveryRecipientSchema = z.object({
  address: z.string(),
  /** RFC 3463 enhanced status code such as `5.1.1`, or null when none could be found. */
  status: z.string().nullable(),
  /** RFC 3464 action: failed, delayed, delivered, relayed, expanded. */
  action: z.string().nullable(),
  permanent: z.boolean(),
  diagnostic: z.string().nullable(),
});
export type DeliveryRecipient = z.infer<typeof DeliveryRecipientSchema>;

/** What a delivery status notification (standard or not) says about the recipients of a mail. */
export const DeliveryReportSchema = z.object({
  recipients: z.array(DeliveryRecipientSchema),
  /** Message-ID (without brackets) of the mail the report is about, when it is enclosed. */
  originalMessageId: z.string().nullable(),
});
export type DeliveryReport = z.infer<typeof DeliveryReportSchema>;

/** An RFC 5965 (ARF) feedback report. */
export const FeedbackReportSchema = z.object({
  feedbackType: z.string().nullable(),
  recipients: z.array(z.string()),
  originalMessageId: z.string().nullable(),
});
export type FeedbackReport = z.infer<typeof FeedbackReportSchema>;

export const ClassificationSchema = z.object({
  lane: LaneSchema,
  /** Which rule decided the lane and on what evidence, e.g. `auto-submitted: auto-replied`. */
  reason: z.string(),
  /** Set for bounce, delay and delivery-report. */
  deliveryReport: DeliveryReportSchema.nullable(),
  /** Set for feedback-report. */
  feedbackReport: FeedbackReportSchema.nullable(),
  /** Message-ID of the mail this one answers, for read receipts and auto-replies when known. */
  originalMessageId: z.string().nullable(),
  /** Tags the classifier adds, e.g. `auto`, `bulk`, `list`. */
  tags: z.array(z.string()),
});
export type Classification = z.infer<typeof ClassificationSchema>;

/** SES receipt verdicts as they come in the receipt event. */
export const VerdictStatusSchema = z.enum(['PASS', 'FAIL', 'GRAY', 'PROCESSING_FAILED', 'DISABLED']);
export const ReceiptVerdictsSchema = z.object({
  spamVerdict: VerdictStatusSchema.optional(),
  virusVerdict: VerdictStatusSchema.optional(),
  spfVerdict: VerdictStatusSchema.optional(),
  dkimVerdict: VerdictStatusSchema.optional(),
  dmarcVerdict: VerdictStatusSchema.optional(),
  /** Present when DMARC fails: the sending domain's policy. */
  dmarcPolicy: z.enum(['NONE', 'QUARANTINE', 'REJECT']).optional(),
});
export type ReceiptVerdicts = z.infer<typeof ReceiptVerdictsSchema>;
