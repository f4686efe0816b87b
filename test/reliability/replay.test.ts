import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoConversationStore } from '../../functions/adapters/dynamo-conversation-store.ts';
import { PostroomConfigSchema } from '../../functions/core/model/postroom-config.ts';
import { RoutedMessageSchema, type RoutedMessage } from '../../functions/core/model/routed-message.ts';
import type { OutboundStoredMessage } from '../../functions/core/model/stored-message.ts';
import { queueReply } from '../../functions/core/outbound/compose/queue-reply.ts';
import { createQueueReplyDeps } from '../../functions/runtime/queue-reply-deps.ts';
import { EXAMPLE_CONFIG, startSeededLocalAws, type LocalAws } from '../support/local-aws.ts';
import {
  type InboundEvent,
  type SesStandIn,
  containerClients,
  deliverAsync,
  deliverBatches,
  feedbackHandler,
  feedbackRecord,
  failuresOf,
  inboundHandler,
  inParallel,
  lambdaContext,
  outboundHandler,
  rawMail,
  receiptEvent,
  receive,
  remove,
  scanTable,
  seededRandom,
  sesEventRecord,
  shuffled,
  sqsEventOf,
  sqsRecord,
  startSes,
  storeRaw,
} from './support/world.ts';

/*
 * Replay: SES, SQS and SNS deliver at least once, so every event of a realistic run is delivered
 * again (inbound three times, outbound jobs and SES events twice), shuffled and several at once,
 * and what the run left behind is counted against what one delivery of each gives: every figure
 * below is derived from the plan of the run, not read back from the system (only which of two
 * copies of a mail came first is read, and then the other must be the copy).
 */

// The example deployment, with acknowledgements of new conversations on the support channel (billing has none).
const config = PostroomConfigSchema.parse({
  ...EXAMPLE_CONFIG,
  channels: EXAMPLE_CONFIG.channels.map((c) => (c.id === 'support' ? { ...c, acknowledgement: { enabled: true } } : c)),
});
const SEED = 20261122;
/** Lambda containers handling one function's events at once. */
const CONTAINERS = 4;

type Channel = 'support' | 'billing';
type Kind = 'opener' | 'follow-up' | 'reply-all' | 'spam' | 'out-of-office' | 'copy' | 'ticket-follow-up' | 'answer' | 'out-of-office-to-ack';

interface Planned extends InboundEvent {
  readonly kind: Kind;
  readonly channel: Channel;
  /** The opener this mail belongs with; null for mail that opens or joins no thread of the run. */
  readonly thread: number | null;
  readonly messageId: string;
  readonly subject: string;
  /** The skill queue it goes to when routed; null for mail that is never routed. */
  readonly skill: string | null;
}

let aws: LocalAws;
let ses: SesStandIn;
let keyDir: string;
let sesIds = 0;
const sesId = (label: string): string => `${label}-${String(++sesIds).padStart(4, '0')}-0100018cabcdef`;

/** What the example routing does with a customer's subject on a channel (rule `billing-words` first, then the default). */
function skillFor(channel: Channel, subject: string, spam = false): string {
  if (channel === 'billing') return 'billing';
  if (spam) return 'spam-review';
  return /\b(invoice|refund|payment)\b/i.test(subject) ? 'billing' : 'support';
}

const customer = (i: number): string => `c${i}@customer${i % 7}.example`;
const openerId = (i: number): string => `open-${i}@customer${i % 7}.example`;
const openerChannel = (i: number): Channel => (i % 10 < 7 ? 'support' : 'billing');
const openerTo = (i: number): string => (openerChannel(i) === 'billing' ? 'billing@example.com' : i % 5 === 0 ? 'help@example.com' : 'support@example.com');
const openerSubject = (i: number): string => (i % 4 === 1 ? `Question about invoice ${i}` : `Order ${i} has not arrived`);

