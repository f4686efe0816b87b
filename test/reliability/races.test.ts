import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import type { Message } from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoChannelDirectory } from '../../functions/adapters/dynamo-channel-directory.ts';
import { DynamoConversationStore } from '../../functions/adapters/dynamo-conversation-store.ts';
import { createTableInput } from '../../functions/adapters/dynamo-schema.ts';
import { DynamoTicketSequence } from '../../functions/adapters/dynamo-ticket-sequence.ts';
import { RoutedMessageSchema, type RoutedMessage } from '../../functions/core/model/routed-message.ts';
import type { OutboundStoredMessage } from '../../functions/core/model/stored-message.ts';
import { jobOf } from '../../functions/core/outbound/send/outbound-record.ts';
import { queueReply } from '../../functions/core/outbound/compose/queue-reply.ts';
import { createQueueReplyDeps } from '../../functions/runtime/queue-reply-deps.ts';
import { startAdminHarness } from '../support/admin-api.ts';
import { EXAMPLE_CONFIG, startSeededLocalAws, type LocalAws } from '../support/local-aws.ts';
import {
  type InboundEvent,
  type SesStandIn,
  containerClients,
  deliverAsync,
  failuresOf,
  inParallel,
  inboundHandler,
  lambdaContext,
  outboundHandler,
  pause,
  rawMail,
  receiptEvent,
  receive,
  remove,
  scanTable,
  sqsEventOf,
  sqsRecord,
  startSes,
  storeRaw,
} from './support/world.ts';

/*
 * Races: what arrives at once, each event in a Lambda container of its own (its own SDK clients
 * and adapters), against the local servers. What is asserted is what the same events give one
 * after the other: one conversation, one number each, every reply sent in queue order, every
 * mail routed once.
 */

let aws: LocalAws;
let ses: SesStandIn;
let keyDir: string;
let n = 0;
const sesId = (label: string): string => `${label}-${String(++n).padStart(5, '0')}-0100018cabcdef`;

beforeAll(async () => {
  aws = await startSeededLocalAws();
  ses = await startSes();
  keyDir = await mkdtemp(join(tmpdir(), 'postroom-races-'));
});

afterAll(async () => {
  await ses?.stop();
  await aws?.stop();
  await rm(keyDir, { recursive: true, force: true });
});

/**
 * Invokes the inbound function once per event, each in a container of its own, all at once. An
 * invocation that throws is invoked again a little later, as Lambda retries an asynchronous event.
 */
async function burst(on: LocalAws, events: readonly InboundEvent[], env: Record<string, string> = {}) {
  const containers = events.map(() => containerClients(on));
  try {
    const handlers = containers.map((clients, c) => {
      const handler = inboundHandler(on, env, clients);
      return (m: InboundEvent) => handler(receiptEvent(m), lambdaContext('postroom-inbound', `container-${c}`));
    });
    return await deliverAsync(events, handlers, { retryDelayMs: 100 });
  } finally {
    for (const c of containers) c.destroy();
  }
}

const routedOf = (messages: readonly Message[]): RoutedMessage[] => messages.map((m) => RoutedMessageSchema.parse(JSON.parse(m.Body ?? '')));
const inboundRecordsOf = (items: readonly Record<string, unknown>[], mails: readonly InboundEvent[]) =>
  mails.map((m) => items.find((i) => i.pk === `INBOUND#${m.sesMessageId}` && String(i.sk).startsWith('CHANNEL#')));
const failedMail = (items: readonly Record<string, unknown>[]) => items.filter((i) => String(i.sk).startsWith('FAILED#'));

