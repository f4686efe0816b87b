import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { enhancedCode } from '../mail/smtp-status.ts';
import type { DeliveryFeedback, FeedbackKind, RecipientUpdate } from '../model/delivery-feedback.ts';
import { parseOrThrow } from '../validation.ts';

/*
 * Amazon SES event publishing records (configuration set event destinations) and the older
 * identity notifications (`notificationType` instead of `eventType`), as they reach Postroom:
 * - through SNS into SQS: the SQS body is the SNS envelope, whose `Message` is the record JSON
 *   (or, with raw message delivery, the record itself);
 * - through EventBridge (into SQS or a rule target): `detail-type: 'Email Bounced'` etc., `detail`
 *   is the record.
 * The deployment uses SNS → SQS: SES's event destination publishes to the topic, the topic fans
 * out to our queue (and to anyone else who wants the events), the queue gives a DLQ and batch
 * partial failures. EventBridge works too (default bus only) and is parsed the same way.
 * Shapes: https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html
 */

const Address = z.object({ emailAddress: z.string() });
const MailSchema = z.object({
  messageId: z.string().min(1),
  timestamp: z.string(),
  destination: z.array(z.string()).default([]),
  commonHeaders: z.object({ messageId: z.string().optional() }).optional(),
});
const RecordSchema = z.object({
  eventType: z.string().optional(),
  notificationType: z.string().optional(),
  mail: MailSchema,
  bounce: z
    .object({
      bounceType: z.string(),
      bounceSubType: z.string().nullish(),
      bouncedRecipients: z.array(Address.extend({ action: z.string().optional(), status: z.string().optional(), diagnosticCode: z.string().optional() })),
      timestamp: z.string(),
      feedbackId: z.string().optional(),
    })
    .optional(),
  complaint: z
    .object({
      complainedRecipients: z.array(Address),
      complaintFeedbackType: z.string().nullish(),
      complaintSubType: z.string().nullish(),
      timestamp: z.string(),
      feedbackId: z.string().optional(),
    })
    .optional(),
  delivery: z.object({ timestamp: z.string(), recipients: z.array(z.string()), smtpResponse: z.string().optional() }).optional(),
  deliveryDelay: z
    .object({
      timestamp: z.string(),
      delayType: z.string().optional(),
      delayedRecipients: z.array(Address.extend({ status: z.string().optional(), diagnosticCode: z.string().optional() })),
    })
    .optional(),
  reject: z.object({ reason: z.string().optional() }).optional(),
  failure: z.object({ errorMessage: z.string().optional(), templateName: z.string().optional() }).optional(),
});
export type SesEventRecord = z.infer<typeof RecordSchema>;

/** EventBridge `detail-type` values of SES events (all of them, handled or not). */
const EVENTBRIDGE_TYPES: Readonly<Record<string, string>> = {
  'Email Sent': 'Send',
  'Email Delivered': 'Delivery',
  'Email Bounced': 'Bounce',
  'Email Complaint Received': 'Complaint',
  'Email Rejected': 'Reject',
  'Email Rendering Failed': 'Rendering Failure',
  'Email Delivery Delayed': 'DeliveryDelay',
  'Email Opened': 'Open',
  'Email Clicked': 'Click',
  'Email Subscribed': 'Subscription',
};

/** Event types that say nothing about delivery (Send, Open, Click, Subscription): ignored. */
const IGNORED = new Set(['Send', 'Open', 'Click', 'Subscription', 'AmazonSnsSubscriptionSucceeded']);

// Hostile input limit: SES truncates the headers it copies; a real record is a few KB.
const MAX_BODY_CHARS = 256_000;

function json(text: string, what: string): unknown {
  if (text.length > MAX_BODY_CHARS) throw new ValidationError(`${what} is larger than ${MAX_BODY_CHARS} characters`);
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError(`${what} is not JSON`);
  }
}

/**
 * The SES record an SQS message body carries, whichever way it came (SNS envelope, SNS raw
 * delivery, EventBridge). Null for a record of an ignored type (Send, Open, Click, an SNS
 * subscription confirmation). Throws `ValidationError` for anything else.
 */
export function sesRecordOf(body: string): SesEventRecord | null {
  let data = json(body, 'the message body') as Record<string, unknown> | null;
  if (data && typeof data === 'object' && data.Type === 'SubscriptionConfirmation') return null;
  if (data && typeof data === 'object' && data.Type === 'Notification' && typeof data.Message === 'string') {
    data = json(data.Message, 'the SNS message') as Record<string, unknown> | null;
  }
  if (data && typeof data === 'object' && typeof data['detail-type'] === 'string' && data.source === 'aws.ses') {
    const type = EVENTBRIDGE_TYPES[data['detail-type']];
    if (type === undefined) throw new ValidationError(`unknown SES EventBridge detail-type '${data['detail-type']}'`);
    if (IGNORED.has(type)) return null;
    data = { eventType: type, ...(data.detail as Record<string, unknown>) };
  }
  const type = data && typeof data === 'object' ? (data.eventType ?? data.notificationType) : undefined;
  if (typeof type === 'string' && IGNORED.has(type)) return null;
  return parseOrThrow(RecordSchema, data, 'not an SES event record');
}

