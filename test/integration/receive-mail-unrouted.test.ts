import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoConversationAdmin } from '../../functions/adapters/dynamo-conversation-admin.ts';
import { DynamoFailedMailAdmin } from '../../functions/adapters/dynamo-failed-mail-admin.ts';
import { DependencyError } from '../../functions/core/errors.ts';
import { receiveMail } from '../../functions/core/inbound/receive-mail.ts';
import type { InboundRecord } from '../../functions/core/model/inbound-record.ts';
import { RoutedMessageSchema, type RoutedMessage } from '../../functions/core/model/routed-message.ts';
import type { RoutedQueue } from '../../functions/core/ports/inbound.ts';
import { TestClock, customerMail, inboundDeps, inboundMail } from '../support/inbound-deps.ts';
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

async function routed(): Promise<RoutedMessage[]> {
  return (await aws.drain(aws.queueUrls.support ?? '')).map((m) => RoutedMessageSchema.parse(JSON.parse(m.Body ?? '')));
}

async function record(sesMessageId: string): Promise<InboundRecord> {
  const key = { pk: `INBOUND#${sesMessageId}`, sk: 'CHANNEL#support' };
  const out = await aws.db.send(new GetCommand({ TableName: aws.tableName, Key: key, ConsistentRead: true }));
  return out.Item as unknown as InboundRecord;
}

/** The real skill queue, whose first `failures` sends fail with `error` (the pointer never reaches SQS). */
function failingQueue(error: () => Error, failures = 1): RoutedQueue {
  const real = inboundDeps(aws, new TestClock()).queue;
  let left = failures;
  return {
    send: async (message) => {
      if (left-- > 0) throw error();
      await real.send(message);
    },
  };
}

async function stored(raw: string, label: string): Promise<string> {
  const id = sesId(label);
  await aws.putRaw(inboundMail(id).rawKey, raw);
  return id;
}

const refused = () => new DependencyError('dependency-rejected', 'InvalidMessageContents: refused');
const lost = () => new Error('socket hang up');