describe('50 replies to one brand-new mail, at once', () => {
  /** A customer's mail to support copying her colleagues, and each colleague's reply-all (In-Reply-To and References: her mail). */
  function replyAllThread(label: string): { parent: InboundEvent; replies: InboundEvent[]; messageIds: string[] } {
    const parentId = `${label}@customer.example`;
    const parent: InboundEvent = {
      sesMessageId: sesId(label),
      recipients: ['support@example.com'],
      raw: rawMail({
        messageId: parentId,
        from: 'Carla <carla@customer.example>',
        to: 'support@example.com',
        cc: 'team@customer.example',
        subject: 'Our whole office is offline',
        body: 'Nobody can log in.',
      }),
    };
    const replyIds = Array.from({ length: 50 }, (_, k) => `${label}-re-${k}@customer.example`);
    const replies = replyIds.map(
      (id, k): InboundEvent => ({
        sesMessageId: sesId(`${label}-re`),
        recipients: ['support@example.com'],
        raw: rawMail({
          messageId: id,
          from: `colleague${k}@customer.example`,
          to: 'support@example.com',
          cc: 'carla@customer.example',
          subject: 'Re: Our whole office is offline',
          body: `Same here (desk ${k}).`,
          inReplyTo: parentId,
        }),
      }),
    );
    return { parent, replies, messageIds: [parentId, ...replyIds] };
  }

  /** All 51 mails routed into one published conversation with one ticket number; one pointer each, one of them opening it. */
  async function expectOneConversation(thread: ReturnType<typeof replyAllThread>): Promise<void> {
    const all = [thread.parent, ...thread.replies];
    const items = await scanTable(aws);
    expect(failedMail(items)).toEqual([]);
    const records = inboundRecordsOf(items, all);
    expect(records.map((r) => r?.state)).toEqual(all.map(() => 'routed'));
    const conversationId = String(records[0]?.conversationId);
    expect(records.map((r) => r?.conversationId)).toEqual(all.map(() => conversationId));
    const conversation = items.find((i) => i.pk === `CONV#${conversationId}` && i.sk === 'CONV');
    expect(conversation).toMatchObject({ visibility: 'published' });
    const stored = items.filter((i) => String(i.sk).startsWith('MSG#') && all.some((m) => m.sesMessageId === i.sesMessageId));
    expect(stored.map((m) => m.pk)).toEqual(all.map(() => `CONV#${conversationId}`));
    const found = await new DynamoConversationStore(aws.db, aws.tableName).findByMessageIds('support', thread.messageIds);
    expect(thread.messageIds.map((id) => found.get(id)?.id)).toEqual(thread.messageIds.map(() => conversationId));
    expect(items.filter((i) => i.pk === `TICKET#support#${String(conversation?.ticketNumber)}`)).toHaveLength(1);
    // The candidates that lost the race are merged into the winner, none left pending or published.
    const lost = items.filter(
      (i) => i.sk === 'CONV' && i.id !== conversationId && records.some((r) => (r?.candidate as { conversationId?: string } | null)?.conversationId === i.id),
    );
    expect(lost.filter((c) => c.visibility !== 'merged' || c.mergedInto !== conversationId)).toEqual([]);
    const pointers = routedOf(await aws.drain(aws.queueUrls.support ?? ''));
    expect(pointers.map((p) => p.internetMessageId).sort()).toEqual([...thread.messageIds].sort());
    expect(new Set(pointers.map((p) => p.messageId)).size).toBe(51);
    expect(pointers.map((p) => p.conversationId)).toEqual(all.map(() => conversationId));
    expect(pointers.filter((p) => p.isNewConversation)).toHaveLength(1);
  }

  it('ends in one conversation when the replies race each other before the mail they answer arrives', { timeout: 120_000 }, async () => {
    // Arrange
    const thread = replyAllThread('outage-a');
    for (const m of [thread.parent, ...thread.replies]) await storeRaw(aws, m);

    // Act: the 50 replies at once in 50 containers, then the mail they answer
    const replies = await burst(aws, thread.replies);
    const parent = await burst(aws, [thread.parent]);

    // Assert
    expect([replies.invocations - replies.retried, parent.invocations - parent.retried]).toEqual([50, 1]);
    await expectOneConversation(thread);
  });

  it('ends in one conversation when the mail and its 50 replies all arrive at once', { timeout: 120_000 }, async () => {
    // Arrange
    const thread = replyAllThread('outage-b');
    for (const m of [thread.parent, ...thread.replies]) await storeRaw(aws, m);

    // Act: 51 containers at once, the mail among its replies
    const run = await burst(aws, [...thread.replies.slice(0, 25), thread.parent, ...thread.replies.slice(25)]);

    // Assert
    expect(run.invocations - run.retried).toBe(51);
    await expectOneConversation(thread);
  });
});

