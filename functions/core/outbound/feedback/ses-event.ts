import { ValidationError } from '../../errors.ts';
import { enhancedCode } from '../../mail/smtp-status.ts';
import type { DeliveryFeedback, FeedbackKind, RecipientUpdate } from '../../model/delivery-feedback.ts';
import { readSesPayload, type SesEventType, type SesRecord } from './ses-event-normalize.ts';
import { classifyComplaint, classifySesBounce, type FailureAction } from './suppression-policy.ts';

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
 * `ses-event-normalize.ts` reads the variants real payloads come in (case, envelopes, control
 * messages, missing fields); this file says what a record means for delivery.
 * Shapes: https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html
 */

/** Event types that say nothing about delivery: ignored. */
const IGNORED: ReadonlySet<SesEventType> = new Set(['Send', 'Open', 'Click', 'Subscription']);

const EPOCH = '1970-01-01T00:00:00.000Z';

export interface SesFeedbackOptions {
  /**
   * ISO time the payload reached us (the SQS `SentTimestamp`): the event time of a record that
   * gives none, neither in its event object, its envelope nor its mail object.
   */
  readonly receivedAt?: string;
}

/** What one SQS body of the SES event pipeline gives the feedback function. */
export type SesFeedbackRead =
  /** Delivery feedback about the SES message `feedback.target.sesMessageId`. */
  | { readonly kind: 'feedback'; readonly feedback: DeliveryFeedback }
  /** Delivery feedback that names no SES message (no `mail` object, an empty id): nothing to apply it to. */
  | { readonly kind: 'unaddressed'; readonly feedbackKind: FeedbackKind; readonly updates: readonly RecipientUpdate[]; readonly reason: string }
  /** An event that says nothing about delivery (Send, Open, Click, Subscription). */
  | { readonly kind: 'ignored'; readonly eventType: SesEventType; readonly sesMessageId: string | null }
  /** An SNS or SES control message (subscription confirmation, setup notice, test message). */
  | { readonly kind: 'control'; readonly reason: string };

interface Built {
  readonly kind: FeedbackKind;
  readonly at: string;
  /** What tells this report from another of the same kind about the same message. */
  readonly id: string;
  readonly updates: RecipientUpdate[];
}

/**
 * The delivery feedback an SES record gives, per recipient:
 * - Bounce → `bounced` (status and diagnostic). A `Transient` bounce is `bounced` too: SES sends
 *   it only after it stopped retrying, so this message will not arrive; the suppression policy,
 *   not the status, tells a soft bounce from a hard one, and only a `Permanent` bounce can be hard.
 * - Complaint → `complained` (feedback type); with sub-type `OnAccountSuppressionList` SES never
 *   sent the mail, so the recipient is `failed`, and the complaint still suppresses.
 * - Delivery → `delivered` (SMTP response); DeliveryDelay → `delayed` (delay type, status).
 * - Reject (virus) and Rendering Failure → `failed` for every recipient.
 * Null for an ignored type.
 */