/** Threads of the first batch: 0–59 get two follow-ups; 60–119 an agent's reply; 120–169 a ticket-number follow-up later; 170–199 out-of-office answers to their acknowledgement. */
const OPENERS = 200;
const FOLLOWED = 60;
const ANSWERED = { from: 60, to: 120 };
const TICKETED = { from: 120, to: 170 };

/**
 * The first 380 mails: 200 new conversations from 200 customers (140 on support, a fifth of them
 * to its alias, 60 on billing; high importance on every ninth), 120 follow-ups threaded by
 * In-Reply-To (the customer's own, then a colleague's reply-all naming both), 20 mails SES marked
 * as spam, 20 out-of-office answers to mail the deployment no longer knows, and 20 second copies
 * of an opener under a new SES id (the same Message-ID: a resend, or a second route to us).
 */
function firstBatch(): Planned[] {
  const out: Planned[] = [];
  for (let i = 0; i < OPENERS; i++) {
    const to = openerTo(i);
    const subject = openerSubject(i);
    out.push({
      kind: 'opener',
      channel: openerChannel(i),
      thread: i,
      sesMessageId: sesId('open'),
      recipients: [to],
      messageId: openerId(i),
      subject,
      skill: skillFor(openerChannel(i), subject),
      envelopeSender: customer(i),
      raw: rawMail({
        messageId: openerId(i),
        from: `Customer ${i} <${customer(i)}>`,
        to,
        subject,
        body: `Hello, this is about ${i}.`,
        ...(i % 9 === 0 ? { importance: 'high' as const } : {}),
      }),
    });
  }
  for (let i = 0; i < FOLLOWED; i++) {
    const to = openerTo(i);
    const subject = `Re: ${openerSubject(i)}`;
    const own = `follow-${i}@customer${i % 7}.example`;
    const colleague = `colleague${i}@customer${i % 7}.example`;
    out.push({
      kind: 'follow-up',
      channel: openerChannel(i),
      thread: i,
      sesMessageId: sesId('follow'),
      recipients: [to],
      messageId: own,
      subject,
      skill: skillFor(openerChannel(i), subject),
      envelopeSender: customer(i),
      raw: rawMail({ messageId: own, from: customer(i), to, subject, body: `One more thing about ${i}.`, inReplyTo: openerId(i) }),
    });
    const replyAll = `reply-all-${i}@customer${i % 7}.example`;
    out.push({
      kind: 'reply-all',
      channel: openerChannel(i),
      thread: i,
      sesMessageId: sesId('reply-all'),
      recipients: [to],
      messageId: replyAll,
      subject,
      skill: skillFor(openerChannel(i), subject),
      envelopeSender: colleague,
      raw: rawMail({
        messageId: replyAll,
        from: colleague,
        to,
        cc: customer(i),
        subject,
        body: `I can confirm ${i}.`,
        inReplyTo: own,
        references: [openerId(i), own],
      }),
    });
  }
  for (let k = 0; k < 20; k++) {
    const subject = `You have won ${k}`;
    const id = `prize-${k}@spam.example`;
    out.push({
      kind: 'spam',
      channel: 'support',
      thread: null,
      sesMessageId: sesId('spam'),
      recipients: ['support@example.com'],
      messageId: id,
      subject,
      skill: skillFor('support', subject, true),
      envelopeSender: `winner${k}@spam.example`,
      verdicts: { spamVerdict: 'FAIL', virusVerdict: 'PASS', spfVerdict: 'PASS', dkimVerdict: 'PASS', dmarcVerdict: 'PASS' },
      raw: rawMail({ messageId: id, from: `winner${k}@spam.example`, to: 'support@example.com', subject, body: 'Claim your prize now.' }),
    });
  }
  for (let k = 0; k < 20; k++) {
    const subject = `Automatic reply: our newsletter ${k}`;
    const id = `ooo-${k}@partner.example`;
    out.push({
      kind: 'out-of-office',
      channel: 'support',
      thread: null,
      sesMessageId: sesId('ooo'),
      recipients: ['support@example.com'],
      messageId: id,
      subject,
      skill: null,
      envelopeSender: `away${k}@partner.example`,
      raw: rawMail({
        messageId: id,
        from: `away${k}@partner.example`,
        to: 'support@example.com',
        subject,
        body: 'I am out of the office.',
        inReplyTo: `old-${k}@example.com`,
        automatic: true,
      }),
    });
  }
  for (let k = 0; k < 20; k++) {
    const original = out[k * 10] as Planned;
    out.push({ ...original, kind: 'copy', sesMessageId: sesId('copy') });
  }
  return out;
}