describe('ticket numbers', () => {
  it('stay unique across 10,000 allocations, 200 in flight at once, from the very first draw', { timeout: 180_000 }, async () => {
    // Arrange: a deployment upgraded from per-channel counters (support had counted to 12, billing to 40), with no
    // deployment-wide counter yet, so the first 200 draws also race to seed it; on a table of its own
    const tableName = 'postroom-tickets';
    await aws.db.send(new CreateTableCommand(createTableInput(tableName)));
    const directory = new DynamoChannelDirectory(aws.db, tableName, { clock: { now: () => new Date() }, cacheMs: 0 });
    for (const channel of EXAMPLE_CONFIG.channels) await directory.put(channel);
    for (const [channelId, value] of [
      ['support', 12],
      ['billing', 40],
    ] as const) {
      await aws.db.send(new PutCommand({ TableName: tableName, Item: { pk: `COUNTER#${channelId}`, sk: 'TICKET', value } }));
    }
    // Four containers of 50 connections each (the SDK's default): all 200 draws on the wire at once.
    const containers = Array.from({ length: 4 }, () => containerClients(aws));
    const sequences = containers.map((c) => new DynamoTicketSequence(c.db, tableName));
    const drawn: number[] = [];

    // Act: new conversations on both channels, 200 draws in flight at any time
    try {
      await inParallel(
        Array.from({ length: 10_000 }, (_, i) => i),
        200,
        async (i) => {
          drawn.push(await (sequences[i % sequences.length] as DynamoTicketSequence).next(i % 2 === 0 ? 'support' : 'billing'));
        },
      );
    } finally {
      for (const c of containers) c.destroy();
    }

    // Assert: every number once, all above the numbers of before, none skipped
    expect(drawn).toHaveLength(10_000);
    expect(new Set(drawn).size).toBe(10_000);
    expect([...drawn].sort((a, b) => a - b)).toEqual(Array.from({ length: 10_000 }, (_, i) => 41 + i));
    const counter = await aws.db.send(new GetCommand({ TableName: tableName, Key: { pk: 'COUNTER#*', sk: 'TICKET' }, ConsistentRead: true }));
    expect(counter.Item?.value).toBe(10_040);
  });
});

