import { ConflictError } from '../../errors.ts';
import type { ChannelSettings } from '../../model/channel.ts';
import type { NewMail } from '../../model/agent-reply.ts';
import type { ExtraHeader } from '../../model/outbound-mail.ts';
import type { OutboundSettings } from '../../model/outbound-settings.ts';
import { assertSafeHeaderText } from './header-safety.ts';
import { domainOf, newMessageId } from './message-id.ts';
import { assembleMail, type PlannedMail } from './assemble-mail.ts';
import { ownAddresses, resolveFrom, type PlanConversation } from './plan-parts.ts';
import type { PlanDeps } from './plan-reply.ts';
import { replyRecipients } from './reply-recipients.ts';
import { newMailSubject } from './reply-subject.ts';
import { threadHeaders } from './thread-headers.ts';

export interface PlanNewMailInput {
  readonly channel: ChannelSettings;
  readonly outbound: OutboundSettings;
  /** The conversation the new mail opens (created by the caller, with its ticket number). */
  readonly conversation: PlanConversation;
  /** The agent's mail: validated, attachments resolved, template and signature chosen. */
  readonly request: NewMail;
  readonly headers?: readonly ExtraHeader[];
}

/**
 * Plans a new outbound mail (one that answers nothing): the agent's To, Cc, Bcc and subject,
 * with the ticket number placed per the channel's format, our Message-ID (also in References,
 * so a reply threads after SES rewrites the Message-ID), no In-Reply-To.
 *
 * Throws `ConflictError` when the channel's `outboundFlow` is off, `PolicyError('policy')` when the
 * From address is not allowed, `HeaderInjectionError` for an unsafe subject, name or address, and
 * `ValidationError` for too many recipients or an unusable template.
 */
export function planNewMail(deps: PlanDeps, input: PlanNewMailInput): PlannedMail {
  const { channel, outbound, conversation, request } = input;
  if (!outbound.outboundFlow) throw outboundFlowOff(channel.id);
  // The agent typed this subject: refused, not repaired, before the ticket number goes in.
  assertSafeHeaderText('subject', request.subject);
  const from = resolveFrom(channel, outbound, request.from);
  const recipients = replyRecipients({ answered: null, to: request.to, cc: request.cc, bcc: request.bcc, own: ownAddresses(channel, outbound) });
  const subject = newMailSubject(request.subject, conversation.ticketNumber, channel.ticket);
  assertSafeHeaderText('subject', subject);
  const messageId = newMessageId(deps.ids, domainOf(channel.address));
  const thread = threadHeaders({ answered: null, ownMessageId: messageId });
  return assembleMail({
    kind: 'new',
    channel,
    outbound,
    conversation,
    agent: request,
    from,
    recipients,
    subject,
    messageId,
    thread,
    headers: input.headers ?? [],
  });
}

/** The 409 of a new conversation on a channel whose outbound flow is off, naming the setting. */
export function outboundFlowOff(channelId: string): ConflictError {
  return new ConflictError(
    `channel ${channelId} has outboundFlow off: agents may only answer there; an admin sets "outboundFlow": true on the channel to let agents start conversations`,
  );
}
