import { PutObjectCommand } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoChannelDirectory } from '../adapters/dynamo-channel-directory.ts';
import { DynamoConversationStore } from '../adapters/dynamo-conversation-store.ts';
import { DynamoMessageStore } from '../adapters/dynamo-message-store.ts';
import { SystemClock } from '../adapters/system-clock.ts';
import { conversationsWithTicket, onlyConversation } from '../core/conversation/find-by-ticket.ts';
import { AppError, ConflictError } from '../core/errors.ts';
import type { ReplyAttachment } from '../core/model/reply-request.ts';
import type { OutboundStoredMessage } from '../core/model/stored-message.ts';
import { queueReply } from '../core/outbound/compose/queue-reply.ts';
import { agentUploadPrefix } from '../core/outbound/compose/upload-keys.ts';
import { type Command, UsageError } from './command.ts';
import { writeJsonLine } from './output.ts';
import { type SandboxClients, sandboxClients, sandboxQueueReplyDeps } from './sandbox-clients.ts';
import { readSandboxInfo } from './sandbox-file.ts';
import type { SandboxInfo } from '../local/sandbox.ts';

const HELP = `Usage: postroom reply (--conversation ID | --ticket NUMBER) --text TEXT [--html FILE]
                     [--from ADDRESS] [--agent ID] [--attach FILE]... [--cc ADDRESS]... [--no-wait]

Answers a conversation in the running sandbox as an agent's app would: the reply is validated,
recorded on the conversation as queued and put on the outbound queue; the sandbox's outbound
function composes it (Re: subject with the ticket number, In-Reply-To and References, the
channel's template, a reply-token Reply-To) and sends it through the channel's transport (SES or
its SMTP server). The mail lands in the outbox folder (\`npx postroom outbox\`).

Prints one JSON line: messageId, conversationId, state (sent, failed or queued), reason, and the
Message-IDs a reply to it may carry.

Options:
  --conversation ID   the conversation (conversationId of \`npx postroom queue SKILL --json\`)
  --ticket NUMBER     or its ticket number (one number names one conversation; an old number
                      that names several on different channels is refused, each named)
  --text TEXT         the reply's text
  --html FILE         an HTML body (the text alternative is made from it when --text is missing)
  --from ADDRESS      one of the channel's allowed From addresses (default: the channel address)
  --agent ID          the agent's id, kept as the conversation's last agent (default: agent-1)
  --attach FILE       attach a file (uploaded to the mail bucket as an agent's app would)
  --cc ADDRESS        add a Cc recipient
  --no-wait           print the queued message at once instead of waiting for the send

Examples:
  npx postroom reply --ticket 0000013 --text "Your parcel left today."
  npx postroom reply --conversation 6f0c… --text "See the invoice." --attach invoice.pdf`;

const TYPES: Record<string, string> = {
  '.pdf': 'application/pdf',
  '.txt': 'text/plain',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.csv': 'text/csv',
  '.html': 'text/html',
};

/** The options `reply` and `compose` share: the mail's text or HTML, From, the agent, files, Cc, and whether to wait for the send. */
export const AGENT_MAIL_OPTIONS = {
  text: { type: 'string' },
  html: { type: 'string' },
  from: { type: 'string' },
  agent: { type: 'string' },
  attach: { type: 'string', multiple: true },
  cc: { type: 'string', multiple: true },
  'no-wait': { type: 'boolean' },
} as const;

export const replyCommand: Command = {
  help: HELP,
  async run(args) {
    const { values } = parseArgs({
      args: [...args],
      options: { conversation: { type: 'string' }, ticket: { type: 'string' }, ...AGENT_MAIL_OPTIONS },
    });
    if (!values.conversation && !values.ticket) throw new UsageError('name the conversation: --conversation ID or --ticket NUMBER');
    if (!values.text && !values.html) throw new UsageError('give the reply: --text TEXT or --html FILE');
    const info = await readSandboxInfo();
    const attachments = await Promise.all((values.attach ?? []).map(async (file) => ({ file, content: await readFile(file) })));
    const final = await replyInSandbox(info, {
      ...(values.conversation ? { conversationId: values.conversation } : { ticket: values.ticket ?? '' }),
      agentId: values.agent ?? 'agent-1',
      text: values.text ?? null,
      html: values.html ? await readFile(values.html, 'utf8') : null,
      ...(values.from ? { from: values.from } : {}),
      cc: values.cc ?? [],
      attachments,
      wait: !values['no-wait'],
    }).catch((error: unknown) => {
      if (error instanceof AppError) throw new UsageError(`reply refused (${error.code}): ${error.message}`);
      throw error;
    });
    await writeJsonLine({
      messageId: final.messageId,
      conversationId: final.conversationId,
      state: final.status,
      reason: final.statusReason,
      retrying: final.retrying,
      subject: final.subject,
      to: final.to.map((a) => a.address),
      threadIds: final.threadIds,
    });
    return final.status === 'failed' && !final.retrying ? 1 : 0;
  },
};