describe('two agents answering one conversation at once', () => {
  it('sends both replies, in the order the outbound queue holds them', { timeout: 120_000 }, async () => {
    // Arrange: 20 conversations
    const mails = Array.from(
      { length: 20 },
      (_, i): InboundEvent => ({
        sesMessageId: sesId('printer'),
        recipients: ['support@example.com'],
        raw: rawMail({
          messageId: `printer-${i}@customer.example`,
          from: `c${i}@customer.example`,
          to: 'support@example.com',
          subject: `Broken printer ${i}`,
          body: 'It does not print.',
        }),
      }),
    );
    for (const m of mails) await storeRaw(aws, m);
    const inbound = inboundHandler(aws);
    for (const m of mails) await inbound(receiptEvent(m), lambdaContext('postroom-inbound'));
    const conversationIds = routedOf(await aws.drain(aws.queueUrls.support ?? '')).map((p) => p.conversationId);
    expect(conversationIds).toHaveLength(20);
    // Each agent's app (the admin API) in a container of its own.
    const agents = [containerClients(aws), containerClients(aws)];
    const replyDeps = agents.map((c) =>
      createQueueReplyDeps({ db: c.db, s3: c.s3, sqs: c.sqs, tableName: aws.tableName, bucket: aws.bucket, outboundQueueUrl: aws.outbound.queueUrl }),
    );

    // One agent writes a long answer (slow to compose and send), the other a short one that could overtake it.
    const texts = ['Please try these steps one by one and tell us where it stops.\n\n'.repeat(2000), 'Quick note: it is a known fault, a fix is coming.'];

    // Act: in every conversation both agents reply at once
    const queued = await Promise.all(
      conversationIds.map((conversationId) =>
        Promise.all(replyDeps.map((deps, k) => queueReply(deps, { conversationId, agentId: `agent-${k + 1}`, text: texts[k] ?? '' }))),
      ),
    );
    for (const c of agents) c.destroy();
    // The queue's order within each conversation's group: a receive gives its head; the other reply is behind it.
    const heads: Message[] = [];
    while (heads.length < conversationIds.length) heads.push(...(await receive(aws, aws.outbound.queueUrl)));
    const queueOrder = new Map(
      heads.map((head) => {
        const first = (JSON.parse(head.Body ?? '{}') as { messageId: string }).messageId;
        const pair = queued.find((p) => p.some((m) => m.messageId === first)) ?? [];
        return [head.Attributes?.MessageGroupId ?? '', [first, ...pair.filter((m) => m.messageId !== first).map((m) => m.messageId)]] as const;
      }),
    );
    // SQS FIFO returns as many messages of one group as it can in one receive (the local stand-in
    // returns one per group), so Lambda hands the function both replies of a conversation in one
    // batch of 10: the head, then the reply behind it, exactly as it was queued.
    const send = outboundHandler(aws, ses, keyDir);
    for (let i = 0; i < heads.length; i += 5) {
      const records = heads.slice(i, i + 5).flatMap((head) => {
        const next = queued.flat().find((m) => m.messageId === queueOrder.get(head.Attributes?.MessageGroupId ?? '')?.[1]) as OutboundStoredMessage;
        const behind: Message = {
          MessageId: `behind-${next.messageId}`,
          ReceiptHandle: `behind-${next.messageId}`,
          Body: JSON.stringify(jobOf(next)),
          Attributes: { ...head.Attributes, MessageDeduplicationId: next.messageId },
        };
        return [sqsRecord(head, aws.outbound.queueArn), sqsRecord(behind, aws.outbound.queueArn)];
      });
      expect(await failuresOf(send(sqsEventOf(records), lambdaContext('postroom-outbound', `batch-${i}`)))).toEqual([]);
      await remove(aws, aws.outbound.queueUrl, heads.slice(i, i + 5));
    }
    // The replies behind stay on the queue until received themselves: already sent, they send nothing more.
    for (let round = 0; round < 10; round++) {
      const batch = await receive(aws, aws.outbound.queueUrl);
      if (batch.length === 0) break;
      expect(await failuresOf(send(sqsEventOf(batch.map((m) => sqsRecord(m, aws.outbound.queueArn))), lambdaContext('postroom-outbound')))).toEqual([]);
      await remove(aws, aws.outbound.queueUrl, batch);
    }

    // Assert: 40 replies sent, each once, and in every conversation in queue order
    const items = await scanTable(aws);
    const outbound = items.filter((i) => String(i.sk).startsWith('MSG#') && i.direction === 'outbound') as unknown as OutboundStoredMessage[];
    expect(outbound.map((m) => m.status)).toEqual(Array.from({ length: 40 }, () => 'sent'));
    const emails = await ses.emails();
    expect(emails).toHaveLength(40);
    const byProvider = new Map(outbound.map((m) => [m.providerMessageId, m.messageId]));
    const sentOrder = emails.map((e) => byProvider.get(e.messageId) ?? '');
    const outOfOrder = [...queueOrder].filter(([, inQueue]) => sentOrder.filter((id) => inQueue.includes(id)).join() !== inQueue.join());
    expect(outOfOrder.map(([conversationId]) => conversationId)).toEqual([]);
  });
});

