import type { DeliveryRecipient, FeedbackReport } from '../../model/classification.ts';
import { headerValue, type ParsedMessage, type ReportPart } from '../../model/message.ts';
import { parseDeliveryStatus } from './dsn.ts';
import { addressIn, bareMessageId, fieldValue, readFields } from './fields.ts';

const DSN_TYPES = new Set(['message/delivery-status', 'message/global-delivery-status']);
const ARF_TYPES = new Set(['message/feedback-report']);
const MDN_TYPES = new Set(['message/disposition-notification', 'message/global-disposition-notification']);

function partsOf(message: ParsedMessage, types: ReadonlySet<string>): ReportPart[] {
  return message.reports.filter((r) => types.has(r.contentType.toLowerCase()));
}

/** Per-recipient results of every delivery-status part (RFC 3464), or null when there is none. */
export function deliveryStatusRecipients(message: ParsedMessage): DeliveryRecipient[] | null {
  const parts = partsOf(message, DSN_TYPES);
  if (parts.length === 0) return null;
  return parts.flatMap((p) => parseDeliveryStatus(p.text));
}

/**
 * The ARF report (RFC 5965 §3.1): Feedback-Type and the Original-Rcpt-To / Removal-Recipient
 * addresses. Null when the message carries no message/feedback-report part; `originalMessageId`
 * (a search of the body) is called only for a report.
 */
export function feedbackReport(message: ParsedMessage, originalMessageId: () => string | null): FeedbackReport | null {
  const part = partsOf(message, ARF_TYPES)[0];
  if (!part) return null;
  const fields = readFields(part.text);
  const recipients = fields
    .filter((f) => f.name === 'original-rcpt-to' || f.name === 'removal-recipient')
    .map((f) => addressIn(f.value))
    .filter((a): a is string => a !== null);
  return {
    feedbackType: fieldValue(fields, 'feedback-type')?.toLowerCase() ?? null,
    recipients: [...new Set(recipients)],
    originalMessageId: originalMessageId(),
  };
}

/**
 * A complaint of Microsoft's Junk Mail Reporting Program (Hotmail, Outlook.com): no ARF part,
 * but the reported mail enclosed as message/rfc822 with Microsoft's `X-HmXmrOriginalRecipient`
 * naming the recipient who complained. An abuse report, never customer mail.
 */
export function jmrpComplaint(message: ParsedMessage, originalMessageId: () => string | null): FeedbackReport | null {
  const recipient = message.enclosedHeaders ? headerValue(message.enclosedHeaders, 'x-hmxmroriginalrecipient') : null;
  if (recipient === null) return null;
  const address = addressIn(recipient);
  return { feedbackType: 'abuse', recipients: address ? [address] : [], originalMessageId: originalMessageId() };
}

/**
 * A message disposition notification (RFC 8098 §3.2): its Disposition and the
 * Original-Message-ID it is about. Null when there is no disposition part.
 */
export function dispositionNotification(message: ParsedMessage): { disposition: string | null; originalMessageId: string | null } | null {
  const part = partsOf(message, MDN_TYPES)[0];
  if (!part) return null;
  const fields = readFields(part.text);
  return {
    disposition: fieldValue(fields, 'disposition'),
    originalMessageId: bareMessageId(fieldValue(fields, 'original-message-id')),
  };
}

/**
 * A one-click unsubscribe request that a mail client sent for its user (Apple Mail marks it
 * `X-Apple-Unsubscribe: true`): an opt-out about our mail, like an ARF opt-out report.
 */
export function unsubscribeRequest(message: ParsedMessage): FeedbackReport | null {
  if (!/^true$/i.test(headerValue(message.headers, 'x-apple-unsubscribe')?.trim() ?? '')) return null;
  return { feedbackType: 'opt-out', recipients: message.from ? [message.from.address.toLowerCase()] : [], originalMessageId: null };
}
