import type { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoConversationStore } from '../../functions/adapters/dynamo-conversation-store.ts';
import { DynamoMessageStore } from '../../functions/adapters/dynamo-message-store.ts';
import { SqsRoutedQueue } from '../../functions/adapters/sqs-routed-queue.ts';
import { receiveMail, type ReceiveMailDeps } from '../../functions/core/inbound/receive-mail.ts';
import type { InboundRecord } from '../../functions/core/model/inbound-record.ts';
import type { RoutedMessage } from '../../functions/core/model/routed-message.ts';
import type { InboundStoredMessage, StoredMessage } from '../../functions/core/model/stored-message.ts';
import type { ConversationStore } from '../../functions/core/ports/conversation-store.ts';
import type { DecidedCheckpoint, InboundLedger, RoutedQueue } from '../../functions/core/ports/inbound.ts';
import { BusyError } from '../../functions/core/errors.ts';
import { LEASE_MS, TestClock, customerMail, inboundDeps, inboundMail } from '../support/inbound-deps.ts';
import { startSeededLocalAws, type LocalAws } from '../support/local-aws.ts';

let aws: LocalAws;
let store: DynamoConversationStore;
let n = 0;
const sesId = (label: string): string => `${label}-${++n}-0100018c`;

beforeAll(async () => {
  aws = await startSeededLocalAws();
  store = new DynamoConversationStore(aws.db, aws.tableName);
});

afterAll(async () => {
  await aws.stop();
});

type Outcome = { status: string; conversationId: string | null; tags: string[] };

async function stored(raw: string, label: string): Promise<string> {
  const id = sesId(label);
  await aws.putRaw(inboundMail(id).rawKey, raw);
  return id;
}

async function deliver(raw: string, label: string, clock = new TestClock()): Promise<Outcome> {
  return (await receiveMail(inboundDeps(aws, clock), inboundMail(await stored(raw, label)))) as unknown as Outcome;
}

async function item(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
  return (await aws.db.send(new GetCommand({ TableName: aws.tableName, Key: { pk, sk }, ConsistentRead: true }))).Item;
}

const automatic = (raw: string): string => raw.replace('MIME-Version', 'Auto-Submitted: auto-replied\r\nMIME-Version');
/** A crash gives nothing back: the lease stays until it expires. */
const noRelease = (ledger: InboundLedger): InboundLedger => Object.assign(Object.create(ledger) as InboundLedger, { release: async () => undefined });

/** A conversation and message store that fail any write: an attempt using them may resume, never decide and store again. */
function decidingNothing(): Pick<ReceiveMailDeps, 'conversations' | 'messages'> {
  const deps = inboundDeps(aws, new TestClock());
  const refuse = async () => Promise.reject(new Error('the retry decided again'));
  return {
    conversations: Object.assign(Object.create(deps.conversations) as ConversationStore, { join: refuse, create: refuse, claim: refuse, claimOwn: refuse }),
    messages: Object.assign(Object.create(deps.messages) as ReceiveMailDeps['messages'], { put: refuse }),
  };
}

/** The real skill queue; its first send fails as a crash would (nothing reaches SQS), and every pointer sent is kept. */
function crashingQueue(): { queue: RoutedQueue; sent: RoutedMessage[] } {
  const real = inboundDeps(aws, new TestClock()).queue;
  const sent: RoutedMessage[] = [];
  let crashes = 1;
  const queue: RoutedQueue = {
    send: async (message) => {
      if (crashes-- > 0) throw new Error('lambda died');
      sent.push(message);
      await real.send(message);
    },
  };
  return { queue, sent };
}

function inboundMessage(key: Pick<InboundStoredMessage, 'messageId' | 'conversationId' | 'receivedAt'>): InboundStoredMessage {
  return {
    direction: 'inbound',
    ...key,
    channelId: 'support',
    sesMessageId: 'ses-1',
    rawKey: 'inbound/raw/ses-1',
    internetMessageId: 'a@customer.example',
    subject: 'Help',
    from: { address: 'carla@customer.example', name: 'Carla' },
    to: [],
    cc: [],
    date: null,
    replyTo: [],
    sender: null,
    inReplyTo: null,
    references: [],
    lane: 'human',
    laneReason: 'a person wrote it',
    tags: [],
    disposition: 'route',
    route: { skill: 'support', rule: 'default', priority: 'normal' },
    thread: { rule: 'new-conversation', reason: 'new', flags: [], linkedConversationId: null },
    preview: 'Hello',
    attachments: [],
    rejectedAttachments: [],
    language: null,
  };
}

