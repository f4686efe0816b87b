import { GetCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoFailedMailStore } from '../../functions/adapters/dynamo-failed-mail-store.ts';
import { DynamoMessageStore } from '../../functions/adapters/dynamo-message-store.ts';
import { AppError } from '../../functions/core/errors.ts';
import { MAX_ATTEMPTS, receiveMail } from '../../functions/core/inbound/receive-mail.ts';
import type { InboundMail, InboundRecord } from '../../functions/core/model/inbound-record.ts';
import type { DecidedCheckpoint, InboundLedger } from '../../functions/core/ports/inbound.ts';
import type { InboundStoredMessage, StoredMessage } from '../../functions/core/model/stored-message.ts';
import type { ReceiveMailDeps } from '../../functions/core/inbound/receive-mail.ts';
import { TestClock, customerMail, inboundDeps, inboundMail, retrying } from '../support/inbound-deps.ts';
import { startSeededLocalAws, type LocalAws } from '../support/local-aws.ts';

let aws: LocalAws;
let n = 0;
const sesId = (label: string): string => `${label}-${++n}-0100018c`;

beforeAll(async () => {
  aws = await startSeededLocalAws();
});

afterAll(async () => {
  await aws.stop();
});

type Routed = { status: string; conversationId: string; tags: string[] };

/** Stores the raw mail under a new SES id and receives it. */
async function deliver(raw: string, label: string, mail: Partial<InboundMail> = {}): Promise<Routed> {
  const id = sesId(label);
  await aws.putRaw(inboundMail(id).rawKey, raw);
  return (await receiveMail(inboundDeps(aws, new TestClock()), { ...inboundMail(id), ...mail })) as unknown as Routed;
}

async function conversation(id: string): Promise<Record<string, unknown> | undefined> {
  return (await aws.db.send(new GetCommand({ TableName: aws.tableName, Key: { pk: `CONV#${id}`, sk: 'CONV' } }))).Item;
}

async function queued(): Promise<number> {
  return (await aws.drain(aws.queueUrls.support ?? '')).length;
}

type Messages = ReceiveMailDeps['messages'];
/** The real message store whose writes (of a message alone or with its checkpoint) pass `write` first. */
function withWrite(write: <M extends StoredMessage>(message: M) => Promise<M>): Messages {
  const real = new DynamoMessageStore(aws.db, aws.tableName);
  return Object.assign(Object.create(real) as Messages, {
    put: async (message: InboundStoredMessage) => real.put(await write(message)),
    putDecided: async (message: InboundStoredMessage, decided: DecidedCheckpoint, options: { replace: boolean }) =>
      real.putDecided(await write(message), decided, options),
  });
}
const failing = (error: Error): Messages => withWrite(async () => Promise.reject(error));