/**
 * The delivery feedback an SES record gives, per recipient:
 * - Bounce → `bounced` (status and diagnostic). A `Transient` bounce is `bounced` too: SES sends
 *   it only after it stopped retrying, so this message will not arrive; the suppression policy,
 *   not the status, tells a soft bounce from a hard one.
 * - Complaint → `complained` (feedback type); with sub-type `OnAccountSuppressionList` SES never
 *   sent the mail, so the recipient is `failed`, and the complaint still suppresses.
 * - Delivery → `delivered` (SMTP response); DeliveryDelay → `delayed` (delay type, status).
 * - Reject (virus) and Rendering Failure → `failed` for every recipient.
 * Null for an ignored type.
 */
export function feedbackFromSesRecord(record: SesEventRecord): DeliveryFeedback | null {
  const type = record.eventType ?? record.notificationType ?? '';
  const mail = record.mail;
  const base = { target: { kind: 'ses' as const, sesMessageId: mail.messageId }, sentAt: mail.timestamp };
  const lower = (a: string) => a.trim().toLowerCase();
  const make = (kind: FeedbackKind, at: string, id: string, updates: RecipientUpdate[]): DeliveryFeedback => ({
    ...base,
    kind,
    at,
    key: `ses:${mail.messageId}:${kind}:${id}`,
    updates,
  });
  if (type === 'Bounce' && record.bounce) {
    const b = record.bounce;
    const permanent = b.bounceType === 'Permanent';
    const updates = b.bouncedRecipients.map((r) => ({
      address: lower(r.emailAddress),
      status: 'bounced' as const,
      smtpStatus: enhancedCode(r.status ?? '') ?? enhancedCode(r.diagnosticCode ?? ''),
      detail: r.diagnosticCode ?? `${b.bounceType}/${b.bounceSubType ?? 'General'}`,
      at: b.timestamp,
      signal: { kind: 'bounce' as const, permanent, subType: b.bounceSubType ?? null },
    }));
    return make('bounce', b.timestamp, b.feedbackId ?? b.timestamp, updates);
  }
  if (type === 'Complaint' && record.complaint) {
    const c = record.complaint;
    const notSent = c.complaintSubType === 'OnAccountSuppressionList';
    const feedbackType = c.complaintFeedbackType ?? null;
    const updates = c.complainedRecipients.map((r) => ({
      address: lower(r.emailAddress),
      status: notSent ? ('failed' as const) : ('complained' as const),
      smtpStatus: null,
      detail: notSent ? 'not sent: on the account suppression list' : `feedback-type: ${feedbackType ?? 'unknown'}`,
      at: c.timestamp,
      signal: { kind: 'complaint' as const, feedbackType },
    }));
    return make('complaint', c.timestamp, c.feedbackId ?? c.timestamp, updates);
  }
  if (type === 'Delivery' && record.delivery) {
    const d = record.delivery;
    const updates = d.recipients.map((address) => ({
      address: lower(address),
      status: 'delivered' as const,
      smtpStatus: enhancedCode(d.smtpResponse ?? ''),
      detail: d.smtpResponse ?? null,
      at: d.timestamp,
      signal: { kind: 'none' as const },
    }));
    return make('delivery', d.timestamp, `${d.timestamp}:${[...d.recipients].sort().join(',')}`, updates);
  }
  if (type === 'DeliveryDelay' && record.deliveryDelay) {
    const d = record.deliveryDelay;
    const updates = d.delayedRecipients.map((r) => ({
      address: lower(r.emailAddress),
      status: 'delayed' as const,
      smtpStatus: enhancedCode(r.status ?? '') ?? enhancedCode(r.diagnosticCode ?? ''),
      detail: [d.delayType, r.diagnosticCode].filter(Boolean).join(': ') || null,
      at: d.timestamp,
      signal: { kind: 'none' as const },
    }));
    return make('delay', d.timestamp, d.timestamp, updates);
  }
  const failedAll = (kind: FeedbackKind, detail: string) =>
    make(
      kind,
      mail.timestamp,
      'all',
      mail.destination.map((address) => ({ address: lower(address), status: 'failed', smtpStatus: null, detail, at: mail.timestamp, signal: { kind: 'none' } })),
    );
  if (type === 'Reject') return failedAll('reject', `rejected by SES: ${record.reject?.reason ?? 'no reason given'}`);
  if (type === 'Rendering Failure' || type === 'RenderingFailure') {
    return failedAll('rendering-failure', `template rendering failed: ${record.failure?.errorMessage ?? 'no message'}`);
  }
  if (IGNORED.has(type)) return null;
  throw new ValidationError(`SES record of type '${type}' without its ${type.toLowerCase() || 'event'} object`);
}

/** Parses one SQS message body into the delivery feedback it carries (null when it carries none). */
export function parseSesFeedback(body: string): DeliveryFeedback | null {
  const record = sesRecordOf(body);
  return record === null ? null : feedbackFromSesRecord(record);
}