export interface SandboxReply {
  readonly conversationId?: string;
  readonly ticket?: string;
  readonly agentId: string;
  readonly text: string | null;
  readonly html: string | null;
  readonly from?: string;
  readonly cc: readonly string[];
  readonly attachments: readonly { readonly file: string; readonly content: Uint8Array }[];
  /** Wait for the outbound function to send it (or give up), up to 20 s. */
  readonly wait: boolean;
}

/**
 * Queues a reply in a running sandbox through the real use case and adapters, as an agent's app
 * (or the admin API) would, uploading attachments to the mail bucket first.
 */
export async function replyInSandbox(info: SandboxInfo, request: SandboxReply): Promise<OutboundStoredMessage> {
  const clients = sandboxClients(info);
  try {
    const clock = new SystemClock();
    const channels = new DynamoChannelDirectory(clients.db, info.table, { clock, cacheMs: 0 });
    const conversations = new DynamoConversationStore(clients.db, info.table);
    const messages = new DynamoMessageStore(clients.db, info.table);
    const conversationId = request.conversationId ?? (await findByTicket(channels, conversations, request.ticket ?? ''));
    const attachments = await uploadAttachments(clients, info, request.agentId, request.attachments);
    const deps = sandboxQueueReplyDeps(clients, info);
    const queued = await queueReply(deps, {
      conversationId,
      agentId: request.agentId,
      text: request.text,
      html: request.html,
      ...(request.from ? { from: request.from } : {}),
      cc: [...request.cc],
      attachments,
    });
    return request.wait ? await settled(messages, queued) : queued;
  } finally {
    clients.destroy();
  }
}

/** Uploads files to the mail bucket below the agent's uploads, as an agent's app does through `POST /attachments`. */
export async function uploadAttachments(
  clients: SandboxClients,
  info: SandboxInfo,
  agentId: string,
  files: readonly { readonly file: string; readonly content: Uint8Array }[],
): Promise<ReplyAttachment[]> {
  const attachments: ReplyAttachment[] = [];
  for (const { file, content } of files) {
    // The key keeps to the characters an upload key may have; the filename stays as it is.
    const key = `${agentUploadPrefix(agentId)}${randomUUID()}/${basename(file).replace(/[^A-Za-z0-9._-]/g, '_')}`;
    await clients.s3.send(new PutObjectCommand({ Bucket: info.bucket, Key: key, Body: content }));
    attachments.push({ source: 's3', key, filename: basename(file), contentType: TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream' });
  }
  return attachments;
}

/** The one conversation of a ticket number on any channel; several (numbers from before they were unique) are refused, each named. */
async function findByTicket(channels: DynamoChannelDirectory, conversations: DynamoConversationStore, ticket: string): Promise<string> {
  const ids = (await channels.all()).map((c) => c.id);
  const found = await conversationsWithTicket((id, t) => conversations.findByTicketNumber(id, t), ids, ticket);
  try {
    const one = onlyConversation(found, ticket);
    if (one) return one.id;
  } catch (error) {
    if (error instanceof ConflictError) throw new UsageError(`${error.message} (--conversation ID)`);
    throw error;
  }
  throw new UsageError(`no conversation has ticket number ${ticket}`);
}

/** The stored message once the outbound function has sent it (or given up on it), or as queued after 20 s. */
export async function settled(messages: DynamoMessageStore, queued: OutboundStoredMessage): Promise<OutboundStoredMessage> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const current = await messages.getOutbound(queued);
    if (current.status !== 'queued' && !(current.status === 'failed' && current.retrying)) return current;
    if (Date.now() > deadline) return current;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}