function build(record: SesRecord, fallbackAt: string): Built | null {
  const eventAt = (own: string | null) => own ?? record.envelopeTime ?? record.mail.timestamp ?? fallbackAt;
  const b = record.bounce;
  if (record.type === 'Bounce' && b) {
    const at = eventAt(b.timestamp);
    const permanent = b.bounceType === 'Permanent';
    const updates = b.recipients.map((r) => ({
      address: r.address,
      status: 'bounced' as const,
      smtpStatus: enhancedCode(r.status ?? '') ?? enhancedCode(r.diagnosticCode ?? ''),
      detail: r.diagnosticCode ?? `${b.bounceType}/${b.bounceSubType ?? 'General'}`,
      at,
      signal: { kind: 'bounce' as const, permanent, subType: b.bounceSubType },
    }));
    return { kind: 'bounce', at, id: b.feedbackId ?? b.timestamp ?? record.envelopeId ?? at, updates };
  }
  const c = record.complaint;
  if (record.type === 'Complaint' && c) {
    const at = eventAt(c.timestamp);
    const notSent = c.subType === 'OnAccountSuppressionList';
    const feedbackType = c.feedbackType;
    const updates = c.recipients.map((address) => ({
      address,
      status: notSent ? ('failed' as const) : ('complained' as const),
      smtpStatus: null,
      detail: notSent ? 'not sent: on the account suppression list' : `feedback-type: ${feedbackType ?? 'unknown'}`,
      at,
      signal: { kind: 'complaint' as const, feedbackType },
    }));
    return { kind: 'complaint', at, id: c.feedbackId ?? c.timestamp ?? record.envelopeId ?? at, updates };
  }
  const d = record.delivery;
  if (record.type === 'Delivery' && d) {
    const at = eventAt(d.timestamp);
    const updates = d.recipients.map((address) => ({
      address,
      status: 'delivered' as const,
      smtpStatus: enhancedCode(d.smtpResponse ?? ''),
      detail: d.smtpResponse,
      at,
      signal: { kind: 'none' as const },
    }));
    return { kind: 'delivery', at, id: `${at}:${[...d.recipients].sort().join(',')}`, updates };
  }
  const dd = record.delay;
  if (record.type === 'DeliveryDelay' && dd) {
    const at = eventAt(dd.timestamp);
    const updates = dd.recipients.map((r) => ({
      address: r.address,
      status: 'delayed' as const,
      smtpStatus: enhancedCode(r.status ?? '') ?? enhancedCode(r.diagnosticCode ?? ''),
      detail: [dd.delayType, r.diagnosticCode].filter(Boolean).join(': ') || null,
      at,
      signal: { kind: 'none' as const },
    }));
    return { kind: 'delay', at, id: at, updates };
  }
  const failedAll = (kind: FeedbackKind, detail: string): Built => {
    const at = record.mail.timestamp ?? record.envelopeTime ?? fallbackAt;
    const updates = record.mail.destination.map((address) => ({
      address,
      status: 'failed' as const,
      smtpStatus: null,
      detail,
      at,
      signal: { kind: 'none' as const },
    }));
    return { kind, at, id: 'all', updates };
  };
  if (record.type === 'Reject') return failedAll('reject', `rejected by SES: ${record.rejectReason ?? 'no reason given'}`);
  if (record.type === 'Rendering Failure') return failedAll('rendering-failure', `template rendering failed: ${record.failure?.errorMessage ?? 'no message'}`);
  if (IGNORED.has(record.type)) return null;
  const object = record.type === 'DeliveryDelay' ? 'deliveryDelay' : record.type.toLowerCase();
  throw new ValidationError(`not an SES event record: a ${record.type} without its ${object} object`);
}

/**
 * Reads one SQS message body (or a file holding one) into what it gives the feedback function.
 * Throws `ValidationError` for a body that is no SES event and no control message.
 */
export function readSesFeedback(body: string, options: SesFeedbackOptions = {}): SesFeedbackRead {
  const payload = readSesPayload(body);
  if (payload.kind === 'control') return { kind: 'control', reason: payload.reason };
  const record = payload.record;
  const built = build(record, options.receivedAt ?? EPOCH);
  if (built === null) return { kind: 'ignored', eventType: record.type, sesMessageId: record.mail.messageId };
  const sesMessageId = record.mail.messageId;
  if (sesMessageId === null) {
    const reason = `the ${record.type} record names no SES message (no mail object, or an empty messageId)`;
    return { kind: 'unaddressed', feedbackKind: built.kind, updates: built.updates, reason };
  }
  return {
    kind: 'feedback',
    feedback: {
      key: `ses:${sesMessageId}:${built.kind}:${built.id}`,
      kind: built.kind,
      target: { kind: 'ses', sesMessageId },
      sentAt: record.mail.timestamp,
      at: built.at,
      updates: built.updates,
    },
  };
}

/** Parses one SQS message body into the delivery feedback it carries (null when it carries none to apply). */
export function parseSesFeedback(body: string, options: SesFeedbackOptions = {}): DeliveryFeedback | null {
  const read = readSesFeedback(body, options);
  return read.kind === 'feedback' ? read.feedback : null;
}

/**
 * What the suppression policy does with one recipient of a report, before any counting:
 * `suppress` (a hard bounce, a complaint), `count` (a soft failure: a `Transient` or
 * `Undetermined` bounce whatever its status code, a permanent one that names no dead address),
 * `none` (a delivery, a delay, our own fault). The same decision `applyFeedback` takes.
 */
export function policyAction(update: RecipientUpdate): FailureAction {
  const signal = update.signal;
  if (signal.kind === 'none') return 'none';
  if (signal.kind === 'complaint') return classifyComplaint(signal.feedbackType).action;
  return classifySesBounce(signal.subType, { status: update.smtpStatus, permanent: signal.permanent, diagnostic: update.detail }).action;
}