/** Every event of `mails` `times` times, shuffled: the order SES happens to deliver them in. */
function deliveries(mails: readonly Planned[], times: number, random: () => number): Planned[] {
  return shuffled(
    mails.flatMap((m) => Array.from({ length: times }, () => m)),
    random,
  );
}

/** Invokes the inbound function for each event, `CONTAINERS` containers at once, retrying what it throws. */
async function deliverInbound(events: readonly Planned[]) {
  const containers = Array.from({ length: CONTAINERS }, () => containerClients(aws));
  const handlers = containers.map((clients, c) => {
    const handler = inboundHandler(aws, {}, clients);
    let n = 0;
    return (m: Planned) => handler(receiptEvent(m), lambdaContext('postroom-inbound', `inbound-${c}-${++n}`));
  });
  try {
    return await deliverAsync(events, handlers);
  } finally {
    for (const c of containers) c.destroy();
  }
}

async function pointers(): Promise<Map<string, RoutedMessage[]>> {
  const out = new Map<string, RoutedMessage[]>();
  for (const [skill, url] of Object.entries(aws.queueUrls))
    out.set(
      skill,
      (await aws.drain(url)).map((m) => RoutedMessageSchema.parse(JSON.parse(m.Body ?? ''))),
    );
  return out;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}

/** Expected counts without the zero entries (`countBy` has no key for what never occurred). */
function counts(expected: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(expected).filter(([, n]) => n > 0));
}

/** Breaker hits of the acknowledgements (`HITS#ack#…`, sort key `<at>#<mail id>`): the mail ids counted more than once. */
function countedTwice(items: readonly Record<string, unknown>[]): string[] {
  const ids = items.filter((i) => String(i.pk).startsWith('HITS#ack#')).map((i) => `${String(i.pk)} ${String(i.sk).slice(String(i.sk).indexOf('#') + 1)}`);
  return ids.filter((id, k) => ids.indexOf(id) !== k);
}

const inboundRecords = (items: readonly Record<string, unknown>[]) =>
  items.filter((i) => String(i.pk).startsWith('INBOUND#') && String(i.sk).startsWith('CHANNEL#'));
const storedMessages = (items: readonly Record<string, unknown>[], direction: 'inbound' | 'outbound') =>
  items.filter((i) => String(i.sk).startsWith('MSG#') && i.direction === direction);

beforeAll(async () => {
  aws = await startSeededLocalAws(config);
  ses = await startSes();
  keyDir = await mkdtemp(join(tmpdir(), 'postroom-replay-'));
});

afterAll(async () => {
  await ses?.stop();
  await aws?.stop();
  await rm(keyDir, { recursive: true, force: true });
});

/** The published conversation of each thread (its opener's Message-ID), as lookups resolve it. */
async function threadConversations(threads: readonly number[]): Promise<Map<number, { id: string; ticketNumber: string }>> {
  const store = new DynamoConversationStore(aws.db, aws.tableName);
  const found = new Map<number, { id: string; ticketNumber: string }>();
  await inParallel(threads, 8, async (t) => {
    const c = (await store.findByMessageIds(openerChannel(t), [openerId(t)])).get(openerId(t));
    if (c) found.set(t, { id: c.id, ticketNumber: c.ticketNumber });
  });
  return new Map(threads.flatMap((t) => (found.has(t) ? [[t, found.get(t) as { id: string; ticketNumber: string }] as const] : [])));
}

