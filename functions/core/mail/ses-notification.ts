import { z } from 'zod';
import type { DeliveryRecipient, FeedbackReport } from '../model/classification.ts';
import type { ParsedMessage } from '../model/message.ts';
import { enhancedCode, isPermanent } from './smtp-status.ts';

/**
 * Amazon SES event notifications (Bounce, Complaint, Delivery) that reach a mailbox through
 * an SNS e-mail subscription: the body is the notification JSON, then an SNS footer.
 * https://docs.aws.amazon.com/ses/latest/dg/notification-contents.html
 */
const RecipientSchema = z.object({
  emailAddress: z.string(),
  action: z.string().optional(),
  status: z.string().optional(),
  diagnosticCode: z.string().optional(),
});
const NotificationSchema = z.object({
  // Real notifications spell types in any case (`bounce`, `BOUNCE`); read them all alike.
  notificationType: z
    .string()
    .transform((t) => t.toLowerCase())
    .pipe(z.enum(['bounce', 'complaint', 'delivery'])),
  bounce: z.object({ bounceType: z.string().optional(), bouncedRecipients: z.array(RecipientSchema) }).optional(),
  complaint: z.object({ complaintFeedbackType: z.string().optional(), complainedRecipients: z.array(RecipientSchema) }).optional(),
  delivery: z.object({ recipients: z.array(z.string()), smtpResponse: z.string().optional() }).optional(),
  mail: z.object({ commonHeaders: z.object({ messageId: z.string().optional() }).optional() }).optional(),
});

export type SesNotification =
  | { readonly kind: 'bounce' | 'delivery-report'; readonly recipients: DeliveryRecipient[]; readonly originalMessageId: string | null }
  | { readonly kind: 'feedback-report'; readonly report: FeedbackReport };

// Hostile input limit: SES caps the original headers it copies; a real notification is small.
const MAX_JSON_CHARS = 256_000;

/** Reads an SES notification delivered as mail, or null when the body is not one. */
export function sesNotification(message: ParsedMessage): SesNotification | null {
  const text = message.text.trimStart();
  if (!text.startsWith('{"notificationType"') || text.length > MAX_JSON_CHARS) return null;
  // SNS folds lines longer than 998 octets (RFC 5322 §2.1.1) with "!\n ".
  const json = text.replace(/!\r?\n /g, '').split(/\r?\n--\r?\n/)[0] ?? '';
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return null;
  }
  const parsed = NotificationSchema.safeParse(data);
  if (!parsed.success) return null;
  const n = parsed.data;
  const originalMessageId = n.mail?.commonHeaders?.messageId?.replace(/^<|>$/g, '') ?? null;
  if (n.notificationType === 'complaint') {
    const recipients = (n.complaint?.complainedRecipients ?? []).map((r) => r.emailAddress.toLowerCase());
    return { kind: 'feedback-report', report: { feedbackType: n.complaint?.complaintFeedbackType ?? null, recipients, originalMessageId } };
  }
  if (n.notificationType === 'delivery') {
    const recipients = (n.delivery?.recipients ?? []).map((address) => ({
      address: address.toLowerCase(),
      status: enhancedCode(n.delivery?.smtpResponse ?? '') ?? '2.0.0',
      action: 'delivered',
      permanent: false,
      diagnostic: n.delivery?.smtpResponse ?? null,
    }));
    return { kind: 'delivery-report', recipients, originalMessageId };
  }
  // A Transient or Undetermined bounce is never permanent, whatever its code (a 5.x.x included) or its spelling.
  const bounceType = n.bounce?.bounceType?.toLowerCase();
  const transient = bounceType === 'transient' || bounceType === 'undetermined';
  const recipients = (n.bounce?.bouncedRecipients ?? []).map((r) => {
    const status = enhancedCode(r.status ?? '') ?? enhancedCode(r.diagnosticCode ?? '');
    const action = r.action?.toLowerCase() ?? 'failed';
    return {
      address: r.emailAddress.toLowerCase(),
      status,
      action,
      permanent: !transient && isPermanent(status, action),
      diagnostic: r.diagnosticCode ?? null,
    };
  });
  return { kind: 'bounce', recipients, originalMessageId };
}
