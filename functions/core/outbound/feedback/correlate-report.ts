import type { Classification, DeliveryRecipient } from '../../model/classification.ts';
import type { DeliveryFeedback, RecipientUpdate } from '../../model/delivery-feedback.ts';
import { headerValue, type ParsedMessage } from '../../model/message.ts';
import type { DeliveryStatus } from '../../model/stored-message.ts';

export interface ReportInput {
  /** The channel the report reached: our mail it reports on was sent from this channel. */
  readonly channelId: string;
  readonly message: ParsedMessage;
  readonly classification: Classification;
  /** ISO time the report was received; the time of its updates. */
  readonly receivedAt: string;
  /** Id of the received copy (SES message id), the key when the report has no Message-ID. */
  readonly receiptId: string;
}

const REPORT_LANES = new Set(['bounce', 'delay', 'delivery-report', 'feedback-report']);
// Hostile input limit: a report names one original; a few candidates are plenty.
const MAX_CANDIDATE_IDS = 8;

/**
 * Ties a DSN or ARF report that reached a channel (mail we sent over the customer's SMTP server
 * comes back this way) to the mail it reports on, and says what it reports per recipient. The
 * Message-IDs of our mail, best first: the original Message-ID the report part or the enclosed
 * message names, then the report's own In-Reply-To and last Reference (Gmail and Exchange set
 * them on bounces). The caller looks them up among the channel's sent mail, so a report naming
 * a Message-ID we never sent changes nothing, and one recipient cannot report on another's mail.
 *
 * Per recipient: `failed` → bounced (with the DSN's status, permanent or not), `delayed` →
 * delayed, `delivered`/`relayed`/`expanded` → delivered; an ARF report → complained (with the
 * feedback type), except `not-spam`. A report that names no recipient (a redacted ARF report, a
 * text bounce) gives one update without an address, which only a single-recipient mail takes.
 * Null for mail of any other lane.
 */
export function correlateReport(input: ReportInput): DeliveryFeedback | null {
  const { classification, message } = input;
  if (!REPORT_LANES.has(classification.lane)) return null;
  const kind =
    classification.lane === 'feedback-report'
      ? 'complaint'
      : classification.lane === 'delay'
        ? 'delay'
        : classification.lane === 'bounce'
          ? 'bounce'
          : 'delivery';
  const updates = kind === 'complaint' ? complaintUpdates(classification, input.receivedAt) : dsnUpdates(classification, input.receivedAt);
  return {
    key: `report:${input.channelId}:${message.messageId ?? input.receiptId}`,
    kind,
    target: { kind: 'internet', channelId: input.channelId, messageIds: candidateIds(message, classification) },
    updates,
    sentAt: null,
    at: input.receivedAt,
  };
}

/** Message-IDs (bare) of the mail a report is about, best first, unique. */
export function candidateIds(message: ParsedMessage, classification: Classification): string[] {
  const enclosed = message.enclosedHeaders ? headerValue(message.enclosedHeaders, 'message-id') : null;
  const ids = [
    classification.deliveryReport?.originalMessageId,
    classification.feedbackReport?.originalMessageId,
    classification.originalMessageId,
    enclosed,
    message.inReplyTo,
    message.references[message.references.length - 1],
  ];
  const bare = ids.map((id) => id?.trim().replace(/^<|>$/g, '') ?? '').filter((id) => id.length > 0 && !/\s/.test(id));
  return [...new Set(bare)].slice(0, MAX_CANDIDATE_IDS);
}

function dsnUpdates(classification: Classification, at: string): RecipientUpdate[] {
  const recipients = classification.deliveryReport?.recipients ?? [];
  const fallback: DeliveryStatus = classification.lane === 'bounce' ? 'bounced' : classification.lane === 'delay' ? 'delayed' : 'delivered';
  if (recipients.length === 0) {
    const signal = fallback === 'bounced' ? ({ kind: 'bounce', permanent: true, subType: null } as const) : ({ kind: 'none' } as const);
    return [{ address: null, status: fallback, smtpStatus: null, detail: classification.reason, at, signal }];
  }
  return recipients.map((r) => dsnUpdate(r, fallback, at));
}

function dsnUpdate(r: DeliveryRecipient, fallback: DeliveryStatus, at: string): RecipientUpdate {
  const status = statusOfAction(r.action) ?? fallback;
  const signal = status === 'bounced' ? ({ kind: 'bounce', permanent: r.permanent, subType: null } as const) : ({ kind: 'none' } as const);
  return { address: r.address.toLowerCase(), status, smtpStatus: r.status, detail: r.diagnostic, at, signal };
}

function statusOfAction(action: string | null): DeliveryStatus | null {
  if (action === 'failed') return 'bounced';
  if (action === 'delayed') return 'delayed';
  if (action === 'delivered' || action === 'relayed' || action === 'expanded') return 'delivered';
  return null;
}

function complaintUpdates(classification: Classification, at: string): RecipientUpdate[] {
  const report = classification.feedbackReport;
  const feedbackType = report?.feedbackType ?? null;
  // RFC 6650 §3: not-spam says the user rescued the mail; it arrived, nobody complained.
  const status: DeliveryStatus = feedbackType === 'not-spam' ? 'delivered' : 'complained';
  const detail = `feedback-type: ${feedbackType ?? 'unknown'}`;
  const signal = { kind: 'complaint', feedbackType } as const;
  const addresses = report?.recipients.length ? report.recipients.map((a) => a.toLowerCase()) : [null];
  return addresses.map((address) => ({ address, status, smtpStatus: null, detail, at, signal }));
}
