import type { AgentReply } from '../../model/agent-reply.ts';
import type { OutboundJob } from '../../model/outbound-job.ts';
import { OUTBOUND_JOB_SCHEMA_VERSION } from '../../model/outbound-job.ts';
import type { Attachment } from '../../model/message.ts';
import type { OutboundMail } from '../../model/outbound-mail.ts';
import type { OutboundStoredMessage } from '../../model/stored-message.ts';
import { previewOf } from '../../mail/preview.ts';

/** What the stored form of a planned mail records besides the plan; `attachments` are what the mail carries (none when absent). */
export interface QueuedMessageInput {
  readonly messageId: string;
  readonly purpose: OutboundStoredMessage['purpose'];
  /** To external parties: a forward, or a reply to an external party's mail. @default false */
  readonly external?: boolean;
  readonly inReplyTo: string | null;
  readonly reply: Pick<AgentReply, 'text' | 'html'>;
  readonly at: string;
  readonly attachments?: readonly Attachment[];
}

/** The stored form of a planned mail, `queued`, every recipient `queued`. */
export function queuedMessageOf(mail: OutboundMail, input: QueuedMessageInput): OutboundStoredMessage {
  const recipients = [...mail.to, ...mail.cc, ...mail.bcc];
  return {
    direction: 'outbound',
    purpose: input.purpose,
    external: input.external ?? input.purpose === 'forward',
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
    attachments: (input.attachments ?? []).map((a) => ({ ...a })),
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

/**
 * The text of HTML for a preview: tags become spaces, `style` and `script` go with their content.
 * One pass with forward-only searches (a regular expression here took minutes on a reply of
 * thousands of unclosed `<style`), and each end is searched for once: none found means none later.
 */
function stripTags(html: string): string {
  const lower = html.toLowerCase();
  const parts: string[] = [];
  const unclosed = new Set<string>();
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    const gt = lt < 0 ? -1 : html.indexOf('>', lt);
    if (gt < 0) {
      parts.push(html.slice(i));
      break;
    }
    parts.push(html.slice(i, lt), ' ');
    i = gt + 1;
    const raw = /^<(style|script)\b/.exec(lower.slice(lt, lt + 8))?.[1];
    if (raw === undefined || unclosed.has(raw)) continue;
    const end = lower.indexOf(`</${raw}`, i);
    const endGt = end < 0 ? -1 : lower.indexOf('>', end);
    if (endGt < 0) unclosed.add(raw);
    else i = endGt + 1;
  }
  return parts.join('');
}