describe('an admin editing a channel while its mail arrives', () => {
  it('routes every mail exactly once, under the settings before or after an edit, none lost or failed', { timeout: 120_000 }, async () => {
    // Arrange: the admin API on its own deployment; 120 mails for support, half of them about an order
    const h = await startAdminHarness();
    try {
      const mails = Array.from(
        { length: 120 },
        (_, i): InboundEvent => ({
          sesMessageId: sesId('edit'),
          recipients: ['support@example.com'],
          raw: rawMail({
            messageId: `edit-${i}@customer.example`,
            from: `c${i}@customer.example`,
            to: 'support@example.com',
            subject: i % 2 === 0 ? `My order ${i}` : `Cannot log in ${i}`,
            body: 'Please help.',
          }),
        }),
      );
      for (const m of mails) await storeRaw(h.aws, m);
      const seeded = EXAMPLE_CONFIG.channels.find((c) => c.id === 'support')?.routing ?? [];
      const ordersRule = { name: 'orders', when: { subjectKeywords: ['order'] }, skill: 'billing' };
      let edits = 0;
      let arriving = true;

      // Act: while the mail arrives in 6 containers (each reads the channel again after a second), the
      // admin adds an `orders` rule sending order mail to billing and takes it out again, over and over
      const admin = (async () => {
        let version = 1;
        while (arriving) {
          const body =
            edits % 2 === 0 ? { routing: [ordersRule, ...seeded], name: 'Support (orders to billing)' } : { routing: seeded, name: 'Example Support' };
          const res = await h.call('PATCH', '/channels/support', { body, headers: { 'if-match': `"${version}"` } });
          if (res.status !== 200) throw new Error(`PATCH answered ${res.status}: ${await res.text()}`);
          version = Number(((await res.json()) as { version: number }).version);
          edits++;
          await pause(10);
        }
      })();
      const containers = Array.from({ length: 6 }, () => containerClients(h.aws));
      const handlers = containers.map((clients, c) => {
        const handler = inboundHandler(h.aws, { CHANNEL_CACHE_SECONDS: '1' }, clients);
        return (m: InboundEvent) => handler(receiptEvent(m), lambdaContext('postroom-inbound', `edit-${c}`));
      });
      const run = await deliverAsync(mails, handlers).finally(() => {
        arriving = false;
        for (const c of containers) c.destroy();
      });
      await admin;

      // Assert: one routed record and one pointer per mail, by a rule one of the two settings has;
      // the stored message names the same route as its pointer
      expect(edits).toBeGreaterThanOrEqual(3);
      expect(run.invocations - run.retried).toBe(120);
      const items = await scanTable(h.aws);
      expect(failedMail(items)).toEqual([]);
      expect(inboundRecordsOf(items, mails).map((r) => r?.state)).toEqual(mails.map(() => 'routed'));
      const pointers = [...routedOf(await h.aws.drain(h.aws.queueUrls.support ?? '')), ...routedOf(await h.aws.drain(h.aws.queueUrls.billing ?? ''))];
      expect(pointers.map((p) => p.internetMessageId).sort()).toEqual(mails.map((_, i) => `edit-${i}@customer.example`).sort());
      for (const p of pointers) {
        const allowed = p.subject?.startsWith('My order')
          ? [
              ['support', 'default'],
              ['billing', 'orders'],
            ]
          : [['support', 'default']];
        expect(allowed, `${p.internetMessageId} went to ${p.skill} by ${p.routingRule}`).toContainEqual([p.skill, p.routingRule]);
        const stored = items.find((i) => String(i.sk).startsWith('MSG#') && i.messageId === p.messageId);
        expect(stored?.route as Record<string, unknown> | undefined, String(p.internetMessageId)).toMatchObject({ skill: p.skill, rule: p.routingRule });
      }
    } finally {
      await h.stop();
    }
  });
});
