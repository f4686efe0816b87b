import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { parseArgs } from 'node:util';
import { DynamoVersionedStore } from '../adapters/dynamo-versioned-store.ts';
import { SKILL_PARTITION } from '../adapters/dynamo-schema.ts';
import { everything } from '../core/admin/admin-context.ts';
import { SkillRecordSchema } from '../core/model/admin-resources.ts';
import { StoredRoutedMessageSchema, type RoutedMessage } from '../core/model/routed-message.ts';
import { createDocumentClient, createSqsClient } from '../runtime/clients.ts';
import { type Command, UsageError } from './command.ts';
import { writeJsonLine } from './output.ts';
import type { SandboxInfo } from '../local/sandbox.ts';
import { unreachable } from './sandbox-clients.ts';
import { readSandboxInfo } from './sandbox-file.ts';

const HELP = `Usage: postroom queue SKILL [--json] [--take]

Shows what waits on a skill's queue in the running sandbox: one line per routed message (ticket,
new or joining conversation, lane, priority, sender, subject, tags), in queue order. Looking
uses the local SQS server's inspection endpoint, so every message of a FIFO group shows and
nothing changes on the queue. --take receives and deletes them through the SQS API instead.
SKILL is one of the sandbox's config or one created through the admin API since; another name
exits 1, listing the skills there are.

Options:
  --json   print each routed-message record as a JSON line (docs/schemas/routed-message.v2.json)
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
    const queues = await skillQueues(info);
    if (!skill) throw new UsageError(`name a skill: ${[...queues.keys()].join(', ')}`);
    const url = queues.get(skill);
    if (!url) {
      process.stderr.write(`postroom queue: unknown skill '${skill}': the sandbox has ${[...queues.keys()].join(', ')}\n`);
      return 1;
    }
    const bodies = values.take ? await take(info, url) : await peek(info.aws.endpoints.sqs, url);
    for (const body of bodies) {
      const record = StoredRoutedMessageSchema.parse(JSON.parse(body));
      if (values.json) await writeJsonLine(record);
      else process.stdout.write(`${summary(record)}\n`);
    }
    if (!values.json) process.stdout.write(`${bodies.length} message(s) on ${skill}${values.take ? ' (taken)' : ''}\n`);
    return 0;
  },
};

/**
 * Every skill of the running sandbox with its queue URL: those of its config (in the sandbox file)
 * and those created through the admin API since, from their items in the table.
 */
async function skillQueues(info: SandboxInfo): Promise<Map<string, string>> {
  const queues = new Map(Object.entries(info.queues));
  // One attempt: a sandbox that stopped without cleaning up is said at once, not retried.
  const db = createDocumentClient({ region: info.aws.region, endpoint: info.aws.endpoints.dynamodb, credentials: { ...info.aws.credentials }, maxAttempts: 1 });
  try {
    const store = new DynamoVersionedStore(db, info.table, { partition: SKILL_PARTITION, attribute: 'skill', schema: SkillRecordSchema });
    for (const { value } of await everything((page) => store.list(page))) if (value.queueUrl) queues.set(value.name, value.queueUrl);
  } catch (error) {
    throw unreachable(error, info.aws.endpoints.dynamodb);
  } finally {
    db.destroy();
  }
  return queues;
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
