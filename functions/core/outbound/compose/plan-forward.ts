import type { AgentReply } from '../../model/agent-reply.ts';
import type { ChannelSettings } from '../../model/channel.ts';
import type { MailAddress } from '../../model/message.ts';
import type { OutboundAddress } from '../../model/outbound-mail.ts';
import type { OutboundSettings } from '../../model/outbound-settings.ts';
import { assembleMail, type PlannedMail } from './assemble-mail.ts';
import { assertSafeHeaderText } from './header-safety.ts';
import { domainOf, newMessageId } from './message-id.ts';
import { ownAddresses, resolveFrom, type PlanConversation } from './plan-parts.ts';
import type { PlanDeps } from './plan-reply.ts';
import { replyRecipients } from './reply-recipients.ts';
import { forwardSubject } from './reply-subject.ts';
import { threadHeaders } from './thread-headers.ts';

/** A customer message a forward encloses, as the body's summary names it. */
export interface ForwardedMessage {
  readonly from: MailAddress | null;
  readonly date: string | null;
  readonly subject: string;
  /** The name of its `message/rfc822` attachment. */
  readonly filename: string;
}

export interface PlanForwardInput {
  readonly channel: ChannelSettings;
  readonly outbound: OutboundSettings;
  readonly conversation: PlanConversation;
  /** Oldest first; the newest gives the subject. */
  readonly forwarded: readonly ForwardedMessage[];
  /** The forwarding agent: To, Cc, the note as text, the enclosed mails as attachments, template and signature chosen. */
  readonly agent: AgentReply & { readonly to: readonly OutboundAddress[]; readonly note: string };
}

/**
 * Plans a forward of customer mail to an external party: the agent's To and Cc (our own addresses
 * left out), `Fwd: ` and the newest forwarded subject with the ticket number, our Message-ID in
 * References and no In-Reply-To (it answers nothing of the recipient's), Reply-To with the
 * conversation's reply token so the answer comes back to the conversation, and a body of the
 * agent's note followed by a summary of each enclosed mail (sender, date, subject, file). The mails
 * themselves travel as `message/rfc822` attachments, exactly as received.
 */
export function planForward(deps: PlanDeps, input: PlanForwardInput): PlannedMail {
  const { channel, outbound, conversation, agent } = input;
  const newest = input.forwarded.at(-1);
  if (!newest) throw new TypeError('a forward encloses at least one message');
  const from = resolveFrom(channel, outbound, agent.from);
  const recipients = replyRecipients({ answered: null, to: agent.to, cc: agent.cc, bcc: agent.bcc, own: ownAddresses(channel, outbound) });
  const subject = forwardSubject(newest.subject, conversation.ticketNumber, channel.ticket);
  assertSafeHeaderText('subject', subject);
  const messageId = newMessageId(deps.ids, domainOf(channel.address));
  const text = [agent.note.trim(), ...input.forwarded.map(summary)].filter((part) => part !== '').join('\n\n');
  return assembleMail({
    kind: 'forward',
    channel,
    outbound,
    conversation,
    agent: { ...agent, text, html: null },
    from,
    recipients,
    subject,
    messageId,
    thread: threadHeaders({ answered: null, ownMessageId: messageId }),
    headers: [],
  });
}

function summary(m: ForwardedMessage): string {
  const sender = m.from ? (m.from.name ? `${m.from.name} <${m.from.address}>` : m.from.address) : '(no sender)';
  return [
    '---------- Forwarded message ----------',
    `From: ${sender}`,
    ...(m.date ? [`Date: ${m.date}`] : []),
    `Subject: ${m.subject}`,
    `Enclosed as ${m.filename}`,
  ].join('\n');
}
