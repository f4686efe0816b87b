import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { DynamoMessageStore } from '../adapters/dynamo-message-store.ts';
import { AppError } from '../core/errors.ts';
import { startConversation, type StartedConversation } from '../core/outbound/compose/start-conversation.ts';
import type { SandboxInfo } from '../local/sandbox.ts';
import { type Command, UsageError } from './command.ts';
import { writeJsonLine } from './output.ts';
import { AGENT_MAIL_OPTIONS, settled, uploadAttachments } from './reply.ts';
import { sandboxClients, sandboxQueueReplyDeps } from './sandbox-clients.ts';
import { readSandboxInfo } from './sandbox-file.ts';

const HELP = `Usage: postroom compose --channel ID --to ADDRESS [--to ADDRESS]... --subject TEXT --text TEXT
                       [--html FILE] [--from ADDRESS] [--agent ID] [--attach FILE]... [--cc ADDRESS]... [--no-wait]

Starts a conversation in the running sandbox with an agent's new mail to a customer, as
POST /conversations does: the channel must have "outboundFlow": true. The conversation gets a
ticket number (in the subject) and a reply token (in Reply-To); the mail is queued and sent
like a reply (\`npx postroom outbox\` shows it), and the customer's answer joins the conversation.

Prints one JSON line: conversationId, ticketNumber, messageId, state (sent, failed or queued),
reason, subject and To.

Options:
  --channel ID      the channel to write from (its outboundFlow must be on)
  --to ADDRESS      a recipient; repeat for several
  --subject TEXT    the subject (the ticket number is placed per the channel's format)
  --text TEXT       the mail's text
  --html FILE       an HTML body (the text alternative is made from it when --text is missing)
  --from ADDRESS    one of the channel's allowed From addresses (default: the channel address)
  --agent ID        the writing agent (default: agent-1)
  --attach FILE     attach a file
  --cc ADDRESS      add a Cc recipient
  --no-wait         print the queued message at once instead of waiting for the send

Example:
  npx postroom compose --channel support --to vera@example.org --subject "Your replacement part" \\
    --text "Hello Vera, the part ships on Monday."`;

export const composeCommand: Command = {
  help: HELP,
  async run(args) {
    const { values } = parseArgs({
      args: [...args],
      options: { channel: { type: 'string' }, to: { type: 'string', multiple: true }, subject: { type: 'string' }, ...AGENT_MAIL_OPTIONS },
    });
    if (!values.channel) throw new UsageError('name the channel: --channel ID');
    if (!values.to || values.to.length === 0) throw new UsageError('name a recipient: --to ADDRESS');
    if (!values.subject) throw new UsageError('give a subject: --subject TEXT');
    if (!values.text && !values.html) throw new UsageError('give the mail: --text TEXT or --html FILE');
    const info = await readSandboxInfo();
    const files = await Promise.all((values.attach ?? []).map(async (file) => ({ file, content: await readFile(file) })));
    const html = values.html ? await readFile(values.html, 'utf8') : null;
    const started = await composeInSandbox(info, {
      channelId: values.channel,
      to: values.to,
      subject: values.subject,
      text: values.text ?? null,
      html,
      agentId: values.agent ?? 'agent-1',
      ...(values.from ? { from: values.from } : {}),
      cc: values.cc ?? [],
      files,
      wait: !values['no-wait'],
    }).catch((error: unknown) => {
      if (error instanceof AppError) throw new UsageError(`new conversation refused (${error.code}): ${error.message}`);
      throw error;
    });
    const m = started.message;
    await writeJsonLine({
      conversationId: started.conversation.id,
      ticketNumber: started.conversation.ticketNumber,
      messageId: m.messageId,
      state: m.status,
      reason: m.statusReason,
      retrying: m.retrying,
      subject: m.subject,
      to: m.to.map((a) => a.address),
      threadIds: m.threadIds,
    });
    return m.status === 'failed' && !m.retrying ? 1 : 0;
  },
};

interface SandboxCompose {
  readonly channelId: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string | null;
  readonly html: string | null;
  readonly agentId: string;
  readonly from?: string;
  readonly cc: readonly string[];
  readonly files: readonly { readonly file: string; readonly content: Uint8Array }[];
  readonly wait: boolean;
}

/** Starts a conversation in a running sandbox through the real use case and adapters, as the admin API would. */
async function composeInSandbox(info: SandboxInfo, request: SandboxCompose): Promise<StartedConversation> {
  const clients = sandboxClients(info);
  try {
    const attachments = await uploadAttachments(clients, info, request.agentId, request.files);
    const deps = sandboxQueueReplyDeps(clients, info);
    const started = await startConversation(deps, {
      channelId: request.channelId,
      to: [...request.to],
      subject: request.subject,
      agentId: request.agentId,
      text: request.text,
      html: request.html,
      ...(request.from ? { from: request.from } : {}),
      cc: [...request.cc],
      attachments,
    });
    const message = request.wait ? await settled(new DynamoMessageStore(clients.db, info.table), started.message) : started.message;
    return { ...started, message };
  } finally {
    clients.destroy();
  }
}
