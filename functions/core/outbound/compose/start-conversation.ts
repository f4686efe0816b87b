import { newCandidate } from '../../conversation/candidate.ts';
import { ValidationError } from '../../errors.ts';
import type { ConversationRef } from '../../model/conversation.ts';
import { mailEnvelope } from '../../model/outbound-mail.ts';
import { NewConversationRequestSchema, type NewConversationRequestInput } from '../../model/reply-request.ts';
import type { OutboundStoredMessage } from '../../model/stored-message.ts';
import type { ConversationStore, TicketSequence } from '../../ports/conversation-store.ts';
import { parseOrThrow } from '../../validation.ts';
import { checkNotSuppressed } from '../send/suppression-check.ts';
import { jobOf, queuedMessageOf } from '../send/outbound-record.ts';
import { outboundFlowOff, planNewMail } from './plan-new-mail.ts';
import { agentParts, refuseOwnRecipients, type QueueReplyDeps } from './queue-reply.ts';

export interface StartConversationDeps extends Omit<QueueReplyDeps, 'conversations' | 'history'> {
  readonly conversations: Pick<ConversationStore, 'create' | 'publish'>;
  readonly tickets: TicketSequence;
}

/** The conversation an agent started and its first mail, `queued`. */
export interface StartedConversation {
  readonly conversation: ConversationRef;
  readonly message: OutboundStoredMessage;
}

/**
 * Starts a conversation with an agent's new mail to a customer (NICE CXone's manual outbound
 * flow): on a channel whose `outboundFlow` is on, validates the request, resolves its uploads,
 * chooses template and signature, draws a ticket number and reply token as a customer's first
 * mail does, plans the mail (ticket number in the subject, our Message-ID in References, Reply-To
 * with the token), refuses suppressed recipients before anything is stored, then creates the
 * conversation, stores the plan and the mail `queued`, publishes the conversation (its recipients
 * the participants, its skill the channel's default) and queues the mail on the same outbound
 * queue as a reply. The sender records it sent and claims
 * its Message-IDs, so the customer's answer joins the conversation.
 *
 * Throws `ConflictError` (the channel's `outboundFlow` is off), `NotFoundError` (no such channel),
 * `ValidationError`, `HeaderInjectionError` and `PolicyError` (a From not allowed, a suppressed recipient).
 */
export async function startConversation(deps: StartConversationDeps, input: NewConversationRequestInput): Promise<StartedConversation> {
  const request = parseOrThrow(NewConversationRequestSchema, input, 'new conversation');
  const channel = await deps.channels.getChannel(request.channelId);
  if (!channel.outboundFlow) throw outboundFlowOff(channel.id);
  await refuseOwnRecipients(deps.channels, [
    ['to', request.to],
    ['cc', request.cc],
    ['bcc', request.bcc],
  ]);
  const forwarded = request.attachments.findIndex((a) => a.source === 'inbound');
  if (forwarded >= 0) {
    const message = 'a new conversation has no customer message to take attachments from: upload the file (POST /attachments) and name its key';
    throw new ValidationError(`attachments[${forwarded}]: ${message}`, [{ path: `attachments[${forwarded}]`, message }]);
  }
  const { attachments, template, signature } = await agentParts(deps, channel, [], request);
  const candidate = await newCandidate(deps, channel);
  const conversation = { id: candidate.conversationId, ticketNumber: candidate.ticketNumber ?? '', replyToken: candidate.replyToken };
  const planned = planNewMail(deps, {
    channel,
    outbound: channel,
    conversation,
    request: { ...request, attachments: attachments.map((a) => a.ref), template, signature },
  });
  const envelope = mailEnvelope(planned.mail);
  await checkNotSuppressed(deps.suppression, channel.id, envelope.to);
  const at = deps.clock.now().toISOString();
  const created = await deps.conversations.create({
    id: conversation.id,
    channelId: channel.id,
    ticketNumber: conversation.ticketNumber,
    replyToken: conversation.replyToken,
    createdAt: at,
    ...(channel.retention ? { retentionDays: channel.retention.mailDays } : {}),
  });
  const message = queuedMessageOf(planned.mail, {
    messageId: deps.ids.next(),
    purpose: 'new',
    inReplyTo: null,
    reply: request,
    at,
    attachments: attachments.map((a) => a.stored),
  });
  // Published only once its mail is stored: a failure before leaves a pending conversation no one
  // sees, which expires as an unpublished candidate does.
  await deps.plans.put(planned.mail, message.messageId);
  await deps.messages.put(message);
  // Its recipients are the customers: their answer (and a ticket number they quote) is trusted as a participant's.
  const participants = [...new Set(envelope.to.map((a) => a.toLowerCase()))];
  const published = await deps.conversations.publish(created, participants, at, { reopen: false, agent: request.agentId, skill: channel.defaultSkill });
  await deps.queue.send(jobOf(message));
  return { conversation: published, message };
}
