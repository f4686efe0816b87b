import { ValidationError } from '../../errors.ts';

/*
 * Amazon SES event payloads as they really reach a queue, read into one shape. The documented
 * shapes (https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html,
 * .../notification-contents.html, .../monitoring-eventbridge.html) are the common case; what
 * arrives besides them (see `test/fixtures/ses-events/real/SOURCES.md`):
 * - the envelope: SNS (`Type: Notification`, the record as the `Message` string), SNS raw
 *   delivery (the record itself), EventBridge (`detail-type`, `detail`), a `Message` that is
 *   pretty-printed, starts with a space, ends with a newline, or is an object already;
 * - SNS and SES control messages instead of an event: subscription and unsubscribe
 *   confirmations, "Successfully validated SNS topic for Amazon SES event publishing." (an SNS
 *   notification or, with raw delivery, the plain text), `AmazonSnsSubscriptionSucceeded`, a test
 *   message published from the console;
 * - the record: `eventType` (configuration sets) or `notificationType` (identity notifications),
 *   in any case (`bounce`, `DELIVERY_DELAY`), keys in PascalCase or snake_case (a relay that
 *   re-serialized it), no `mail` object or an empty message id, recipients with no status or an
 *   empty diagnostic, bare strings as recipients, timestamps with offsets, without a zone, as
 *   epoch numbers, or missing.
 * Nothing here decides what an event means; `ses-event.ts` does.
 */

/** SES event types, as SES spells them in `eventType`. */
export const SES_EVENT_TYPES = [
  'Bounce',
  'Complaint',
  'Delivery',
  'DeliveryDelay',
  'Reject',
  'Rendering Failure',
  'Send',
  'Open',
  'Click',
  'Subscription',
] as const;
export type SesEventType = (typeof SES_EVENT_TYPES)[number];

/** How the payload came: the SNS envelope, the bare record (SNS raw delivery), or EventBridge. */
export type SesEnvelope = 'sns' | 'raw' | 'eventbridge';

export interface SesMail {
  /** The SES message id (what SendEmail returned); null when the record has none. */
  readonly messageId: string | null;
  /** ISO time (UTC) the mail was sent; null when the record does not say. */
  readonly timestamp: string | null;
  /** Lowercase recipient addresses of the send. */
  readonly destination: readonly string[];
}

export interface SesRecipient {
  readonly address: string;
  /** The recipient's `status` as given (`5.1.1`, `4.0.0`); null when absent or empty. */
  readonly status: string | null;
  readonly diagnosticCode: string | null;
  readonly action: string | null;
}

export interface SesBounce {
  /** `Permanent`, `Transient`, `Undetermined`, or another value as given (never treated as permanent). */
  readonly bounceType: string;
  readonly bounceSubType: string | null;
  readonly recipients: readonly SesRecipient[];
  readonly timestamp: string | null;
  readonly feedbackId: string | null;
}

export interface SesComplaint {
  readonly recipients: readonly string[];
  readonly feedbackType: string | null;
  readonly subType: string | null;
  readonly timestamp: string | null;
  readonly feedbackId: string | null;
}

export interface SesDelivery {
  readonly recipients: readonly string[];
  readonly smtpResponse: string | null;
  readonly timestamp: string | null;
}

export interface SesDelay {
  readonly delayType: string | null;
  readonly recipients: readonly SesRecipient[];
  readonly timestamp: string | null;
}

/** One SES event record, normalized. */
export interface SesRecord {
  readonly type: SesEventType;
  readonly mail: SesMail;
  readonly bounce: SesBounce | null;
  readonly complaint: SesComplaint | null;
  readonly delivery: SesDelivery | null;
  readonly delay: SesDelay | null;
  readonly rejectReason: string | null;
  readonly failure: { readonly errorMessage: string | null; readonly templateName: string | null } | null;
  /** The envelope's own time (SNS `Timestamp`, EventBridge `time`), for records without one. */
  readonly envelopeTime: string | null;
  /** The envelope's id (SNS `MessageId`, EventBridge `id`). */
  readonly envelopeId: string | null;
}

/** What one payload is: an SES event record, or a control message that carries none. */
export type SesPayload =
  | { readonly kind: 'record'; readonly via: SesEnvelope; readonly record: SesRecord }
  | { readonly kind: 'control'; readonly via: SesEnvelope; readonly reason: string };

// Hostile input limit: SES truncates the headers it copies; a real record is a few KB.
export const MAX_PAYLOAD_CHARS = 256_000;
// A record nests four levels (record, mail, headers, header); deeper input is left as it is.
const MAX_KEY_DEPTH = 8;
// A Message encoded twice (a relay that stringified a string) is read; three times is not SES.
const MAX_ENCODINGS = 2;

