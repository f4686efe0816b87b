import type { AgentReply } from '../model/agent-reply.ts';
import type { OutboundJob } from '../model/outbound-job.ts';
import { OUTBOUND_JOB_SCHEMA_VERSION } from '../model/outbound-job.ts';
import type { OutboundMail } from '../model/outbound-mail.ts';
import type { OutboundStoredMessage } from '../model/stored-message.ts';
import { previewOf } from '../mail/preview.ts';


/** The stored form of a planned mail, `queued`, every recipient `queued`. */
export function queuedMessageOf(
  mail: OutboundMail,
  input: { readonly messageId: string; readonly purpose: OutboundStoredMessage['purpose']; readonly inReplyTo: string | null; readonly reply: Pick<AgentReply, 'text' | 'html'>; readonly at: string },
): OutboundStoredMessage {
  const recipients = [...mail.to, ...mail.cc, ...mail.bcc];
  return {
    direction: 'outbound',
    purpose: input.purpose,
    messageId: input.messageId,
    channelId: mail.channelId,
    conversationId: mail.conversationId,
    internetMessageId: mail.messageId,
    subject: mail.subject,
    from: { address: mail.from.address, name: mail.from.name },
    to: mail.to.map((a) => ({ address: a.address, name: a.name })),
    cc: mail.cc.map((a) => ({ address: a.address, name: a.name })),
    bcc: mail.bcc.map((a) => ({ address: a.address, name: a.name })),
    preview: previewOf(input.reply.text ?? stripTags(input.reply.html ?? '')),
    attachments: [],
    agentId: input.purpose === 'acknowledgement' ? null : mail.agentId,
    inReplyTo: input.inReplyTo,
    providerMessageId: null,
    threadIds: [mail.messageId],
    status: 'queued',
    statusReason: null,
    retrying: false,
    recipients: recipients.map((r) => ({ address: r.address, status: 'queued', smtpStatus: null, detail: null, at: input.at })),
    createdAt: input.at,
    sentAt: null,
    updatedAt: input.at,
  };
}

/** The job that makes the outbound function send a stored message. */
export function jobOf(message: OutboundStoredMessage): OutboundJob {
  return {
    schemaVersion: OUTBOUND_JOB_SCHEMA_VERSION,
    channelId: message.channelId,
    conversationId: message.conversationId,
    messageId: message.messageId,
    createdAt: message.createdAt,
  };
}

function stripTags(html: string): string {
  return html.replace(/<(style|script)\b[\s\S]*?<\/\1\s*>/gi, ' ').replace(/<[^>]*>/g, ' ');
}
