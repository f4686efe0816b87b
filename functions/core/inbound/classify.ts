import type { Classification, DeliveryRecipient, Lane } from '../model/classification.ts';
import { headerValue, headerValues, type ParsedMessage } from '../model/message.ts';
import { challengeResponse, detectAutoReply } from './classify/auto-reply.ts';
import { textBounceRecipients } from './classify/bounce-text.ts';
import { detectBulk } from './classify/bulk.ts';
import { addressesIn, bareMessageId, quotedMessageId } from './classify/fields.ts';
import { detectTextBounce } from './classify/non-standard-bounce.ts';
import { deliveryStatusRecipients, dispositionNotification, feedbackReport, jmrpComplaint, unsubscribeRequest } from './classify/reports.ts';
import { isSystemSender } from './classify/sender.ts';
import { sesNotification } from '../mail/ses-notification.ts';
import { once } from '../once.ts';

/** What the classifier knows beyond the message: the channel's own addresses. */
export interface ClassifyContext {
  readonly ownAddresses?: readonly string[];
}

type Draft = Partial<Omit<Classification, 'lane' | 'reason'>>;

function decide(lane: Lane, reason: string, draft: Draft = {}): Classification {
  const tags = new Set(draft.tags ?? []);
  if (lane !== 'human') tags.add('auto');
  if (lane === 'bulk') tags.add('bulk');
  return {
    lane,
    reason,
    deliveryReport: draft.deliveryReport ?? null,
    feedbackReport: draft.feedbackReport ?? null,
    originalMessageId: draft.originalMessageId ?? null,
    tags: [...tags].sort(),
  };
}

/**
 * Sorts a message into exactly one lane, with the rule and evidence in `reason`.
 * Precedence: machine-readable report parts (RFC 3464, RFC 5965, RFC 8098), then
 * non-standard bounces, then automatic answers (out-of-office before auto-reply), then
 * bulk, else human. A bounce that also says `Auto-Submitted: auto-replied` stays a bounce.
 */
export function classify(message: ParsedMessage, context: ClassifyContext = {}): Classification {
  const own = new Set((context.ownAddresses ?? []).map((a) => a.toLowerCase()));
  const tags = baseTags(message, own);
  // Only reports and bounces name an original message: the body is searched for it only when one is found.
  const originalId = once(() => originalMessageId(message));
  return (
    classifyReport(message, tags, originalId) ??
    classifyTextBounce(message, own, tags, originalId) ??
    classifyAnswer(message, tags) ??
    classifyBulk(message, tags)
  );
}

function baseTags(message: ParsedMessage, own: ReadonlySet<string>): string[] {
  // What the parser changed to read the mail (a limit, a repair) stays visible on it.
  const tags: string[] = [...(message.parseTags ?? [])];
  if (headerValue(message.headers, 'list-id') !== null) tags.push('list');
  if (loopsThroughUs(message, own)) tags.push('loop');
  return tags;
}

/** X-Loop (RFC-less, but universal in list servers and ticket systems) naming one of our addresses. */
function loopsThroughUs(message: ParsedMessage, own: ReadonlySet<string>): boolean {
  return headerValues(message.headers, 'x-loop').some((v) => addressesIn(v).some((a) => own.has(a)));
}

function originalMessageId(message: ParsedMessage): string | null {
  const enclosed = message.enclosedHeaders ? bareMessageId(headerValue(message.enclosedHeaders, 'message-id')) : null;
  return enclosed ?? quotedMessageId(message.text);
}

function classifyReport(message: ParsedMessage, tags: string[], originalId: () => string | null): Classification | null {
  const challenge = message.reports.length > 0 || message.contentType === 'multipart/report' ? challengeResponse(message) : null;
  if (challenge) {
    return decide('auto-reply', challenge, { tags: [...tags, 'challenge-response'], originalMessageId: originalId() });
  }
  const mdn = dispositionNotification(message);
  if (mdn || message.reportType === 'disposition-notification') {
    const reason = `multipart/report; report-type=disposition-notification${mdn?.disposition ? `; disposition=${mdn.disposition}` : ''}`;
    return decide('read-receipt', reason, { tags, originalMessageId: mdn?.originalMessageId ?? originalId() });
  }
  const ses = sesNotification(message);
  if (ses?.kind === 'feedback-report') {
    return decide('feedback-report', `ses notification: complaint; feedback-type=${ses.report.feedbackType ?? 'unknown'}`, {
      tags,
      feedbackReport: ses.report,
      originalMessageId: ses.report.originalMessageId,
    });
  }
  if (ses) {
    const deliveryReport = { recipients: ses.recipients, originalMessageId: ses.originalMessageId };
    return decide(ses.kind, `ses notification: ${ses.kind === 'bounce' ? 'bounce' : 'delivery'}`, {
      tags,
      deliveryReport,
      originalMessageId: ses.originalMessageId,
    });
  }
  const unsubscribe = unsubscribeRequest(message);
  if (unsubscribe) return decide('feedback-report', 'x-apple-unsubscribe: true', { tags, feedbackReport: unsubscribe });
  const arf = feedbackReport(message, originalId);
  if (arf || message.reportType === 'feedback-report') {
    const feedback = arf ?? { feedbackType: null, recipients: [], originalMessageId: originalId() };
    const reason = `multipart/report; report-type=feedback-report; feedback-type=${feedback.feedbackType ?? 'unknown'}`;
    return decide('feedback-report', reason, { tags, feedbackReport: feedback, originalMessageId: originalId() });
  }
  const jmrp = jmrpComplaint(message, originalId);
  if (jmrp)
    return decide('feedback-report', 'jmrp complaint: x-hmxmroriginalrecipient in the enclosed message', {
      tags,
      feedbackReport: jmrp,
      originalMessageId: originalId(),
    });
  const recipients = deliveryStatusRecipients(message);
  if (recipients === null || recipients.length === 0) return null;
  const lane = dsnLane(recipients);
  const action = lane === 'bounce' ? 'failed' : lane === 'delay' ? 'delayed' : recipients[0]?.action;
  const reason = `${message.contentType}; report-type=${message.reportType ?? 'none'}; action=${action}`;
  return decide(lane, reason, {
    tags,
    deliveryReport: { recipients, originalMessageId: originalId() },
    originalMessageId: originalId(),
  });
}

