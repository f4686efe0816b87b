import type { ChannelSettings } from '../../model/channel.ts';
import type { ParsedMessage } from '../../model/message.ts';
import type { OutboundMail } from '../../model/outbound-mail.ts';
import { acknowledgementHeaders, renderAcknowledgement } from './acknowledgement.ts';
import { assertSafeHeaderText } from '../compose/header-safety.ts';
import { channelTemplate, type PlanConversation } from '../compose/plan-parts.ts';
import { planReply, type PlanDeps } from '../compose/plan-reply.ts';
import { newMailSubject, stripReplyPrefixes } from '../compose/reply-subject.ts';

/** The agent id a planned acknowledgement carries; the stored message keeps no agent (`agentId: null`). */
export const ACKNOWLEDGEMENT_AGENT = 'postroom-acknowledgement';

// The planner's headers, without the threading ones: the mail's own In-Reply-To and References carry those.
const THREADING = new Set(['in-reply-to', 'references']);

export interface PlanAcknowledgementInput {
  readonly channel: ChannelSettings;
  /** The conversation the mail opened, with its ticket number. */
  readonly conversation: PlanConversation;
  /** The customer's mail acknowledged. */
  readonly answered: ParsedMessage;
  /** The one address acknowledged (`AcknowledgementDecision.to`): the one screened, suppression-checked and claimed. */
  readonly to: string;
}

/**
 * Plans the channel's acknowledgement of a mail that opened a conversation: a reply (From the
 * channel address, To the customer's Reply-To or From, the reply-token Reply-To, In-Reply-To and
 * References of the mail it answers) whose subject and text come from the channel's templates,
 * the subject with the ticket number placed as the channel formats it, marked automatic with
 * `Auto-Submitted: auto-replied`, `X-Auto-Response-Suppress: All` and `X-Loop`.
 */
export function planAcknowledgementMail(deps: PlanDeps, input: PlanAcknowledgementInput): OutboundMail {
  const { channel, conversation, answered } = input;
  const settings = channel.acknowledgement;
  const rendered = renderAcknowledgement(settings, {
    ticketNumber: conversation.ticketNumber,
    subject: stripReplyPrefixes(answered.subject),
    customerName: answered.from?.name || answered.from?.address || '',
    channelName: channel.displayName || channel.name,
  });
  const planned = planReply(deps, {
    channel,
    outbound: channel,
    conversation,
    answered,
    reply: {
      agentId: ACKNOWLEDGEMENT_AGENT,
      agentName: '',
      text: rendered.text,
      html: null,
      cc: [],
      bcc: [],
      attachments: [],
      template: channelTemplate(channel),
      signature: null,
    },
    headers: acknowledgementHeaders(channel.address, answered).filter((h) => !THREADING.has(h.name)),
  });
  const subject = newMailSubject(rendered.subject, conversation.ticketNumber, channel.ticket);
  assertSafeHeaderText('subject', subject);
  // Only the address the decision was about: never a second Reply-To address or the mail's Cc.
  const to = input.to.toLowerCase();
  const name = planned.mail.to.find((a) => a.address === to)?.name ?? '';
  return { ...planned.mail, subject, to: [{ address: to, name }], cc: [], bcc: [] };
}
