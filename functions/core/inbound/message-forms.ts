import type { ChannelSettings } from '../model/channel.ts';
import type { InboundRecord } from '../model/inbound-record.ts';
import type { InboundStoredMessage } from '../model/stored-message.ts';
import { ROUTED_MESSAGE_SCHEMA_VERSION, type RoutedMessage } from '../model/routed-message.ts';
import type { AppliedThread } from '../conversation/apply-thread.ts';
import type { InboundDecision } from './decide-message.ts';
import { linkedConversationId } from '../conversation/resolve-thread.ts';
import { customerAddress } from '../mail/participants.ts';
import { previewOf } from '../mail/preview.ts';
import { slaView } from '../sla/sla-clock.ts';

/** References kept on a stored message: enough to continue the thread in an answer. */
const STORED_REFERENCES = 20;
/**
 * Longest subject kept on the stored message and the routed pointer (RFC 5322's line limit). The
 * parse limits let a header reach 256 KB; stored twice, such a subject would push the item over
 * DynamoDB's 400 KB and fail the mail on every replay. The whole subject stays in the raw copy.
 */
const STORED_SUBJECT = 998;
/** Addresses kept per To and Cc on the stored message, for the same reason. */
const STORED_ADDRESSES = 200;

function storedSubject(subject: string): string {
  return subject.length > STORED_SUBJECT ? `${subject.slice(0, STORED_SUBJECT - 1)}…` : subject;
}

/** The stored form of a decided message: metadata and a preview of the new text, no bodies. */
export function storedMessageOf(
  record: InboundRecord,
  channel: ChannelSettings,
  decision: InboundDecision,
  conversation: AppliedThread | null,
): InboundStoredMessage {
  const { message } = decision;
  return {
    direction: 'inbound',
    messageId: record.messageId,
    channelId: channel.id,
    conversationId: conversation?.id ?? null,
    sesMessageId: record.sesMessageId,
    rawKey: record.mail.rawKey,
    internetMessageId: message.messageId,
    subject: storedSubject(message.subject),
    from: customerAddress(message),
    to: message.to.slice(0, STORED_ADDRESSES),
    cc: message.cc.slice(0, STORED_ADDRESSES),
    date: message.date,
    receivedAt: record.mail.receivedAt,
    replyTo: message.replyTo,
    sender: message.sender,
    inReplyTo: message.inReplyTo,
    references: cappedReferences(message.references),
    lane: decision.classification.lane,
    laneReason: decision.classification.reason,
    tags: [...decision.tags],
    disposition: decision.disposition,
    route: decision.route ? { ...decision.route } : null,
    thread: {
      rule: decision.thread.rule,
      reason: decision.thread.reason,
      flags: [...decision.thread.flags],
      linkedConversationId: linkedConversationId(decision.thread),
    },
    preview: previewOf(decision.reply.reply),
    attachments: message.attachments,
    rejectedAttachments: [...decision.rejectedAttachments],
    language: decision.language,
  };
}

/** The pointer record for the skill queue, or null when the decision routes nowhere. */
export function routedMessageOf(
  record: InboundRecord,
  channel: ChannelSettings,
  decision: InboundDecision,
  conversation: AppliedThread | null,
): RoutedMessage | null {
  if (decision.disposition !== 'route' || !decision.route || !conversation) return null;
  const { message, classification } = decision;
  return {
    schemaVersion: ROUTED_MESSAGE_SCHEMA_VERSION,
    channelId: channel.id,
    messageId: record.messageId,
    internetMessageId: message.messageId,
    conversationId: conversation.id,
    ticketNumber: conversation.ticketNumber,
    isNewConversation: conversation.created,
    lane: classification.lane,
    laneReason: classification.reason,
    tags: [...decision.tags],
    skill: decision.route.skill,
    routingRule: decision.route.rule,
    priority: decision.route.priority,
    from: customerOf(message),
    subject: storedSubject(message.subject),
    receivedAt: record.mail.receivedAt,
    previousAgent: conversation.lastAgent,
    autoAnswerAllowed: decision.autoAnswerAllowed,
    language: decision.language,
    // As the conversation stands after this mail (its clocks started or resumed), for agents' apps to sort by.
    sla: conversation.sla ? slaView(conversation.sla, record.mail.receivedAt) : null,
  };
}

/** The first id (the thread's root) and the newest ones, as RFC 5322 §3.6.4 suggests when trimming. */
function cappedReferences(ids: readonly string[]): string[] {
  if (ids.length <= STORED_REFERENCES) return [...ids];
  return [ids[0] ?? '', ...ids.slice(-(STORED_REFERENCES - 1))];
}

function customerOf(message: InboundDecision['message']): { address: string; name: string } | null {
  const customer = customerAddress(message);
  return customer ? { address: customer.address, name: customer.name } : null;
}