describe('receiveMail outcomes against dynalite and fauxqs', () => {
  it('records a second copy of a stored mail (new SES id, same Message-ID) without routing it', async () => {
    const raw = customerMail({ messageId: `${sesId('copy')}@customer.example` });
    const first = await deliver(raw, 'copy-a');
    await queued();
    const second = await deliver(raw, 'copy-b');
    expect(first.status).toBe('routed');
    expect(second).toMatchObject({ status: 'recorded', conversationId: first.conversationId });
    expect(second.tags).toContain('duplicate-message-id');
    expect(await queued()).toBe(0);
  });

  it('still routes a parent that arrives after its reply claimed its id as a reference', async () => {
    const parent = `${sesId('parent')}@customer.example`;
    const child = await deliver(customerMail({ messageId: `${sesId('child')}@customer.example`, inReplyTo: parent, subject: 'Re: order' }), 'child');
    const late = await deliver(customerMail({ messageId: parent }), 'late-parent');
    expect(late).toMatchObject({ status: 'routed', conversationId: child.conversationId });
    expect(late.tags).not.toContain('duplicate-message-id');
    expect(await queued()).toBe(2);
  });

  it('records a later copy of a reply without touching its conversation (closed stays closed), with one ledger save', async () => {
    // Arrange: a question, a reply to it, then the conversation is closed
    const question = `${sesId('q')}@customer.example`;
    const opened = await deliver(customerMail({ messageId: question }), 'q');
    const reply = customerMail({ messageId: `${sesId('reply')}@customer.example`, inReplyTo: question, subject: 'Re: My order' });
    const first = await deliver(reply, 'reply-a');
    await aws.db.send(
      new UpdateCommand({
        TableName: aws.tableName,
        Key: { pk: `CONV#${opened.conversationId}`, sk: 'CONV' },
        UpdateExpression: 'SET #s = :c',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':c': 'closed' },
      }),
    );
    await queued();
    const before = await conversation(opened.conversationId);
    const id = sesId('reply-b');
    await aws.putRaw(inboundMail(id).rawKey, reply);
    const deps = inboundDeps(aws, new TestClock());
    let saves = 0;
    const ledger = Object.assign(Object.create(deps.ledger) as InboundLedger, {
      save: async (r: InboundRecord) => {
        saves++;
        return deps.ledger.save(r);
      },
    });
    // Act
    const second = (await receiveMail({ ...deps, ledger }, inboundMail(id))) as unknown as Routed;
    // Assert
    expect(first).toMatchObject({ status: 'routed', conversationId: opened.conversationId });
    expect(second).toMatchObject({ status: 'recorded', conversationId: opened.conversationId });
    expect(second.tags).toContain('duplicate-message-id');
    expect(await conversation(opened.conversationId)).toEqual(before);
    expect(saves).toBe(1);
    expect(await queued()).toBe(0);
  });

  it('leaves no second conversation behind for a later copy of a first mail', async () => {
    const raw = customerMail({ messageId: `${sesId('first')}@customer.example` });
    const first = await deliver(raw, 'first-a');
    const second = await deliver(raw, 'first-b');
    expect(second).toMatchObject({ status: 'recorded', conversationId: first.conversationId });
    const items = (await aws.db.send(new ScanCommand({ TableName: aws.tableName, ConsistentRead: true }))).Items ?? [];
    const candidates = items.filter(
      (i) => i.sk === 'CONV' && i.createdAt !== undefined && i.id !== first.conversationId && i.mergedInto === first.conversationId,
    );
    expect(candidates.map((c) => c.visibility)).toEqual(['merged']);
    expect(items.filter((i) => String(i.pk).startsWith('TICKET#') && i.conversationId === candidates[0]?.id)).toEqual([]);
    expect(await queued()).toBe(1);
  });

  it('routes exactly one of two copies of a mail that arrive together', async () => {
    for (let round = 0; round < 4; round++) {
      // Arrange: a reply to an unseen message, delivered twice at once under two SES ids
      const raw = customerMail({ messageId: `${sesId('twin')}@customer.example`, inReplyTo: `${sesId('unseen')}@customer.example`, subject: 'Re: order' });
      const [a, b] = [sesId('twin-a'), sesId('twin-b')];
      await aws.putRaw(inboundMail(a).rawKey, raw);
      await aws.putRaw(inboundMail(b).rawKey, raw);
      // Act
      const outcomes = (await Promise.all(
        [a, b].map((id) => retrying(() => receiveMail(inboundDeps(aws, new TestClock()), inboundMail(id)))),
      )) as unknown as Routed[];
      // Assert
      expect(outcomes.map((o) => o.status).sort()).toEqual(['recorded', 'routed']);
      expect(outcomes[0]?.conversationId).toBe(outcomes[1]?.conversationId);
      expect(outcomes.find((o) => o.status === 'recorded')?.tags).toContain('duplicate-message-id');
      expect(await queued()).toBe(1);
    }
  });

  it('records a later copy of an unattached automatic answer as a copy', async () => {
    const ooo = customerMail({ messageId: `${sesId('ooo')}@customer.example`, subject: 'Automatic reply: hello' }).replace(
      'MIME-Version',
      'Auto-Submitted: auto-replied\r\nMIME-Version',
    );
    const first = await deliver(ooo, 'ooo-a');
    const second = await deliver(ooo, 'ooo-b');
    expect(first).toMatchObject({ status: 'recorded', conversationId: null });
    expect(first.tags).not.toContain('duplicate-message-id');
    expect(second.tags).toContain('duplicate-message-id');
    expect(await queued()).toBe(0);
  });

  it('records a later copy of a reply threaded by ticket number alone (no headers) without reopening', async () => {
    // Arrange
    const opened = await deliver(customerMail({ messageId: `${sesId('q')}@customer.example` }), 'q');
    const ticket = String((await conversation(opened.conversationId))?.ticketNumber);
    const reply = customerMail({ messageId: `${sesId('t')}@customer.example`, subject: `Re: My order [#${ticket}]` });
    const first = await deliver(reply, 'ticket-a');
    await aws.db.send(
      new UpdateCommand({
        TableName: aws.tableName,
        Key: { pk: `CONV#${opened.conversationId}`, sk: 'CONV' },
        UpdateExpression: 'SET #s = :c',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':c': 'closed' },
      }),
    );
    // Act
    const second = await deliver(reply, 'ticket-b');
    // Assert
    expect(first).toMatchObject({ status: 'routed', conversationId: opened.conversationId });
    expect(second).toMatchObject({ status: 'recorded', conversationId: opened.conversationId });
    expect((await conversation(opened.conversationId))?.status).toBe('closed');
    expect(await queued()).toBe(2);
  });

  it('still routes a parent with references of its own that arrives after its reply', async () => {
    const parent = `${sesId('parent')}@customer.example`;
    const child = await deliver(customerMail({ messageId: `${sesId('child')}@customer.example`, inReplyTo: parent, subject: 'Re: order' }), 'child');
    const late = await deliver(customerMail({ messageId: parent, inReplyTo: `${sesId('gone')}@customer.example`, subject: 'Re: earlier' }), 'late-parent');
    expect(late).toMatchObject({ status: 'routed', conversationId: child.conversationId });
    expect(late.tags).not.toContain('duplicate-message-id');
    expect(await queued()).toBe(2);
  });

  it('keeps the ticket number a crashed attempt created its conversation with', async () => {
    // Arrange: the message write fails once, after the conversation was created
    const id = sesId('retry');
    await aws.putRaw(inboundMail(id).rawKey, customerMail({ messageId: `${id}@customer.example` }));
    const deps = inboundDeps(aws, new TestClock());
    let failures = 1;
    const flaky = withWrite(async (m) => (failures-- > 0 ? Promise.reject(new Error('throttled')) : m));
    // Act
    const crashed = await receiveMail({ ...deps, messages: flaky }, inboundMail(id)).catch((e: unknown) => e);
    const resumed = await receiveMail({ ...deps, messages: flaky }, inboundMail(id));
    // Assert
    expect(crashed).toBeInstanceOf(Error);
    const [routed] = (await aws.drain(aws.queueUrls.support ?? '')).map(
      (m) => JSON.parse(m.Body ?? '{}') as { ticketNumber: string; conversationId: string; isNewConversation: boolean },
    );
    expect(resumed).toMatchObject({ status: 'routed', conversationId: routed?.conversationId });
    expect(routed?.isNewConversation).toBe(true);
    const stored = await conversation(routed?.conversationId ?? '');
    expect(stored).toMatchObject({ ticketNumber: routed?.ticketNumber, visibility: 'published' });
    const index = (await aws.db.send(new GetCommand({ TableName: aws.tableName, Key: { pk: `TICKET#support#${routed?.ticketNumber}`, sk: 'TICKET' } }))).Item;
    expect(index?.conversationId).toBe(routed?.conversationId);
  });

  it('records an out-of-office answer in a closed conversation and leaves it closed; a human reply reopens it', async () => {
    // Arrange
    const question = `${sesId('q')}@customer.example`;
    const opened = await deliver(customerMail({ messageId: question }), 'q');
    await aws.db.send(
      new UpdateCommand({
        TableName: aws.tableName,
        Key: { pk: `CONV#${opened.conversationId}`, sk: 'CONV' },
        UpdateExpression: 'SET #s = :c',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':c': 'closed' },
      }),
    );
    await queued();
    const ooo = customerMail({ messageId: `${sesId('ooo')}@customer.example`, inReplyTo: question, subject: 'Automatic reply: My order' }).replace(
      'MIME-Version',
      'Auto-Submitted: auto-replied\r\nMIME-Version',
    );
    // Act
    const automatic = await deliver(ooo, 'ooo');
    const afterAutomatic = await conversation(opened.conversationId);
    const human = await deliver(customerMail({ messageId: `${sesId('h')}@customer.example`, inReplyTo: question, subject: 'Re: My order' }), 'human');
    // Assert
    expect(automatic).toMatchObject({ status: 'recorded', conversationId: opened.conversationId });
    expect(afterAutomatic?.status).toBe('closed');
    expect(human).toMatchObject({ status: 'routed', conversationId: opened.conversationId });
    expect((await conversation(opened.conversationId))?.status).toBe('open');
    expect(await queued()).toBe(1);
  });

  it('adds no participants from a forged (DMARC-failed) reply', async () => {
    const question = `${sesId('q')}@customer.example`;
    const opened = await deliver(customerMail({ messageId: question }), 'q');
    const forged = customerMail({ messageId: `${sesId('forged')}@evil.example`, inReplyTo: question, subject: 'Re: order' }).replace(
      'MIME-Version',
      'Reply-To: mallory@evil.example\r\nCc: eve@evil.example\r\nMIME-Version',
    );
    const spoofed = await deliver(forged, 'forged', { verdicts: { dmarcVerdict: 'FAIL', dmarcPolicy: 'REJECT', spfVerdict: 'FAIL', dkimVerdict: 'FAIL' } });
    expect(spoofed.conversationId).toBe(opened.conversationId);
    expect([...((await conversation(opened.conversationId))?.participants as Set<string>)]).toEqual(['carla@customer.example']);
    await queued();
  });

  it('threads on a Message-ID too long for a key, by its hash', async () => {
    const long = `${'€'.repeat(700)}@x.example`;
    const first = await deliver(customerMail({ messageId: `${sesId('big')}@customer.example`, inReplyTo: long, subject: 'Re: hi' }), 'big');
    const second = await deliver(customerMail({ messageId: `${sesId('big2')}@customer.example`, inReplyTo: long, subject: 'Re: hi' }), 'big2');
    expect(second.conversationId).toBe(first.conversationId);
    const keys = ((await aws.db.send(new ScanCommand({ TableName: aws.tableName }))).Items ?? []).map((i) => String(i.pk));
    expect(Math.max(...keys.map((k) => Buffer.byteLength(k)))).toBeLessThan(300);
    await queued();
  });

  it('fails a mail whose error never goes away once attempts reach the bound, with a failed record', async () => {
    // Arrange: every attempt dies of the same bug
    const id = sesId('bug');
    await aws.putRaw(inboundMail(id).rawKey, customerMail({ messageId: `${id}@customer.example` }));
    const deps = inboundDeps(aws, new TestClock(), { messages: failing(new TypeError('cannot read x of undefined')) });
    // Act
    const thrown: unknown[] = [];
    for (let i = 1; i < MAX_ATTEMPTS; i++) thrown.push(await receiveMail(deps, inboundMail(id)).catch((e: unknown) => e));
    const last = await receiveMail(deps, inboundMail(id));
    // Assert
    expect(thrown.every((e) => e instanceof TypeError)).toBe(true);
    expect(last).toMatchObject({ status: 'failed', error: { code: 'unexpected-error' } });
    const failed = await new DynamoFailedMailStore(aws.db, aws.tableName).list();
    expect(failed.find((f) => f.sesMessageId === id)?.reason).toContain(`after ${MAX_ATTEMPTS} attempts`);
    const record = (await aws.db.send(new GetCommand({ TableName: aws.tableName, Key: { pk: `INBOUND#${id}`, sk: 'CHANNEL#support' } }))).Item;
    expect(record).toMatchObject({ state: 'failed', attempts: MAX_ATTEMPTS });
  });

  it('fails at once when DynamoDB rejects a write as invalid (an item over 400 KB), translated by the client', async () => {
    // Arrange: the message store writes an item DynamoDB refuses with a ValidationException
    const id = sesId('invalid');
    await aws.putRaw(inboundMail(id).rawKey, customerMail({ messageId: `${id}@customer.example` }));
    const oversized = withWrite(async (message) => ({ ...message, preview: 'x'.repeat(420 * 1024) }));
    // Act
    const outcome = await receiveMail(inboundDeps(aws, new TestClock(), { messages: oversized }), inboundMail(id));
    // Assert
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'dependency-rejected' } });
    expect(outcome.status === 'failed' && outcome.error.reason).toContain('ValidationException');
  });

  it('keeps the candidate conversation on the failed record, so a replay reuses it', async () => {
    // Arrange: the message write fails for good after the candidate was fixed
    const id = sesId('keep');
    await aws.putRaw(inboundMail(id).rawKey, customerMail({ messageId: `${id}@customer.example` }));
    const broken = failing(new AppError('dependency-rejected', 'message store refuses'));
    // Act
    const failed = await receiveMail(inboundDeps(aws, new TestClock(), { messages: broken }), inboundMail(id));
    const record = (await aws.db.send(new GetCommand({ TableName: aws.tableName, Key: { pk: `INBOUND#${id}`, sk: 'CHANNEL#support' } }))).Item;
    const replayed = await receiveMail(inboundDeps(aws, new TestClock()), inboundMail(id), { replay: true });
    // Assert
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'dependency-rejected' } });
    expect(record?.candidate).toMatchObject({ conversationId: expect.any(String) });
    expect(replayed).toMatchObject({ status: 'routed', conversationId: record?.candidate.conversationId });
    await queued();
  });
});
