import { NotFoundError, ValidationError } from '../errors.ts';
import { AgentReplySchema, type AgentReplyInput } from '../model/agent-reply.ts';
import type { ConversationRef } from '../model/conversation.ts';
import { mailEnvelope } from '../model/outbound-mail.ts';
import type { InboundStoredMessage, OutboundStoredMessage, StoredMessage } from '../model/stored-message.ts';
import type { Clock, IdGenerator } from '../ports/clock.ts';
import type { ConversationStore } from '../ports/conversation-store.ts';
import type { MessageStore } from '../ports/inbound.ts';
import type { AttachmentStager } from '../ports/composer.ts';
import type { ChannelLookup, ConversationMessages, OutboundPlanStore, OutboundQueue } from '../ports/outbound-store.ts';
import type { SuppressionList } from '../ports/suppression.ts';
import { parseOrThrow } from '../validation.ts';
import { checkNotSuppressed } from './suppression-policy.ts';
import { jobOf, queuedMessageOf } from './outbound-record.ts';
import { planReply } from './plan-reply.ts';

export interface QueueReplyDeps {
  readonly channels: ChannelLookup;
  readonly conversations: Pick<ConversationStore, 'getConversations'>;
  readonly history: ConversationMessages;
  readonly messages: MessageStore;
  readonly plans: OutboundPlanStore;
  readonly queue: OutboundQueue;
  readonly suppression: SuppressionList;
  /** Copies forwarded attachments of inbound messages into the uploads. */
  readonly attachments: AttachmentStager;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

export interface ReplyRequest {
  readonly conversationId: string;
  /** The agent's reply, as the API received it; validated here. */
  readonly reply: AgentReplyInput;
  /** The Postroom id of the customer's message answered; the newest one of the conversation when missing. */
  readonly inReplyTo?: string;
}

/** Ids of our earlier mails kept in References of the next one. */
const PREVIOUS_SENT_IDS = 5;

/**
 * Queues an agent's reply: validates it, plans the mail (From, To, subject with the ticket
 * number, threading headers, template), refuses suppressed recipients before anything is
 * stored, keeps the plan, records the message on the conversation as `queued` and puts a job on
 * the outbound FIFO queue. Returns the stored message; the outbound function sends it.
 *
 * Throws `NotFoundError` (no such conversation or message), `ValidationError`,
 * `HeaderInjectionError` and `PolicyError` (a From not allowed, a suppressed recipient).
 */
export async function queueReply(deps: QueueReplyDeps, request: ReplyRequest): Promise<OutboundStoredMessage> {
  const reply = parseOrThrow(AgentReplySchema, request.reply, 'reply');
  const conversation = await conversationOf(deps, request.conversationId);
  const channel = await deps.channels.getChannel(conversation.channelId);
  const history = await deps.history.list(conversation.id);
  const answered = answeredMessage(history, request.inReplyTo);
  const attachments = await Promise.all(reply.attachments.map((a) => (a.source === 'inbound' ? deps.attachments.stage(a, channel.id) : a)));
  const planned = planReply(deps, {
    channel,
    outbound: channel,
    conversation,
    answered: { ...answered, messageId: answered.internetMessageId },
    reply: { ...reply, attachments },
    previousSentIds: sentIds(history),
  });
  await checkNotSuppressed(deps.suppression, channel.id, mailEnvelope(planned.mail).to);
  const stored = queuedMessageOf(planned.mail, { messageId: deps.ids.next(), purpose: 'reply', inReplyTo: answered.messageId, reply, at: deps.clock.now().toISOString() });
  await deps.plans.put(planned.mail, stored.messageId);
  await deps.messages.put(stored);
  await deps.queue.send(jobOf(stored));
  return stored;
}

async function conversationOf(deps: QueueReplyDeps, id: string): Promise<ConversationRef> {
  const conversation = (await deps.conversations.getConversations([id])).get(id);
  if (!conversation) throw new NotFoundError(`conversation ${id} does not exist`);
  return conversation;
}

/** The customer's message answered: the one named, else the newest inbound one. */
function answeredMessage(history: readonly StoredMessage[], messageId: string | undefined): InboundStoredMessage {
  const inbound = history.filter((m): m is InboundStoredMessage => m.direction === 'inbound');
  if (messageId !== undefined) {
    const named = inbound.find((m) => m.messageId === messageId);
    if (!named) throw new NotFoundError(`message ${messageId} is no customer message of this conversation`);
    return named;
  }
  const newest = inbound.at(-1);
  if (!newest) throw new ValidationError('the conversation has no customer message to answer', [{ path: 'inReplyTo', message: 'nothing to answer: send a new mail instead' }]);
  return newest;
}

/** Message-IDs of our sent mails, newest last. */
function sentIds(history: readonly StoredMessage[]): string[] {
  return history
    .filter((m): m is OutboundStoredMessage => m.direction === 'outbound' && m.status !== 'queued' && m.status !== 'failed')
    .flatMap((m) => m.threadIds.slice(0, 1))
    .slice(-PREVIOUS_SENT_IDS);
}