/** EventBridge `detail-type` values of SES events. */
const EVENTBRIDGE_TYPES: ReadonlyMap<string, SesEventType> = new Map([
  ['Email Sent', 'Send'],
  ['Email Delivered', 'Delivery'],
  ['Email Bounced', 'Bounce'],
  ['Email Complaint Received', 'Complaint'],
  ['Email Rejected', 'Reject'],
  ['Email Rendering Failed', 'Rendering Failure'],
  ['Email Delivery Delayed', 'DeliveryDelay'],
  ['Email Opened', 'Open'],
  ['Email Clicked', 'Click'],
  ['Email Subscribed', 'Subscription'],
]);

/** Event type names by their letters in lower case (`deliverydelay`, `renderingfailure`). */
const TYPE_BY_LETTERS: ReadonlyMap<string, SesEventType> = new Map(SES_EVENT_TYPES.map((t) => [letters(t), t]));

/** The record's event object for each type, by canonical key, in the order a missing type is inferred. */
const OBJECT_OF_TYPE: readonly (readonly [string, SesEventType])[] = [
  ['bounce', 'Bounce'],
  ['complaint', 'Complaint'],
  ['deliveryDelay', 'DeliveryDelay'],
  ['delivery', 'Delivery'],
  ['reject', 'Reject'],
  ['failure', 'Rendering Failure'],
  ['renderingFailure', 'Rendering Failure'],
  ['send', 'Send'],
  ['open', 'Open'],
  ['click', 'Click'],
  ['subscription', 'Subscription'],
];

/** Keys of the record as SES spells them, found whatever case or separators a relay used. */
const KNOWN_KEYS = [
  'eventType',
  'notificationType',
  'mail',
  'messageId',
  'timestamp',
  'destination',
  'source',
  'sourceArn',
  'sourceIp',
  'sendingAccountId',
  'callerIdentity',
  'headersTruncated',
  'headers',
  'commonHeaders',
  'tags',
  'name',
  'value',
  'from',
  'to',
  'cc',
  'bcc',
  'subject',
  'date',
  'replyTo',
  'returnPath',
  'bounce',
  'bounceType',
  'bounceSubType',
  'bouncedRecipients',
  'emailAddress',
  'action',
  'status',
  'diagnosticCode',
  'feedbackId',
  'reportingMTA',
  'remoteMtaIp',
  'complaint',
  'complainedRecipients',
  'complaintFeedbackType',
  'complaintSubType',
  'userAgent',
  'arrivalDate',
  'delivery',
  'recipients',
  'smtpResponse',
  'processingTimeMillis',
  'deliveryDelay',
  'delayType',
  'delayedRecipients',
  'expirationTime',
  'reject',
  'reason',
  'failure',
  'renderingFailure',
  'errorMessage',
  'templateName',
  'send',
  'open',
  'click',
  'subscription',
  'message',
] as const;
const KEY_BY_LETTERS: ReadonlyMap<string, string> = new Map(KNOWN_KEYS.map((k) => [letters(k), k]));

const BOUNCE_TYPES = ['Permanent', 'Transient', 'Undetermined'] as const;
const BOUNCE_SUBTYPES = [
  'Undetermined',
  'General',
  'NoEmail',
  'Suppressed',
  'OnAccountSuppressionList',
  'MailboxFull',
  'MessageTooLarge',
  'ContentRejected',
  'AttachmentRejected',
] as const;
const COMPLAINT_SUBTYPES = ['OnAccountSuppressionList'] as const;

/** SES and SNS setup notices that come as plain text (SNS raw delivery gives the text alone). */
const SETUP_NOTICE = /^Successfully validated SNS topic for Amazon SES event publishing\.?$/;

type Json = Record<string, unknown>;

function letters(s: string): string {
  return s.toLowerCase().replace(/[^a-z]/g, '');
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJson(text: string, what: string): unknown {
  if (text.length > MAX_PAYLOAD_CHARS) throw new ValidationError(`${what} is larger than ${MAX_PAYLOAD_CHARS} characters`);
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError(`${what} is not JSON`);
  }
}

/** A field of an envelope whatever its case (`Message`, `message`; Lambda's `SigningCertUrl`). */
function field(obj: Json, name: string): unknown {
  if (Object.hasOwn(obj, name)) return obj[name];
  const wanted = name.toLowerCase();
  for (const key of Object.keys(obj)) if (key.toLowerCase() === wanted) return obj[key];
  return undefined;
}

function text(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const t = v.trim();
  return t.length > 0 ? t : null;
}

/** The record with SES's key spelling (`EventType`, `event_type` → `eventType`), to a bounded depth. */
function canonicalKeys(value: unknown, depth = 0): unknown {
  if (depth > MAX_KEY_DEPTH) return value;
  if (Array.isArray(value)) return value.map((v) => canonicalKeys(v, depth + 1));
  if (!isObject(value)) return value;
  const out: Json = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === '__proto__') continue;
    const canonical = KEY_BY_LETTERS.get(letters(key)) ?? key;
    if (!Object.hasOwn(out, canonical) || canonical === key) out[canonical] = canonicalKeys(v, depth + 1);
  }
  return out;
}

