import { z } from 'zod';
import { VerdictStatusSchema, type ReceiptVerdicts } from '../core/model/classification.ts';
import type { InboundMail } from '../core/model/inbound-record.ts';

/** Where the receipt rules' S3 action stores raw mail: key = prefix + SES message id. */
export const RAW_MAIL_PREFIX = 'inbound/raw/';

const VerdictSchema = z.object({ status: z.string() }).optional();

/** The parts of the SES receipt event (Lambda action) Postroom uses. The event never carries the body. */
const SesEventSchema = z.object({
  Records: z.array(
    z.object({
      ses: z.object({
        mail: z.object({ messageId: z.string().min(1), timestamp: z.string(), source: z.string().optional() }),
        receipt: z.object({
          timestamp: z.string(),
          recipients: z.array(z.string()),
          spamVerdict: VerdictSchema,
          virusVerdict: VerdictSchema,
          spfVerdict: VerdictSchema,
          dkimVerdict: VerdictSchema,
          dmarcVerdict: VerdictSchema,
          dmarcPolicy: z.string().optional(),
        }),
      }),
    }),
  ),
});
export type SesReceiptEvent = z.input<typeof SesEventSchema>;

/**
 * The mails of an SES receipt event. The raw copy is at `prefix + messageId`: the S3 action of
 * the same rule wrote it there before invoking the function.
 */
export function inboundMailsOf(event: unknown, rawKeyPrefix: string): InboundMail[] {
  return SesEventSchema.parse(event).Records.map(({ ses: { mail, receipt } }) => ({
    sesMessageId: mail.messageId,
    rawKey: `${rawKeyPrefix}${mail.messageId}`,
    recipients: receipt.recipients.map((r) => r.toLowerCase()),
    verdicts: verdictsOf(receipt),
    receivedAt: new Date(receipt.timestamp || mail.timestamp).toISOString(),
    // SES gives the null return path as an empty source.
    ...(mail.source === undefined ? {} : { envelopeSender: mail.source.trim().replace(/^<|>$/g, '').toLowerCase() }),
  }));
}

function verdictsOf(receipt: z.infer<typeof SesEventSchema>['Records'][number]['ses']['receipt']): ReceiptVerdicts {
  const status = (v: { status: string } | undefined) => {
    const parsed = VerdictStatusSchema.safeParse(v?.status.toUpperCase());
    return parsed.success ? parsed.data : undefined;
  };
  const policy = receipt.dmarcPolicy?.toUpperCase();
  return {
    spamVerdict: status(receipt.spamVerdict),
    virusVerdict: status(receipt.virusVerdict),
    spfVerdict: status(receipt.spfVerdict),
    dkimVerdict: status(receipt.dkimVerdict),
    dmarcVerdict: status(receipt.dmarcVerdict),
    dmarcPolicy: policy === 'NONE' || policy === 'QUARANTINE' || policy === 'REJECT' ? policy : undefined,
  };
}
