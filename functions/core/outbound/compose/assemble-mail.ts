import type { AgentReply } from '../../model/agent-reply.ts';
import type { ChannelSettings } from '../../model/channel.ts';
import type { ExtraHeader, OutboundAddress, OutboundMail } from '../../model/outbound-mail.ts';
import type { OutboundSettings } from '../../model/outbound-settings.ts';
import { checkAttachments, checkHeaders, contentOf, resolveReplyTo, transportOf, type PlanConversation } from './plan-parts.ts';
import type { Recipients } from './reply-recipients.ts';
import type { ThreadHeaders } from './thread-headers.ts';

/** A planned mail and the reasons behind its recipients and threading. */
export interface PlannedMail {
  readonly mail: OutboundMail;
  readonly recipientsFrom: Recipients['source'];
  /** Addresses left out, with why. */
  readonly dropped: readonly string[];
  /** References dropped to stay within the limits. */
  readonly referencesTrimmed: number;
}

/** What a reply and a new mail each decide before the mail is put together. */
export interface MailParts {
  readonly kind: OutboundMail['kind'];
  readonly channel: ChannelSettings;
  readonly outbound: OutboundSettings;
  readonly conversation: PlanConversation;
  /** The agent's validated input: content, signature, attachments. */
  readonly agent: AgentReply;
  readonly from: OutboundAddress;
  readonly recipients: Recipients;
  readonly subject: string;
  readonly messageId: string;
  readonly thread: ThreadHeaders;
  readonly headers: readonly ExtraHeader[];
}

/** The planned mail of a reply or a new mail: the parts both share, checked the same way. */
export function assembleMail(p: MailParts): PlannedMail {
  const { channel, outbound, conversation, recipients, thread } = p;
  const mail: OutboundMail = {
    kind: p.kind,
    channelId: channel.id,
    conversationId: conversation.id,
    agentId: p.agent.agentId,
    from: p.from,
    replyTo: resolveReplyTo(channel, conversation, p.from),
    to: [...recipients.to],
    cc: [...recipients.cc],
    bcc: [...recipients.bcc],
    subject: p.subject,
    messageId: p.messageId,
    inReplyTo: thread.inReplyTo,
    references: [...thread.references],
    content: contentOf(channel, outbound, conversation, p.agent),
    attachments: checkAttachments(p.agent.attachments),
    headers: checkHeaders(p.headers),
    transport: transportOf(outbound),
  };
  return { mail, recipientsFrom: recipients.source, dropped: recipients.dropped, referencesTrimmed: thread.trimmed };
}
