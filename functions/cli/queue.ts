import { DeleteMessageBatchCommand, GetQueueUrlCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { parseArgs } from 'node:util';
import { RoutedMessageSchema, type RoutedMessage } from '../core/model/routed-message.ts';
import { createSqsClient } from '../runtime/clients.ts';
import { type Command, UsageError } from './command.ts';
import { writeJsonLine } from './output.ts';
import type { SandboxInfo } from '../local/sandbox.ts';
import { readSandboxInfo } from './sandbox-file.ts';

const HELP = `Usage: postroom queue SKILL [--json] [--take]

Shows what waits on a skill's queue in the running sandbox: one line per routed message (ticket,
new or joining conversation, lane, priority, sender, subject, tags), in queue order. Looking
uses the local SQS server's inspection endpoint, so every message of a FIFO group shows and
nothing changes on the queue. --take receives and deletes them through the SQS API instead.

Options:
  --json   print each routed-message record as a JSON line (docs/schemas/routed-message.v1.json)
  --take   delete the messages after printing them, as an agent's app would after handling them

Examples:
  npx postroom queue support
  npx postroom queue billing --json | jq .ticketNumber`;


export const queueCommand: Command = {
  help: HELP,
  async run(args) {
    const { values, positionals } = parseArgs({ args: [...args], options: { json: { type: 'boolean' }, take: { type: 'boolean' } }, allowPositionals: true });
    const info = await readSandboxInfo();
    const skill = positionals[0];
    const url = skill ? (info.queues[skill] ?? (await apiSkillQueue(info, skill))) : undefined;
    if (!skill || !url) throw new UsageError(`name a skill: ${Object.keys(info.queues).join(', ')}, or one created through the admin API`);
    const bodies = values.take ? await take(info, url) : await peek(info.aws.endpoints.sqs, url);
    for (const body of bodies) {
      const record = RoutedMessageSchema.parse(JSON.parse(body));
      if (values.json) await writeJsonLine(record);
      else process.stdout.write(`${summary(record)}\n`);
    }
    if (!values.json) process.stdout.write(`${bodies.length} message(s) on ${skill}${values.take ? ' (taken)' : ''}\n`);
    return 0;
  },
};

/** The queue of a skill created through the admin API (not in the sandbox file): found by its name. */
async function apiSkillQueue(info: SandboxInfo, skill: string): Promise<string | undefined> {
  if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(skill)) return undefined;
  const sqs = createSqsClient({ region: info.aws.region, credentials: info.aws.credentials, endpoint: info.aws.endpoints.sqs });
  try {
    return (await sqs.send(new GetQueueUrlCommand({ QueueName: `${skill}.fifo` }))).QueueUrl;
  } catch {
    return undefined;
  } finally {
    sqs.destroy();
  }
}

function summary(m: RoutedMessage): string {
  const from = m.from ? (m.from.name ? `${m.from.name} <${m.from.address}>` : m.from.address) : '(no sender)';
  const tags = m.tags.length > 0 ? ` [${m.tags.join(', ')}]` : '';
  return `#${m.ticketNumber}  ${m.isNewConversation ? 'new ' : 'join'}  ${m.lane.padEnd(13)} ${m.priority.padEnd(6)} ${from}  "${m.subject}"${tags}`;
}

interface InspectedMessage {
  readonly body: string;
  readonly sequenceNumber?: string;
}

/** Every message on the queue (ready, in flight, delayed) from fauxqs's read-only inspection endpoint. */
async function peek(endpoint: string, queueUrl: string): Promise<string[]> {
  const name = queueUrl.slice(queueUrl.lastIndexOf('/') + 1);
  const response = await fetch(`${endpoint}/_fauxqs/queues/${encodeURIComponent(name)}`);
  if (!response.ok) throw new Error(`local SQS inspection of ${name} answered ${response.status}`);
  const state = (await response.json()) as { messages: Record<'ready' | 'delayed' | 'inflight', (InspectedMessage | { message: InspectedMessage })[]> };
  const all = [...state.messages.inflight, ...state.messages.ready, ...state.messages.delayed].map((m) => ('message' in m ? m.message : m));
  return all.sort((a, b) => (a.sequenceNumber ?? '').localeCompare(b.sequenceNumber ?? '')).map((m) => m.body);
}

/** Receives and deletes every message, as an agent's app does: a group's next message comes once the one before is deleted. */
async function take(info: SandboxInfo, url: string): Promise<string[]> {
  const sqs = createSqsClient({ region: info.aws.region, endpoint: info.aws.endpoints.sqs, credentials: { ...info.aws.credentials } });
  const bodies: string[] = [];
  try {
    for (;;) {
      const page = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      const messages = page.Messages ?? [];
      if (messages.length === 0) return bodies;
      bodies.push(...messages.map((m) => m.Body ?? '{}'));
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
    }
  } finally {
    sqs.destroy();
  }
}