/**
 * An ISO time in UTC from what a record gives: ISO 8601 with `Z`, an offset (`-07:00`) or no
 * zone (taken as UTC), or epoch seconds or milliseconds. Null for anything else.
 */
export function isoTime(v: unknown): string | null {
  let ms: number | null = null;
  if (typeof v === 'number' && Number.isFinite(v)) ms = v < 1e11 ? v * 1000 : v;
  else if (typeof v === 'string') {
    const t = v.trim();
    if (t.length > 40) return null;
    if (/^\d{9,13}$/.test(t)) ms = Number(t) < 1e11 ? Number(t) * 1000 : Number(t);
    else if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(t)) {
      const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(t) ? t : `${t}Z`;
      ms = Date.parse(zoned.replace(' ', 'T'));
    }
  }
  if (ms === null || !Number.isFinite(ms)) return null;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** The bare lowercase address of `jane@x`, `"Jane" <jane@x>` or `<jane@x>`; null when there is none. */
export function bareAddress(v: unknown): string | null {
  const t = text(v);
  if (t === null) return null;
  const open = t.lastIndexOf('<');
  const close = t.lastIndexOf('>');
  const inner = open >= 0 && close > open ? t.slice(open + 1, close).trim() : t;
  return inner.includes('@') ? inner.toLowerCase() : null;
}