/**
 * Hands the outbound queue's jobs to the outbound function until the queue is empty, every batch
 * to two containers at once (the second copy shuffled: a redelivery after a visibility timeout
 * that overlaps the first). A job is deleted once either container did it; one both containers
 * failed would stay on the queue, and is counted.
 */
async function drainOutbound(random: () => number): Promise<{ jobs: number; invocations: number; failedTwice: number }> {
  const handlers = [outboundHandler(aws, ses, keyDir), outboundHandler(aws, ses, keyDir)] as const;
  let jobs = 0;
  let invocations = 0;
  let failedTwice = 0;
  for (;;) {
    const batch = await receive(aws, aws.outbound.queueUrl);
    if (batch.length === 0) return { jobs, invocations, failedTwice };
    const records = batch.map((m) => sqsRecord(m, aws.outbound.queueArn));
    const [a, b] = await Promise.all([
      failuresOf(handlers[0](sqsEventOf(records), lambdaContext('postroom-outbound', `out-a-${invocations}`))),
      failuresOf(handlers[1](sqsEventOf(shuffled(records, random)), lambdaContext('postroom-outbound', `out-b-${invocations}`))),
    ]);
    invocations += 2;
    jobs += batch.length;
    const failedIn = (failures: readonly string[], id: string) => failures.includes('*') || failures.includes(id);
    const stays = batch.filter((m) => failedIn(a, m.MessageId ?? '') && failedIn(b, m.MessageId ?? ''));
    failedTwice += stays.length;
    await remove(
      aws,
      aws.outbound.queueUrl,
      batch.filter((m) => !stays.includes(m)),
    );
  }
}

function outboundMessages(items: readonly Record<string, unknown>[]): OutboundStoredMessage[] {
  return storedMessages(items, 'outbound') as unknown as OutboundStoredMessage[];
}

/** An SES event delivered twice: two SQS messages (SNS delivers at least once), so each copy has its own SQS id. */
function twice(events: readonly string[], label: string): ReturnType<typeof feedbackRecord>[] {
  return events.flatMap((e, i) => [feedbackRecord(e, `${label}-${i}-a`, aws.feedback.queueArn), feedbackRecord(e, `${label}-${i}-b`, aws.feedback.queueArn)]);
}

const sentOf = (m: OutboundStoredMessage) => ({
  sesMessageId: m.providerMessageId ?? '',
  messageId: m.internetMessageId ?? '',
  from: m.from?.address ?? '',
  to: m.to[0]?.address ?? '',
  subject: m.subject,
  sentAt: new Date(m.sentAt ?? ''),
});

/** The In-Reply-To a customer's client writes when answering our mail: the Message-ID SES gave it, which is what the customer received. */
const receivedIdOf = (m: OutboundStoredMessage): string => m.threadIds.find((id) => id.endsWith('.amazonses.com')) ?? m.threadIds[0] ?? '';