// RFC 3464 §2.3.3: one failed recipient makes the notice a bounce; otherwise a delayed one
// makes it a warning; delivered/relayed/expanded only is a success report.
function dsnLane(recipients: readonly DeliveryRecipient[]): Lane {
  if (recipients.some((r) => r.action === 'failed')) return 'bounce';
  if (recipients.some((r) => r.action === 'delayed')) return 'delay';
  return 'delivery-report';
}

function classifyTextBounce(message: ParsedMessage, own: ReadonlySet<string>, tags: string[], originalId: () => string | null): Classification | null {
  // A delivery-status report whose groups named nobody is still a bounce (Postfix writes
  // "Delivery report unavailable"); the text may still name the recipients.
  const dsnShaped = message.reportType === 'delivery-status' || deliveryStatusRecipients(message) !== null;
  const found =
    detectTextBounce(message) ?? (dsnShaped ? { lane: 'bounce' as const, evidence: 'delivery-status report without recipients', failedRecipients: [] } : null);
  if (found === null) return null;
  const exclude = new Set([...own, ...message.to.map((a) => a.address.toLowerCase())]);
  if (message.from) exclude.add(message.from.address.toLowerCase());
  // A gateway may enclose a whole earlier bounce: its To is our sender, not a recipient.
  const enclosed = enclosedIsBounce(message.enclosedHeaders) ? [] : (message.enclosedHeaders ?? []);
  const hints = {
    exclude,
    own,
    failedRecipients: found.failedRecipients,
    copyRecipients: [...headerValues(enclosed, 'to'), ...headerValues(enclosed, 'cc')].flatMap(addressesIn),
    senderDomain: message.from?.address.split('@')[1]?.toLowerCase() ?? null,
  };
  const recipients = textBounceRecipients(message.text, hints, found.lane === 'delay' ? '4' : '5');
  return decide(found.lane, `non-standard ${found.lane === 'delay' ? 'delay warning' : 'bounce'}: ${found.evidence}`, {
    tags,
    deliveryReport: { recipients, originalMessageId: originalId() },
    originalMessageId: originalId(),
  });
}

function enclosedIsBounce(headers: ParsedMessage['enclosedHeaders']): boolean {
  if (headers === null) return false;
  const from = headerValue(headers, 'from') ?? '';
  return /mailer-daemon|postmaster/i.test(from) || /multipart\/report/i.test(headerValue(headers, 'content-type') ?? '');
}

function classifyAnswer(message: ParsedMessage, tags: string[]): Classification | null {
  const answered = bareMessageId(headerValue(message.headers, 'in-reply-to')) ?? message.inReplyTo;
  const challenge = challengeResponse(message);
  if (challenge) return decide('auto-reply', challenge, { tags: [...tags, 'challenge-response'], originalMessageId: answered });
  const auto = detectAutoReply(message);
  if (auto) return decide(auto.lane, auto.reason, { tags, originalMessageId: answered });
  if (tags.includes('loop')) return decide('auto-reply', 'x-loop: names our own address', { tags, originalMessageId: answered });
  // MAILER-DAEMON and postmaster mail that no rule above could read (e.g. a body the parser
  // lost) is still no customer's: never let it open a conversation.
  if (isSystemSender(message)) return decide('auto-reply', `system sender: ${message.from?.address ?? ''}`, { tags, originalMessageId: answered });
  return null;
}

function classifyBulk(message: ParsedMessage, tags: string[]): Classification {
  const bulk = detectBulk(message);
  if (bulk?.kind === 'bulk') return decide('bulk', bulk.reason, { tags });
  if (bulk?.kind === 'list-post') return decide('human', bulk.reason, { tags: [...tags, 'list'] });
  return decide('human', 'no automatic signal', { tags });
}