function routedMessage(overrides: Pick<RoutedMessage, 'messageId' | 'skill'>): RoutedMessage {
  return {
    schemaVersion: 2,
    channelId: 'support',
    internetMessageId: 'a@customer.example',
    conversationId: 'c-1',
    ticketNumber: '0000013',
    isNewConversation: true,
    lane: 'human',
    laneReason: 'a person wrote it',
    tags: [],
    routingRule: 'default',
    priority: 'normal',
    from: null,
    subject: 'Help',
    receivedAt: '2026-11-22T10:00:00.000Z',
    previousAgent: null,
    autoAnswerAllowed: true,
    language: null,
    sla: null,
    ...overrides,
  };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** The inbound messages of a conversation stored from the mail with this SES id. */
async function inboundOf(conversationId: string | null, sesMessageId: string): Promise<StoredMessage[]> {
  const all = await new DynamoMessageStore(aws.db, aws.tableName).list(conversationId ?? '');
  return all.filter((m) => m.direction === 'inbound' && m.sesMessageId === sesMessageId);
}

describe('receiveMail retries and copies against dynalite', () => {
  it('settles the candidate of a reply that crashed before its parent arrived: answers to the reply still route', async () => {
    // Arrange: R (reply to the unseen P) decides new, claims its own id (first in order) for its candidate, and dies
    const [p, r] = [`${sesId('z-parent')}@customer.example`, `${sesId('b-reply')}@customer.example`];
    const clock = new TestClock();
    const replyId = await stored(customerMail({ messageId: r, inReplyTo: p, subject: 'Re: order', from: 'Bob <bob@other.example>' }), 'r');
    const deps = inboundDeps(aws, clock, { ledger: noRelease(inboundDeps(aws, clock).ledger) });
    const dying = Object.assign(Object.create(deps.conversations) as ConversationStore, {
      claimOwn: async (...a: Parameters<ConversationStore['claimOwn']>) => {
        await deps.conversations.claimOwn(...a);
        throw new Error('lambda died');
      },
    });
    await expect(receiveMail({ ...deps, conversations: dying }, inboundMail(replyId))).rejects.toThrow('lambda died');
    const parent = await deliver(customerMail({ messageId: p }), 'p', clock);
    // Act: R's retry joins P's conversation; then an answer to R comes
    clock.advance(LEASE_MS + 1);
    const retried = (await receiveMail(inboundDeps(aws, clock), inboundMail(replyId))) as unknown as Outcome;
    const answer = await deliver(customerMail({ messageId: `${sesId('a')}@customer.example`, inReplyTo: r, subject: 'Re: Re: order' }), 'a', clock);
    // Assert
    expect(retried).toMatchObject({ status: 'routed', conversationId: parent.conversationId });
    expect(answer).toMatchObject({ status: 'routed', conversationId: parent.conversationId });
    expect((await store.findClaims('support', [r])).get(r)?.conversationId).toBe(parent.conversationId);
    const record = (await item(`INBOUND#${replyId}`, 'CHANNEL#support')) as unknown as InboundRecord;
    expect(await item(`CONV#${record.candidate?.conversationId ?? ''}`, 'CONV')).toMatchObject({ visibility: 'merged', mergedInto: parent.conversationId });
    await aws.drain(aws.queueUrls.support ?? '');
  });

  it('merges nothing for a candidate an earlier attempt never created', async () => {
    expect(await store.markMerged(sesId('never-created'), sesId('anywhere'), '2026-11-22T10:00:00.000Z')).toMatch(/^never-created/);
  });

  it('records a mail reusing the Message-ID of an unattached automatic answer as a copy, creating no conversation', async () => {
    const messageId = `${sesId('reused')}@customer.example`;
    const first = await deliver(automatic(customerMail({ messageId, subject: 'Automatic reply: hello' })), 'ooo');
    const second = await deliver(customerMail({ messageId, subject: 'A different question' }), 'reuse');
    expect(first).toMatchObject({ status: 'recorded', conversationId: null });
    expect(second).toMatchObject({ status: 'recorded', conversationId: null });
    expect(second.tags).toContain('duplicate-message-id');
    expect(await store.findClaims('support', [messageId])).toEqual(
      new Map([[messageId, { conversationId: null, owner: expect.any(String), receipt: expect.any(String) }]]),
    );
    expect(await aws.drain(aws.queueUrls.support ?? '')).toHaveLength(0);
  });

  it('records a later copy of an unattached out-of-office with In-Reply-To (to an unknown message) as a copy', async () => {
    const ooo = automatic(
      customerMail({ messageId: `${sesId('ooo')}@customer.example`, inReplyTo: `${sesId('unknown')}@customer.example`, subject: 'Automatic reply: Re: hello' }),
    );
    const first = await deliver(ooo, 'ooo-a');
    const second = await deliver(ooo, 'ooo-b');
    expect(first).toMatchObject({ status: 'recorded', conversationId: null });
    expect(first.tags).not.toContain('duplicate-message-id');
    expect(second).toMatchObject({ status: 'recorded', conversationId: null });
    expect(second.tags).toContain('duplicate-message-id');
  });

  it('records a racing copy of a reply threaded by ticket number under that conversation, without joining or reopening it', async () => {
    // Arrange: the first copy claimed its own id, not yet for the conversation (it is joining); the conversation is closed
    const opened = await deliver(customerMail({ messageId: `${sesId('q')}@customer.example` }), 'q');
    const conversationKey = { pk: `CONV#${opened.conversationId ?? ''}`, sk: 'CONV' };
    const ticket = String((await item(conversationKey.pk, 'CONV'))?.ticketNumber);
    const messageId = `${sesId('t')}@customer.example`;
    await store.claimOwn('support', messageId, 'm-first-copy', null);
    await aws.db.send(
      new UpdateCommand({
        TableName: aws.tableName,
        Key: conversationKey,
        UpdateExpression: 'SET #s = :c',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':c': 'closed' },
      }),
    );
    const before = await item(conversationKey.pk, 'CONV');
    await aws.drain(aws.queueUrls.support ?? '');
    // Act
    const copy = await deliver(customerMail({ messageId, subject: `Re: My order [#${ticket}]` }), 'ticket-copy');
    // Assert
    expect(copy).toMatchObject({ status: 'recorded', conversationId: opened.conversationId });
    expect(copy.tags).toContain('duplicate-message-id');
    expect(await item(conversationKey.pk, 'CONV')).toEqual(before);
    expect(await aws.drain(aws.queueUrls.support ?? '')).toHaveLength(0);
  });

  it('resends exactly the stored pointer after a crash between queueing and the final save', async () => {
    // Arrange: the final save fails once the pointer is on the queue; every SQS send is recorded
    const clock = new TestClock();
    const id = await stored(customerMail({ messageId: `${sesId('sent')}@customer.example` }), 'sent');
    const sends: { body: string | undefined; dedupId: string | undefined }[] = [];
    const sqs = Object.assign(Object.create(aws.sqs) as SQSClient, {
      send: async (command: SendMessageCommand) => {
        sends.push({ body: command.input.MessageBody, dedupId: command.input.MessageDeduplicationId });
        return aws.sqs.send(command);
      },
    });
    const queue = new SqsRoutedQueue(sqs, aws.queueUrls);
    const { ledger } = inboundDeps(aws, clock);
    const crashing = Object.assign(noRelease(ledger), {
      save: async (r: InboundRecord) => (r.state === 'routed' ? Promise.reject(new Error('lambda died')) : ledger.save(r)),
    });
    await expect(receiveMail(inboundDeps(aws, clock, { queue, ledger: crashing }), inboundMail(id))).rejects.toThrow('lambda died');
    // Act: the retry may not decide again (it threads and stores nothing): it resends what the stored message carries
    clock.advance(LEASE_MS + 1);
    const resumed = await receiveMail(inboundDeps(aws, clock, { queue, ...decidingNothing() }), inboundMail(id));
    // Assert
    expect(resumed).toMatchObject({ status: 'routed' });
    expect(sends).toHaveLength(2);
    expect(sends[1]).toEqual(sends[0]);
    expect(sends[0]?.dedupId).toBe((resumed as { messageId: string }).messageId);
    expect(await aws.drain(aws.queueUrls.support ?? '')).toHaveLength(1);
  });

  it('sends exactly the pointer a reply was stored with after a crash before queueing, whatever changed since', async () => {
    // Arrange: the reply joins on its claims, stores its message with the pointer and dies sending it; then an agent takes the conversation
    const clock = new TestClock();
    const parentId = `${sesId('p')}@customer.example`;
    const parent = await deliver(customerMail({ messageId: parentId }), 'p', clock);
    await aws.drain(aws.queueUrls.support ?? '');
    const id = await stored(customerMail({ messageId: `${sesId('r')}@customer.example`, inReplyTo: parentId, subject: 'Re: My order' }), 'r');
    const { queue, sent } = crashingQueue();
    const deps = inboundDeps(aws, clock, { queue });
    await expect(receiveMail({ ...deps, ledger: noRelease(deps.ledger) }, inboundMail(id))).rejects.toThrow('lambda died');
    const key = { pk: `CONV#${parent.conversationId ?? ''}`, sk: 'CONV' };
    await aws.db.send(
      new UpdateCommand({ TableName: aws.tableName, Key: key, UpdateExpression: 'SET lastAgent = :a', ExpressionAttributeValues: { ':a': 'agent-7' } }),
    );
    const waiting = (await inboundOf(parent.conversationId, id))[0];
    // Act: the retry may not decide again; it finds the pointer on the stored message
    clock.advance(LEASE_MS + 1);
    const resumed = await receiveMail(inboundDeps(aws, clock, { queue, ...decidingNothing() }), inboundMail(id));
    // Assert
    expect(resumed).toMatchObject({ status: 'routed', conversationId: parent.conversationId });
    expect(sent).toEqual([expect.objectContaining({ messageId: waiting?.messageId, conversationId: parent.conversationId, previousAgent: null })]);
    expect(await inboundOf(parent.conversationId, id)).toHaveLength(1);
    expect(await aws.drain(aws.queueUrls.support ?? '')).toHaveLength(1);
  });

  it('decides a reply again after a crash between claiming its own Message-ID and storing it: one message, one pointer', async () => {
    // Arrange
    const clock = new TestClock();
    const parentId = `${sesId('p')}@customer.example`;
    const parent = await deliver(customerMail({ messageId: parentId }), 'p', clock);
    await aws.drain(aws.queueUrls.support ?? '');
    const id = await stored(customerMail({ messageId: `${sesId('r')}@customer.example`, inReplyTo: parentId, subject: 'Re: My order' }), 'r');
    const deps = inboundDeps(aws, clock);
    const dying = Object.assign(Object.create(deps.conversations) as ConversationStore, {
      claimOwn: async (...a: Parameters<ConversationStore['claimOwn']>) => {
        await deps.conversations.claimOwn(...a);
        throw new Error('lambda died');
      },
    });
    await expect(receiveMail({ ...deps, conversations: dying, ledger: noRelease(deps.ledger) }, inboundMail(id))).rejects.toThrow('lambda died');
    // Act
    clock.advance(LEASE_MS + 1);
    const retried = await receiveMail(inboundDeps(aws, clock), inboundMail(id));
    // Assert
    expect(retried).toMatchObject({ status: 'routed', conversationId: parent.conversationId });
    expect(await inboundOf(parent.conversationId, id)).toHaveLength(1);
    expect(await aws.drain(aws.queueUrls.support ?? '')).toHaveLength(1);
  });

  it('keeps the pointer on the record when the own Message-ID’s claim names another conversation (a reply came first)', async () => {
    // Arrange: R answers the unseen P and opens X (claiming P for it); P itself answers Q, so P joins Q's conversation
    const clock = new TestClock();
    const [q, p] = [`${sesId('q')}@customer.example`, `${sesId('p')}@customer.example`];
    const asked = await deliver(customerMail({ messageId: q }), 'q', clock);
    const early = await deliver(
      customerMail({ messageId: `${sesId('r')}@customer.example`, inReplyTo: p, subject: 'Re: order', from: 'Bob <bob@other.example>' }),
      'r',
      clock,
    );
    await aws.drain(aws.queueUrls.support ?? '');
    const id = await stored(customerMail({ messageId: p, inReplyTo: q, subject: 'Re: order' }), 'p');
    const { queue, sent } = crashingQueue();
    const deps = inboundDeps(aws, clock, { queue });
    await expect(receiveMail({ ...deps, ledger: noRelease(deps.ledger) }, inboundMail(id))).rejects.toThrow('lambda died');
    const crashed = (await item(`INBOUND#${id}`, 'CHANNEL#support')) as unknown as InboundRecord;
    // Act: resumed from the record, the raw mail is not read again
    clock.advance(LEASE_MS + 1);
    const unread = { get: async () => Promise.reject(new Error('the retry read the raw mail')) };
    const resumed = await receiveMail(inboundDeps(aws, clock, { queue, rawMail: unread }), inboundMail(id));
    // Assert
    expect((await store.findClaims('support', [p])).get(p)?.conversationId).toBe(early.conversationId);
    expect(crashed).toMatchObject({
      state: 'decided',
      conversationId: asked.conversationId,
      routed: expect.objectContaining({ conversationId: asked.conversationId }),
    });
    expect(resumed).toMatchObject({ status: 'routed', conversationId: asked.conversationId });
    expect(sent).toEqual([crashed.routed]);
    expect(await aws.drain(aws.queueUrls.support ?? '')).toHaveLength(1);
  });

  it('keeps the pointer on the record for a mail without a Message-ID', async () => {
    // Arrange
    const clock = new TestClock();
    const id = await stored(customerMail({ messageId: 'dropped' }).replace(/^Message-ID: <dropped>\r\n/m, ''), 'no-id');
    const { queue, sent } = crashingQueue();
    const deps = inboundDeps(aws, clock, { queue });
    await expect(receiveMail({ ...deps, ledger: noRelease(deps.ledger) }, inboundMail(id))).rejects.toThrow('lambda died');
    const crashed = (await item(`INBOUND#${id}`, 'CHANNEL#support')) as unknown as InboundRecord;
    // Act
    clock.advance(LEASE_MS + 1);
    const unread = { get: async () => Promise.reject(new Error('the retry read the raw mail')) };
    const resumed = await receiveMail(inboundDeps(aws, clock, { queue, rawMail: unread }), inboundMail(id));
    // Assert
    expect(crashed).toMatchObject({ state: 'decided', routed: expect.objectContaining({ isNewConversation: true }) });
    expect(resumed).toMatchObject({ status: 'routed' });
    expect(sent).toEqual([crashed.routed]);
    await aws.drain(aws.queueUrls.support ?? '');
  });

  it('joins a reply decided on its parent’s claim where a merged conversation ended, and says so in its reason', async () => {
    // Arrange: the parent's id was claimed for a candidate that lost its race to W
    const at = '2026-11-22T10:00:00.000Z';
    const [w, c, parentId] = [sesId('conv-w'), sesId('conv-c'), `${sesId('p')}@customer.example`];
    await store.create({ id: w, channelId: 'support', ticketNumber: '0000077', replyToken: null, createdAt: at });
    await store.publish({ id: w, channelId: 'support', ticketNumber: '0000077', replyToken: null, createdAt: at }, ['carla@customer.example'], at, {
      reopen: true,
    });
    await store.create({ id: c, channelId: 'support', ticketNumber: '0000078', replyToken: null, createdAt: at });
    await store.claim('support', parentId, c);
    await store.markMerged(c, w, at);
    // Act
    const id = await stored(customerMail({ messageId: `${sesId('r')}@customer.example`, inReplyTo: parentId, subject: 'Re: order' }), 'r');
    const reply = await receiveMail(inboundDeps(aws, new TestClock()), inboundMail(id));
    // Assert
    const [pointer] = (await aws.drain(aws.queueUrls.support ?? '')).map((m) => JSON.parse(m.Body ?? '{}') as RoutedMessage);
    const [message] = await inboundOf(w, id);
    expect(reply).toMatchObject({ status: 'routed', conversationId: w });
    expect(pointer).toMatchObject({ conversationId: w, ticketNumber: '0000077', isNewConversation: false });
    expect(message?.direction === 'inbound' && message.thread.reason).toBe(`in-reply-to ${parentId} belongs to conversation ${w} (ticket 0000077)`);
  });

  it('queues one pointer for two overlapping attempts of one mail: the checkpoint stored first stands', async () => {
    // Arrange: attempt A outlives its lease just before storing; B takes over and decides again after an agent answered
    const parentId = `${sesId('p')}@customer.example`;
    const parent = await deliver(customerMail({ messageId: parentId }), 'p');
    await aws.drain(aws.queueUrls.support ?? '');
    const id = await stored(customerMail({ messageId: `${sesId('r')}@customer.example`, inReplyTo: parentId, subject: 'Re: My order' }), 'r');
    const [reached, resume] = [deferred(), deferred()];
    const depsA = inboundDeps(aws, new TestClock());
    const slow = Object.assign(Object.create(depsA.messages) as ReceiveMailDeps['messages'], {
      putDecided: async (...a: Parameters<ReceiveMailDeps['messages']['putDecided']>) => {
        reached.resolve();
        await resume.promise;
        return depsA.messages.putDecided(...a);
      },
    });
    const sentByA: RoutedMessage[] = [];
    const queueA: RoutedQueue = { send: async (m) => void sentByA.push(m) };
    const attemptA = receiveMail({ ...depsA, messages: slow, queue: queueA }, inboundMail(id)).catch((e: unknown) => e);
    await reached.promise;
    const key = { pk: `CONV#${parent.conversationId ?? ''}`, sk: 'CONV' };
    await aws.db.send(
      new UpdateCommand({ TableName: aws.tableName, Key: key, UpdateExpression: 'SET lastAgent = :a', ExpressionAttributeValues: { ':a': 'agent-7' } }),
    );
    const clockB = new TestClock();
    clockB.advance(LEASE_MS + 1);
    // Act
    const attemptB = await receiveMail(inboundDeps(aws, clockB), inboundMail(id));
    resume.resolve();
    const endedA = await attemptA;
    // Assert: A sends what B stored, then finds its lease taken
    const pointers = (await aws.drain(aws.queueUrls.support ?? '')).map((m) => JSON.parse(m.Body ?? '{}') as RoutedMessage);
    expect(attemptB).toMatchObject({ status: 'routed', conversationId: parent.conversationId });
    expect(pointers).toEqual([expect.objectContaining({ previousAgent: 'agent-7' })]);
    expect(sentByA).toEqual(pointers);
    expect(endedA).toBeInstanceOf(BusyError);
    expect(await inboundOf(parent.conversationId, id)).toHaveLength(1);
  });

  it('keeps the first checkpoint a message is stored with; a replay replaces it', async () => {
    // Arrange
    const messages = new DynamoMessageStore(aws.db, aws.tableName);
    const message = inboundMessage({ messageId: sesId('m'), conversationId: sesId('conv'), receivedAt: '2026-11-22T10:00:00.000Z' });
    const pointer = (skill: string): DecidedCheckpoint => ({ routed: routedMessage({ messageId: message.messageId, skill }), acknowledgement: null });
    // Act
    const first = await messages.putDecided(message, pointer('support'), { replace: false });
    const second = await messages.putDecided({ ...message, preview: 'changed' }, pointer('billing'), { replace: false });
    const replayed = await messages.putDecided({ ...message, preview: 'replayed' }, pointer('billing'), { replace: true });
    const found = await messages.findDecided({ ...message, conversationId: message.conversationId });
    // Assert
    expect(first.decided.routed?.skill).toBe('support');
    expect(second).toEqual(first);
    expect(replayed.decided.routed?.skill).toBe('billing');
    expect(found).toEqual({ message: { ...message, preview: 'replayed' }, decided: pointer('billing') });
    expect((await messages.list(message.conversationId ?? '')).map((m) => m.preview)).toEqual(['replayed']);
  });
});