describe('nothing stored but unrouted, against dynalite and fauxqs', () => {
  it('lists a mail whose pointer SQS refused as failed, with its message stored; a replay routes it once', async () => {
    // Arrange
    const id = await stored(customerMail({ messageId: `${sesId('refused')}@customer.example` }), 'refused');
    const failed = new DynamoFailedMailAdmin(aws.db, aws.tableName);

    // Act
    const first = await receiveMail(inboundDeps(aws, new TestClock(), { queue: failingQueue(refused) }), inboundMail(id));
    const stranded = await record(id);
    const messages = await new DynamoConversationAdmin(aws.db, aws.tableName).messages(stranded.conversationId ?? '');
    const listed = await failed.get(id, 'support');
    const onQueueBefore = await routed();
    const replayed = await receiveMail(inboundDeps(aws, new TestClock()), inboundMail(id), { replay: true });
    const onQueue = await routed();
    const again = await receiveMail(inboundDeps(aws, new TestClock()), inboundMail(id), { replay: true });

    // Assert
    expect(first).toMatchObject({ status: 'failed', error: { code: 'dependency-rejected' } });
    expect(messages.map((m) => m.messageId)).toEqual([stranded.messageId]);
    expect(listed).toMatchObject({ sesMessageId: id, channelId: 'support', code: 'dependency-rejected' });
    expect(onQueueBefore).toEqual([]);
    expect(replayed).toMatchObject({ status: 'routed', duplicate: false, conversationId: stranded.conversationId });
    expect(onQueue.map((p) => p.messageId)).toEqual([stranded.messageId]);
    expect(again).toMatchObject({ status: 'routed', duplicate: true });
    expect(await routed()).toEqual([]);
  });

  it('routes a first copy whose send was lost when the sender delivers the mail again (same Message-ID, new receipt)', async () => {
    // Arrange: the send fails with an error a retry may fix; the sender gets a 4xx and tries again
    const raw = customerMail({ messageId: `${sesId('lost')}@customer.example` });
    const firstId = await stored(raw, 'lost-first');
    await expect(receiveMail(inboundDeps(aws, new TestClock(), { queue: failingQueue(lost) }), inboundMail(firstId))).rejects.toThrow('socket hang up');
    const stranded = await record(firstId);
    const secondId = await stored(raw, 'lost-second');

    // Act
    const second = await receiveMail(inboundDeps(aws, new TestClock()), inboundMail(secondId));

    // Assert: the first copy's message (it carries the pointer; the record waits) is on the queue once; the second is kept as a copy
    expect(stranded).toMatchObject({ state: 'received', routed: null });
    const completed = await record(firstId);
    expect(completed).toMatchObject({ state: 'routed', conversationId: expect.any(String) });
    expect(second).toMatchObject({ status: 'recorded', conversationId: completed.conversationId });
    expect(second.status === 'recorded' && second.tags).toContain('duplicate-message-id');
    expect((await routed()).map((p) => p.messageId)).toEqual([stranded.messageId]);
  });

  it('completes a first copy that failed and was listed when a second copy arrives', async () => {
    // Arrange
    const raw = customerMail({ messageId: `${sesId('listed')}@customer.example`, subject: 'Where is my parcel?' });
    const firstId = await stored(raw, 'listed-first');
    const first = await receiveMail(inboundDeps(aws, new TestClock(), { queue: failingQueue(refused) }), inboundMail(firstId));
    const secondId = await stored(raw, 'listed-second');

    // Act
    const second = await receiveMail(inboundDeps(aws, new TestClock()), inboundMail(secondId));
    const third = await receiveMail(inboundDeps(aws, new TestClock()), inboundMail(await stored(raw, 'listed-third')));

    // Assert: one pointer, the first copy's; later copies only recorded
    expect(first.status).toBe('failed');
    const pointers = await routed();
    expect(pointers.map((p) => p.messageId)).toEqual([(await record(firstId)).messageId]);
    expect(await record(firstId)).toMatchObject({ state: 'routed' });
    expect(second).toMatchObject({ status: 'recorded' });
    expect(third).toMatchObject({ status: 'recorded' });
  });

  it('fails a second copy with the reason of a first copy that fails again, so both stay listed', async () => {
    // Arrange: the first copy's pointer is refused, and so is the resend the second copy makes for it
    const raw = customerMail({ messageId: `${sesId('again')}@customer.example` });
    const firstId = await stored(raw, 'again-first');
    await receiveMail(inboundDeps(aws, new TestClock(), { queue: failingQueue(refused) }), inboundMail(firstId));
    const secondId = await stored(raw, 'again-second');

    // Act
    const second = await receiveMail(inboundDeps(aws, new TestClock(), { queue: failingQueue(refused) }), inboundMail(secondId));

    // Assert
    expect(second).toMatchObject({ status: 'failed', error: { code: 'dependency-rejected' } });
    const failed = new DynamoFailedMailAdmin(aws.db, aws.tableName);
    expect(await failed.get(firstId, 'support')).not.toBeNull();
    expect(await failed.get(secondId, 'support')).toMatchObject({ reason: expect.stringContaining(`the first copy of this message (${firstId}) failed`) });
    expect(await routed()).toEqual([]);
  });

  it('puts a pointer whose subject and sender name hold emoji and U+FFFE on the local queue, unchanged for its reader', async () => {
    // Arrange: fauxqs, like SQS, refuses U+FFFE; unlike SQS it refuses characters above U+FFFF too
    const subject = '📦 Wo ist mein Paket? \uFFFE 🚚';
    const encoded = (text: string): string => `=?UTF-8?B?${Buffer.from(text).toString('base64')}?=`;
    const from = `${encoded('👻Carla')} <carla@customer.example>`;
    const raw = customerMail({ messageId: `${sesId('emoji')}@customer.example`, subject: encoded(subject), from });
    const id = await stored(raw, 'emoji');

    // Act
    const outcome = await receiveMail(inboundDeps(aws, new TestClock()), inboundMail(id));

    // Assert
    expect(outcome).toMatchObject({ status: 'routed' });
    const [pointer, ...more] = await routed();
    expect(more).toEqual([]);
    expect(pointer?.subject).toContain('📦 Wo ist mein Paket?');
    expect(pointer?.subject).toContain('🚚');
    expect(pointer?.from).toEqual({ address: 'carla@customer.example', name: '👻Carla' });
  });
});