function oneOf<T extends string>(v: unknown, known: readonly T[]): T | string | null {
  const t = text(v);
  if (t === null) return null;
  const wanted = letters(t);
  return known.find((k) => letters(k) === wanted) ?? t;
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function addresses(v: unknown): string[] {
  return list(v).flatMap((a) => {
    const address = bareAddress(isObject(a) ? a.emailAddress : a);
    return address === null ? [] : [address];
  });
}

function recipients(v: unknown): SesRecipient[] {
  return list(v).flatMap((r): SesRecipient[] => {
    const item = isObject(r) ? r : { emailAddress: r };
    const address = bareAddress(item.emailAddress);
    if (address === null) return [];
    return [{ address, status: text(item.status), diagnosticCode: text(item.diagnosticCode), action: text(item.action) }];
  });
}

function eventTypeOf(record: Json, fallback: SesEventType | null): SesEventType | 'control' | null {
  const given = text(record.eventType) ?? text(record.notificationType);
  if (given !== null) {
    const key = letters(given);
    if (key === 'amazonsnssubscriptionsucceeded') return 'control';
    const type = TYPE_BY_LETTERS.get(key);
    if (type) return type;
    if (key === 'received') {
      throw new ValidationError("an SES receipt notification ('Received'), not delivery feedback: a receipt rule publishes to the feedback topic");
    }
    throw new ValidationError(`not an SES event record: unknown event type '${given.slice(0, 60)}'`);
  }
  if (fallback) return fallback;
  const present = OBJECT_OF_TYPE.filter(([key]) => isObject(record[key]));
  const types = new Set(present.map(([, type]) => type));
  return types.size === 1 ? (present[0]?.[1] ?? null) : null;
}

function normalizeRecord(
  data: Json,
  envelopeTime: string | null,
  envelopeId: string | null,
  fallbackType: SesEventType | null,
): SesRecord | { control: string } {
  const record = canonicalKeys(data) as Json;
  const type = eventTypeOf(record, fallbackType);
  if (type === 'control') {
    return { control: `SES notification 'AmazonSnsSubscriptionSucceeded': ${(text(record.message) ?? 'the topic receives notifications').slice(0, 200)}` };
  }
  if (type === null) throw new ValidationError('not an SES event record: no eventType or notificationType, and no event object to tell it');
  const mail = isObject(record.mail) ? record.mail : {};
  const b = isObject(record.bounce) ? record.bounce : null;
  const c = isObject(record.complaint) ? record.complaint : null;
  const d = isObject(record.delivery) ? record.delivery : null;
  const dd = isObject(record.deliveryDelay) ? record.deliveryDelay : null;
  const f = isObject(record.failure) ? record.failure : isObject(record.renderingFailure) ? record.renderingFailure : null;
  const destination = addresses(mail.destination);
  return {
    type,
    mail: { messageId: text(mail.messageId), timestamp: isoTime(mail.timestamp), destination },
    bounce: b && {
      bounceType: oneOf(b.bounceType, BOUNCE_TYPES) ?? 'Undetermined',
      bounceSubType: oneOf(b.bounceSubType, BOUNCE_SUBTYPES),
      recipients: recipients(b.bouncedRecipients),
      timestamp: isoTime(b.timestamp),
      feedbackId: text(b.feedbackId),
    },
    complaint: c && {
      // SES leaves the list out of some OnAccountSuppressionList complaints; a send to one address says whom.
      recipients: Array.isArray(c.complainedRecipients) ? addresses(c.complainedRecipients) : destination.length === 1 ? destination : [],
      feedbackType: text(c.complaintFeedbackType),
      subType: oneOf(c.complaintSubType, COMPLAINT_SUBTYPES),
      timestamp: isoTime(c.timestamp),
      feedbackId: text(c.feedbackId),
    },
    delivery: d && {
      recipients: Array.isArray(d.recipients) ? addresses(d.recipients) : destination,
      smtpResponse: text(d.smtpResponse),
      timestamp: isoTime(d.timestamp),
    },
    delay: dd && { delayType: text(dd.delayType), recipients: recipients(dd.delayedRecipients), timestamp: isoTime(dd.timestamp) },
    rejectReason: isObject(record.reject) ? text(record.reject.reason) : null,
    failure: f && { errorMessage: text(f.errorMessage), templateName: text(f.templateName) },
    envelopeTime,
    envelopeId,
  };
}

function payloadOf(via: SesEnvelope, data: Json, envelopeTime: string | null, envelopeId: string | null, fallbackType: SesEventType | null): SesPayload {
  const r = normalizeRecord(data, envelopeTime, envelopeId, fallbackType);
  return 'control' in r ? { kind: 'control', via, reason: r.control } : { kind: 'record', via, record: r };
}

function fromEventBridge(data: Json, detailType: string): SesPayload {
  const type = EVENTBRIDGE_TYPES.get(detailType);
  if (type === undefined) throw new ValidationError(`unknown SES EventBridge detail-type '${detailType.slice(0, 60)}'`);
  const detail = isObject(data.detail) ? data.detail : {};
  return payloadOf('eventbridge', detail, isoTime(data.time), text(data.id), type);
}

function fromSns(data: Json, snsType: string): SesPayload {
  const topic = text(field(data, 'TopicArn')) ?? 'an unnamed topic';
  const kind = letters(snsType);
  if (kind === 'subscriptionconfirmation') return { kind: 'control', via: 'sns', reason: `SNS subscription confirmation for ${topic}` };
  if (kind === 'unsubscribeconfirmation') return { kind: 'control', via: 'sns', reason: `SNS unsubscribe confirmation for ${topic}` };
  if (kind !== 'notification') throw new ValidationError(`not an SES event: an SNS message of type '${snsType.slice(0, 40)}'`);
  const message = field(data, 'Message');
  const time = isoTime(field(data, 'Timestamp'));
  const id = text(field(data, 'MessageId'));
  let inner: unknown = message;
  for (let n = 0; typeof inner === 'string' && n < MAX_ENCODINGS; n++) {
    const t = inner.trim();
    if (!t.startsWith('{') && !t.startsWith('"')) {
      return { kind: 'control', via: 'sns', reason: `SNS notification on ${topic} that is no SES event: "${t.slice(0, 100)}"` };
    }
    inner = parseJson(t, 'the SNS message');
  }
  if (!isObject(inner)) throw new ValidationError('not an SES event record: the SNS message is not a JSON object');
  return payloadOf('sns', inner, time, id, null);
}

/**
 * Reads one payload: an SQS message body from the SES event pipeline, or a file holding one.
 * Returns the normalized record or the control message it is; throws `ValidationError` for
 * anything that is neither (not JSON, no SES record, a type SES does not publish).
 */
export function readSesPayload(body: string): SesPayload {
  if (body.length > MAX_PAYLOAD_CHARS) throw new ValidationError(`the message body is larger than ${MAX_PAYLOAD_CHARS} characters`);
  const trimmed = body.trim();
  if (SETUP_NOTICE.test(trimmed)) return { kind: 'control', via: 'raw', reason: `SES setup notice: "${trimmed}"` };
  let data = parseJson(trimmed, 'the message body');
  if (typeof data === 'string') {
    // A body encoded twice (a relay that stringified the JSON it was given)
    const inner = data.trim();
    if (SETUP_NOTICE.test(inner)) return { kind: 'control', via: 'raw', reason: `SES setup notice: "${inner}"` };
    if (inner.startsWith('{')) data = parseJson(inner, 'the message body');
  }
  if (!isObject(data)) throw new ValidationError('not an SES event record: the body is not a JSON object');
  const detailType = data['detail-type'];
  if (typeof detailType === 'string' && (data.source === 'aws.ses' || isObject(data.detail))) return fromEventBridge(data, detailType);
  const snsType = field(data, 'Type');
  if (typeof snsType === 'string' && (field(data, 'Message') !== undefined || field(data, 'TopicArn') !== undefined)) return fromSns(data, snsType);
  return payloadOf('raw', data, null, null, null);
}