describe('replay: at-least-once delivery of a 500-mail run changes nothing twice', () => {
  const random = seededRandom(SEED);
  const first = firstBatch();
  const second: Planned[] = [];
  const delivered = { inbound: 0, outbound: 0, feedback: 0 };

  it('stores, threads, queues and acknowledges each of the first 380 mails once, every receipt event delivered three times', { timeout: 120_000 }, async () => {
    // Arrange
    for (const m of first) await storeRaw(aws, m);
    const events = deliveries(first, 3, random);

    // Act
    const report = await deliverInbound(events);

    // Assert: one record, one stored message, one pointer per mail, as one delivery of each leaves them
    expect(events).toHaveLength(1140);
    expect(report.invocations).toBe(events.length + report.retried);
    delivered.inbound += events.length;
    const items = await scanTable(aws);
    const records = inboundRecords(items);
    expect(records).toHaveLength(380);
    expect(items.filter((i) => String(i.sk).startsWith('FAILED#'))).toEqual([]);
    const state = new Map(records.map((r) => [String(r.pk).slice('INBOUND#'.length), r]));
    const routed = first.filter((m) => state.get(m.sesMessageId)?.state === 'routed');
    // Of a mail and its copy, whichever SES id came first is routed and the other recorded as a copy (tagged).
    const copies = first.filter((m) => m.kind === 'copy');
    const originalOf = (copy: Planned) => first.find((m) => m.kind === 'opener' && m.messageId === copy.messageId) as Planned;
    expect(copies.map((c) => [state.get(c.sesMessageId)?.state, state.get(originalOf(c).sesMessageId)?.state].sort())).toEqual(
      copies.map(() => ['recorded', 'routed']),
    );
    for (const c of copies) {
      const second = [c, originalOf(c)].find((m) => state.get(m.sesMessageId)?.state === 'recorded') as Planned;
      expect(state.get(second.sesMessageId)?.tags).toContain('duplicate-message-id');
    }
    const copiesFirst = copies.filter((c) => state.get(c.sesMessageId)?.state === 'routed').length;
    expect(countBy(first, (m) => `${m.kind}:${String(state.get(m.sesMessageId)?.state)}`)).toEqual(
      counts({
        'opener:routed': 200 - copiesFirst,
        'opener:recorded': copiesFirst,
        'copy:routed': copiesFirst,
        'copy:recorded': 20 - copiesFirst,
        'follow-up:routed': 60,
        'reply-all:routed': 60,
        'spam:routed': 20,
        'out-of-office:recorded': 20,
      }),
    );
    expect(routed).toHaveLength(340);
    expect(storedMessages(items, 'inbound')).toHaveLength(380);
    expect(items.filter((i) => String(i.pk).startsWith('LOOSE#'))).toHaveLength(20);

    // One published conversation per opener and per spam mail; every thread's mails in its own.
    const published = items.filter((i) => i.sk === 'CONV' && i.visibility === 'published');
    expect(published).toHaveLength(220);
    const threads = await threadConversations(first.flatMap((m) => (m.kind === 'opener' ? [m.thread ?? -1] : [])));
    expect(new Set([...threads.values()].map((c) => c.id)).size).toBe(200);
    for (const m of first.filter((x) => x.thread !== null)) {
      expect(state.get(m.sesMessageId)?.conversationId, `${m.kind} of thread ${m.thread}`).toBe(threads.get(m.thread ?? -1)?.id);
    }
    const publishedIds = new Set(published.map((c) => String(c.id)));
    for (const message of storedMessages(items, 'inbound').filter((i) => String(i.pk).startsWith('CONV#'))) {
      expect(publishedIds.has(String(message.conversationId)), `message ${String(message.messageId)} in a published conversation`).toBe(true);
    }

    // Pointers: one per routed mail, on the skill the routing gives it; none for copies and out-of-office.
    const queued = await pointers();
    const all = [...queued.values()].flat();
    expect(all).toHaveLength(340);
    expect(new Set(all.map((p) => p.messageId)).size).toBe(340);
    expect(all.map((p) => p.internetMessageId).sort()).toEqual(routed.map((m) => m.messageId).sort());
    expect(Object.fromEntries([...queued].map(([skill, list]) => [skill, list.length]))).toEqual({
      support: routed.filter((m) => m.skill === 'support').length,
      billing: routed.filter((m) => m.skill === 'billing').length,
      'spam-review': 20,
    });
    expect(
      countBy(
        all.filter((p) => p.isNewConversation),
        (p) => p.channelId,
      ),
    ).toEqual({ support: 160, billing: 60 });

    // Acknowledgements: one per conversation a person opened on support (140), spam and billing none; still queued.
    const acknowledgements = outboundMessages(items).filter((m) => m.purpose === 'acknowledgement');
    expect(acknowledgements).toHaveLength(140);
    expect(new Set(acknowledgements.map((m) => m.conversationId)).size).toBe(140);
    expect(items.filter((i) => String(i.pk).startsWith('ACK#'))).toHaveLength(140);
    expect(countedTwice(items)).toEqual([]);
  });

  it('sends each acknowledgement and agent reply once, every outbound job delivered twice', { timeout: 120_000 }, async () => {
    // Arrange: an agent answers the openers 60–119
    const threads = await threadConversations(Array.from({ length: ANSWERED.to - ANSWERED.from }, (_, k) => ANSWERED.from + k));
    const deps = createQueueReplyDeps({
      db: aws.db,
      s3: aws.s3,
      sqs: aws.sqs,
      tableName: aws.tableName,
      bucket: aws.bucket,
      outboundQueueUrl: aws.outbound.queueUrl,
    });
    for (const [t, c] of threads) await queueReply(deps, { conversationId: c.id, agentId: 'agent-1', text: `Thank you, we have looked into ${t}.` });

    // Act
    const run = await drainOutbound(random);

    // Assert: 200 jobs, each sent once; SES took exactly one mail per job
    delivered.outbound += run.jobs * 2;
    expect(run).toMatchObject({ jobs: 200, failedTwice: 0 });
    const items = await scanTable(aws);
    const outbound = outboundMessages(items);
    expect(countBy(outbound, (m) => `${m.purpose}:${m.status}`)).toEqual({ 'acknowledgement:sent': 140, 'reply:sent': 60 });
    const records = items.filter((i) => String(i.pk).startsWith('OUTBOUND#'));
    expect(countBy(records, (r) => String(r.state))).toEqual({ sent: 200 });
    const emails = await ses.emails();
    expect(emails).toHaveLength(200);
    expect(emails.map((e) => e.messageId).sort()).toEqual(outbound.map((m) => m.providerMessageId).sort());
    expect(await aws.drain(aws.outbound.queueUrl)).toEqual([]);
    expect(await aws.drain(aws.outbound.deadLetterQueueUrl)).toEqual([]);
  });

  it('applies each SES event once, every event delivered twice: one status change each, one suppression per hard bounce and complaint', {
    timeout: 120_000,
  }, async () => {
    // Arrange: the acknowledgements are delivered; of the replies, every fourth bounces, every fourth
    // (one later) is delivered and complained about an hour later, the rest are delivered
    const outbound = outboundMessages(await scanTable(aws));
    const replies = new Map<number, OutboundStoredMessage>();
    const threads = await threadConversations(Array.from({ length: ANSWERED.to - ANSWERED.from }, (_, k) => ANSWERED.from + k));
    for (const [t, c] of threads) replies.set(t, outbound.find((m) => m.purpose === 'reply' && m.conversationId === c.id) as OutboundStoredMessage);
    const fate = (t: number) => (['bounce', 'complaint', 'delivery', 'delivery'] as const)[(t - ANSWERED.from) % 4] ?? 'delivery';
    let n = 0;
    const firstWave = [
      ...outbound.filter((m) => m.purpose === 'acknowledgement').map((m) => sesEventRecord('delivery', sentOf(m), String(++n))),
      ...[...replies].map(([t, m]) => sesEventRecord(fate(t) === 'bounce' ? 'bounce' : 'delivery', sentOf(m), String(++n))),
    ];
    const complaints = [...replies].filter(([t]) => fate(t) === 'complaint').map(([, m]) => sesEventRecord('complaint', sentOf(m), String(++n)));
    const handlers = [feedbackHandler(aws), feedbackHandler(aws)].map(
      (h, c) => (event: Parameters<typeof h>[0]) => h(event, lambdaContext('postroom-feedback', `feedback-${c}`)),
    );

    // Act
    await deliverBatches(shuffled(twice(firstWave, 'first'), random), handlers);
    await deliverBatches(shuffled(twice(complaints, 'later'), random), handlers);

    // Assert
    delivered.feedback += (firstWave.length + complaints.length) * 2;
    expect(firstWave).toHaveLength(200);
    expect(complaints).toHaveLength(15);
    const items = await scanTable(aws);
    const feedback = items.filter((i) => String(i.pk).startsWith('FEEDBACK'));
    // One record per event, each applied by exactly one of its two copies (a second application would read `unchanged`).
    expect(countBy(feedback, (r) => `${String(r.kind)}:${String(r.state)}`)).toEqual({
      'delivery:applied': 185,
      'bounce:applied': 15,
      'complaint:applied': 15,
    });
    expect(countBy(outboundMessages(items), (m) => `${m.purpose}:${m.status}`)).toEqual({
      'acknowledgement:delivered': 140,
      'reply:bounced': 15,
      'reply:complained': 15,
      'reply:delivered': 30,
    });
    const suppressed = items.filter((i) => String(i.pk).startsWith('SUPP#'));
    expect(countBy(suppressed, (s) => String(s.reason))).toEqual({ bounce: 15, complaint: 15 });
    expect(new Set(suppressed.map((s) => String(s.sk))).size).toBe(30);
  });

  it('threads each of the last 120 mails once, every receipt event delivered three times', { timeout: 120_000 }, async () => {
    // Arrange: customers follow up by ticket number (50; 20 of these reach us twice under new SES ids),
    // answer the delivered replies (30), and 20 out-of-office answers come back to acknowledgements
    const items = await scanTable(aws);
    const outbound = outboundMessages(items);
    const tickets = await threadConversations(Array.from({ length: TICKETED.to - TICKETED.from }, (_, k) => TICKETED.from + k));
    for (const [t, c] of tickets) {
      const to = openerTo(t);
      const subject = `Another question [#${c.ticketNumber}]`;
      const id = `ticket-${t}@customer${t % 7}.example`;
      second.push({
        kind: 'ticket-follow-up',
        channel: openerChannel(t),
        thread: t,
        sesMessageId: sesId('ticket'),
        recipients: [to],
        messageId: id,
        subject,
        skill: skillFor(openerChannel(t), subject),
        envelopeSender: customer(t),
        raw: rawMail({ messageId: id, from: customer(t), to, subject, body: `Still waiting for ${t}.` }),
      });
    }
    const answered = await threadConversations(Array.from({ length: ANSWERED.to - ANSWERED.from }, (_, k) => ANSWERED.from + k));
    for (const [t, c] of answered) {
      if ((t - ANSWERED.from) % 4 < 2) continue; // bounced or complained about: no answer
      const reply = outbound.find((m) => m.purpose === 'reply' && m.conversationId === c.id) as OutboundStoredMessage;
      const to = openerTo(t);
      const subject = `Re: ${reply.subject}`;
      const id = `answer-${t}@customer${t % 7}.example`;
      second.push({
        kind: 'answer',
        channel: openerChannel(t),
        thread: t,
        sesMessageId: sesId('answer'),
        recipients: [to],
        messageId: id,
        subject,
        skill: skillFor(openerChannel(t), subject),
        envelopeSender: customer(t),
        raw: rawMail({
          messageId: id,
          from: customer(t),
          to,
          subject,
          body: `Thanks, that helped with ${t}.`,
          inReplyTo: receivedIdOf(reply),
          references: [...reply.threadIds],
        }),
      });
    }
    const late = await threadConversations(Array.from({ length: OPENERS - TICKETED.to }, (_, k) => TICKETED.to + k));
    for (const [t, c] of [...late].filter(([t]) => openerChannel(t) === 'support').slice(0, 20)) {
      const ack = outbound.find((m) => m.purpose === 'acknowledgement' && m.conversationId === c.id) as OutboundStoredMessage;
      const from = ack.to[0]?.address ?? '';
      const subject = `Automatic reply: ${ack.subject}`;
      const id = `away-${t}@customer${t % 7}.example`;
      second.push({
        kind: 'out-of-office-to-ack',
        channel: 'support',
        thread: t,
        sesMessageId: sesId('away'),
        recipients: ['support@example.com'],
        messageId: id,
        subject,
        skill: skillFor('support', subject),
        envelopeSender: '',
        raw: rawMail({
          messageId: id,
          from,
          to: 'support@example.com',
          subject,
          body: 'I am away until Monday.',
          inReplyTo: receivedIdOf(ack),
          automatic: true,
        }),
      });
    }
    for (const original of second.filter((m) => m.kind === 'ticket-follow-up').slice(0, 20)) {
      second.push({ ...original, kind: 'copy', sesMessageId: sesId('copy') });
    }
    for (const m of second) await storeRaw(aws, m);

    // Act
    const report = await deliverInbound(deliveries(second, 3, random));

    // Assert
    expect(report.invocations).toBe(360 + report.retried);
    delivered.inbound += 360;
    expect(second).toHaveLength(120);
    const after = await scanTable(aws);
    const state = new Map(inboundRecords(after).map((r) => [String(r.pk).slice('INBOUND#'.length), r]));
    const copies = second.filter((m) => m.kind === 'copy');
    const originalOf = (copy: Planned) => second.find((m) => m.kind === 'ticket-follow-up' && m.messageId === copy.messageId) as Planned;
    expect(copies.map((c) => [state.get(c.sesMessageId)?.state, state.get(originalOf(c).sesMessageId)?.state].sort())).toEqual(
      copies.map(() => ['recorded', 'routed']),
    );
    const copiesFirst = copies.filter((c) => state.get(c.sesMessageId)?.state === 'routed').length;
    expect(countBy(second, (m) => `${m.kind}:${String(state.get(m.sesMessageId)?.state)}`)).toEqual(
      counts({
        'ticket-follow-up:routed': 50 - copiesFirst,
        'ticket-follow-up:recorded': copiesFirst,
        'copy:routed': copiesFirst,
        'copy:recorded': 20 - copiesFirst,
        'answer:routed': 30,
        'out-of-office-to-ack:routed': 20,
      }),
    );
    expect(inboundRecords(after).filter((r) => r.state === 'failed')).toEqual([]);
    for (const m of second) {
      expect(state.get(m.sesMessageId)?.conversationId, `${m.kind} of thread ${m.thread}`).toBe(
        (tickets.get(m.thread ?? -1) ?? answered.get(m.thread ?? -1) ?? late.get(m.thread ?? -1))?.id,
      );
    }
    const routed = second.filter((m) => state.get(m.sesMessageId)?.state === 'routed');
    const bySkill = await pointers();
    const queued = [...bySkill.values()].flat();
    expect(queued).toHaveLength(100);
    expect(new Set(queued.map((p) => p.messageId)).size).toBe(100);
    expect(queued.map((p) => p.internetMessageId).sort()).toEqual(routed.map((m) => m.messageId).sort());
    expect(Object.fromEntries([...bySkill].map(([skill, list]) => [skill, list.length]))).toEqual({
      support: routed.filter((m) => m.skill === 'support').length,
      billing: routed.filter((m) => m.skill === 'billing').length,
      'spam-review': 0,
    });
    expect(queued.filter((p) => p.isNewConversation)).toEqual([]);
    expect(countedTwice(after)).toEqual([]);
    // Nothing new to acknowledge or send.
    expect(await aws.drain(aws.outbound.queueUrl)).toEqual([]);
  });

  it('leaves, over the whole run, exactly what one delivery of each event leaves', async () => {
    const items = await scanTable(aws);
    const run = [...first, ...second];
    expect(run).toHaveLength(500);
    expect(delivered).toEqual({ inbound: 1500, outbound: 400, feedback: 430 });
    expect(inboundRecords(items)).toHaveLength(500);
    expect(storedMessages(items, 'inbound')).toHaveLength(500);
    expect(storedMessages(items, 'outbound')).toHaveLength(200);
    expect(items.filter((i) => i.sk === 'CONV' && i.visibility === 'published')).toHaveLength(220);
    expect(items.filter((i) => String(i.pk).startsWith('TICKET#'))).toHaveLength(220);
    expect(items.filter((i) => String(i.sk).startsWith('FAILED#'))).toEqual([]);
    expect(await ses.emails()).toHaveLength(200);
    for (const url of [...Object.values(aws.deadLetterQueueUrls), aws.outbound.deadLetterQueueUrl, aws.feedback.deadLetterQueueUrl])
      expect(await aws.drain(url)).toEqual([]);
  });
});
