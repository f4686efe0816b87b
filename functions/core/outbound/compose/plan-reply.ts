import type { ChannelSettings } from '../../model/channel.ts';
import type { AgentReply } from '../../model/agent-reply.ts';
import type { ParsedMessage } from '../../model/message.ts';
import type { ExtraHeader } from '../../model/outbound-mail.ts';
import type { OutboundSettings } from '../../model/outbound-settings.ts';
import type { IdGenerator } from '../../ports/clock.ts';
import { assertSafeHeaderText } from './header-safety.ts';
import { domainOf, newMessageId } from './message-id.ts';
import { assembleMail, type PlannedMail } from './assemble-mail.ts';
import { ownAddresses, resolveFrom, type PlanConversation } from './plan-parts.ts';
import { replyRecipients } from './reply-recipients.ts';
import { replySubject } from './reply-subject.ts';
import { threadHeaders } from './thread-headers.ts';

/** The customer's message being answered: the fields of the parsed (or stored) message threading needs, and its stored tags. */
export type AnsweredMessage = Pick<ParsedMessage, 'messageId' | 'inReplyTo' | 'references' | 'subject' | 'from' | 'replyTo' | 'sender'> & {
  readonly tags?: readonly string[];
};

export interface PlanDeps {
  readonly ids: IdGenerator;
}

export interface PlanReplyInput {
  readonly channel: ChannelSettings;
  readonly outbound: OutboundSettings;
  readonly conversation: PlanConversation;
  readonly answered: AnsweredMessage;
  /** The agent's reply: validated (`ReplyRequestSchema`), attachments resolved, template and signature chosen. */
  readonly reply: AgentReply;
  /** Ids of our earlier mails in the conversation (ours and the provider's). */
  readonly previousSentIds?: readonly string[];
  /** Headers set by the system, not the agent (e.g. `Auto-Submitted` on an acknowledgement). */
  readonly headers?: readonly ExtraHeader[];
}

export type { PlannedMail };

/**
 * Plans an agent's reply to a customer's message: From (the channel address or an allowed one),
 * Reply-To (the reply-token address), To (the customer's Reply-To, From or Sender) plus the
 * agent's Cc and Bcc, `Re: ` subject with the ticket number once, our Message-ID on the
 * channel's domain, In-Reply-To and References continuing the customer's thread, the content
 * pieces and attachment references. Replies are allowed even when new outbound mail is off.
 *
 * Throws `ValidationError` (no or too many recipients, an unusable template),
 * `HeaderInjectionError` (a value that would break a header, naming the field) and
 * `PolicyError('policy')` (a From address the channel does not allow).
 */
export function planReply(deps: PlanDeps, input: PlanReplyInput): PlannedMail {
  const { channel, outbound, conversation, answered, reply } = input;
  const from = resolveFrom(channel, outbound, reply.from);
  const recipients = replyRecipients({ answered, cc: reply.cc, bcc: reply.bcc, own: ownAddresses(channel, outbound) });
  const subject = replySubject(answered.subject, conversation.ticketNumber, channel.ticket);
  assertSafeHeaderText('subject', subject);
  const messageId = newMessageId(deps.ids, domainOf(channel.address));
  const thread = threadHeaders({ answered, ownMessageId: messageId, previousSentIds: input.previousSentIds ?? [] });
  return assembleMail({
    kind: 'reply',
    channel,
    outbound,
    conversation,
    agent: reply,
    from,
    recipients,
    subject,
    messageId,
    thread,
    headers: input.headers ?? [],
  });
}
