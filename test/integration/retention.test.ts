import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../functions/adapters/dynamo-audit-log.ts';
import { DynamoChannelDirectory } from '../../functions/adapters/dynamo-channel-directory.ts';
import { DynamoConversationStore } from '../../functions/adapters/dynamo-conversation-store.ts';
import { DynamoFailedMailStore } from '../../functions/adapters/dynamo-failed-mail-store.ts';
import { DynamoLegalHolds } from '../../functions/adapters/dynamo-legal-holds.ts';
import { DynamoMessageStore } from '../../functions/adapters/dynamo-message-store.ts';
import { DynamoOutboundMessages } from '../../functions/adapters/dynamo-outbound-messages.ts';
import { outboundPlanKey } from '../../functions/adapters/s3-outbound-plan-store.ts';
import { recordSentMessage } from '../../functions/core/conversation/record-sent.ts';
import { receiveMail } from '../../functions/core/inbound/receive-mail.ts';
import type { RetentionSettings } from '../../functions/core/model/retention.ts';
import type { OutboundStoredMessage } from '../../functions/core/model/stored-message.ts';
import { epochSeconds } from '../../functions/core/retention/expiry.ts';
import { sweepExpired } from '../../functions/core/retention/sweep-expired.ts';
import { localHandlerOptions } from '../../functions/local/local-aws.ts';
import { sandboxSweepDeps } from '../../functions/local/sandbox-retention.ts';
import { retentionEnv } from '../../functions/runtime/env-fields.ts';
import { sesReceiptEvent, ALL_PASS } from '../../functions/local/ses-receipt.ts';
import { InboundEnvSchema, readEnv } from '../../functions/runtime/env.ts';
import { createInboundHandler } from '../../functions/runtime/inbound-handler.ts';
import { EXAMPLE_CONFIG, startSeededLocalAws, type LocalAws } from '../support/local-aws.ts';
import { TestClock, customerMail, inboundDeps, inboundMail } from '../support/inbound-deps.ts';

const DAY = 86_400;
const SETTINGS: RetentionSettings = { mailDays: 30, failedMailDays: 14, uploadDays: 30, auditDays: 400 };
const T0 = new Date('2027-01-10T10:00:00.000Z');
let aws: LocalAws;
let n = 0;
const sesId = (label: string): string => `${label}-${++n}-0100018d`;

type Item = Record<string, unknown>;

beforeAll(async () => {
  aws = await startSeededLocalAws();
  // The billing channel keeps its mail longer than the account: its own setting.
  const billing = EXAMPLE_CONFIG.channels.find((c) => c.id === 'billing');
  await new DynamoChannelDirectory(aws.db, aws.tableName, { clock: new TestClock(), cacheMs: 0 }).put({
    ...billing,
    id: 'billing',
    address: 'billing@example.com',
    defaultSkill: 'billing',
    retention: { mailDays: 90 },
  });
});

afterAll(async () => {
  await aws.stop();
});

/** The production adapters with the account's settings, as `inboundAdapters` builds them from the environment. */
function deps(clock: TestClock) {
  const retention = SETTINGS;
  return inboundDeps(aws, clock, {
    conversations: new DynamoConversationStore(aws.db, aws.tableName, { retention }),
    messages: new DynamoMessageStore(aws.db, aws.tableName, { retention }),
    failed: new DynamoFailedMailStore(aws.db, aws.tableName, { retention }),
  });
}

/** A mail arriving at the clock's time, stored raw first as SES does. */
async function arrive(clock: TestClock, raw: string, recipients = ['support@example.com']) {
  const id = sesId('mail');
  const mail = { ...inboundMail(id, recipients), receivedAt: clock.now().toISOString() };
  await aws.putRaw(mail.rawKey, raw);
  const outcome = await receiveMail(deps(clock), mail);
  if (outcome.status === 'failed') throw new Error(`mail failed: ${JSON.stringify(outcome)}`);
  return { ...outcome, sesMessageId: id, rawKey: mail.rawKey };
}

async function scan(table = aws.tableName): Promise<Item[]> {
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await aws.db.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

const conversationItem = async (id: string): Promise<Item | undefined> =>
  (await aws.db.send(new GetCommand({ TableName: aws.tableName, Key: { pk: `CONV#${id}`, sk: 'CONV' }, ConsistentRead: true }))).Item;

/** Every item of a conversation: its partition, and what names it (claims, index entries, records, lookups). */
const relatedTo =
  (id: string) =>
  (item: Item): boolean =>
    item.pk === `CONV#${id}` || item.conversationId === id || item.targetPk === `CONV#${id}`;

async function exists(key: string): Promise<boolean> {
  return aws.s3.send(new HeadObjectCommand({ Bucket: aws.bucket, Key: key })).then(
    () => true,
    () => false,
  );
}

/** A customer's mail with one attachment, so an extracted copy can exist beside the raw one. */
function mailWithAttachment(messageId: string): string {
  return [
    'From: Carla Customer <carla@customer.example>',
    'To: Example Support <support@example.com>',
    'Subject: Broken parcel',
    `Message-ID: <${messageId}>`,
    'Date: Sun, 10 Jan 2027 09:59:50 +0000',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'The parcel came broken, photo attached.',
    '',
    '--b1',
    'Content-Type: image/png; name="photo.png"',
    'Content-Disposition: attachment; filename="photo.png"',
    'Content-Transfer-Encoding: base64',
    '',
    'iVBORw0KGgo=',
    '--b1--',
    '',
  ].join('\r\n');
}

describe('expiry written by the inbound handler, from the environment the stack sets', () => {
  it('gives a new conversation its TTL and period in the writes it makes anyway, and its message none of its own', async () => {
    // Arrange: the function as Lambda builds it, with the account's settings in its environment
    const env = readEnv(InboundEnvSchema, {
      TABLE_NAME: aws.tableName,
      MAIL_BUCKET: aws.bucket,
      SKILL_QUEUE_URLS: JSON.stringify(aws.queueUrls),
      OUTBOUND_QUEUE_URL: aws.outbound.queueUrl,
      ...retentionEnv(SETTINGS),
    });
    const handler = createInboundHandler(env, localHandlerOptions(aws, 'SILENT'));
    const id = sesId('handler');
    await aws.putRaw(`inbound/raw/${id}`, customerMail({ messageId: `${id}@customer.example` }));
    const before = epochSeconds(new Date());
    // Act
    await handler(
      sesReceiptEvent({
        sesMessageId: id,
        recipients: ['support@example.com'],
        envelopeSender: 'carla@customer.example',
        verdicts: ALL_PASS,
        receivedAt: new Date(),
      } as never),
      { functionName: 'inbound', awsRequestId: 'r1' } as Context,
    );
    // Assert
    const items = await scan();
    const message = items.find((i) => i.kind === 'message' && i.sesMessageId === id);
    const conversation = await conversationItem(String(message?.conversationId));
    expect(conversation?.retentionSeconds).toBe(30 * DAY);
    expect(Number(conversation?.expiresAt)).toBeGreaterThanOrEqual(before + 30 * DAY);
    expect(Number(conversation?.expiresAt)).toBeLessThan(before + 30 * DAY + 120);
    expect(message).not.toHaveProperty('expiresAt');
    await aws.drain(aws.queueUrls.support ?? '');
  });
});

describe('retention on the local servers', () => {
  it("moves a conversation's expiry with each message either way, and uses the channel's own period", async () => {
    // Arrange
    const clock = new TestClock(T0);
    // Act: a customer writes, answers five days later, an agent replies the next day
    const opened = await arrive(clock, customerMail({ messageId: 'move-1@customer.example' }));
    const first = await conversationItem(String(opened.conversationId));
    clock.advance(5 * DAY * 1000);
    await arrive(clock, customerMail({ messageId: 'move-2@customer.example', inReplyTo: 'move-1@customer.example', subject: 'Re: My order' }));
    const afterReply = await conversationItem(String(opened.conversationId));
    clock.advance(DAY * 1000);
    await recordSentMessage(new DynamoConversationStore(aws.db, aws.tableName, { retention: SETTINGS }), {
      channelId: 'support',
      conversationId: String(opened.conversationId),
      messageId: 'move-out',
      threadIds: ['move-out@example.com'],
      recipients: ['carla@customer.example'],
      agentId: 'agent-1',
      at: clock.now().toISOString(),
    });
    const afterAnswer = await conversationItem(String(opened.conversationId));
    const billing = await arrive(new TestClock(T0), customerMail({ messageId: 'move-b@customer.example', to: 'billing@example.com' }), ['billing@example.com']);
    // Assert
    expect(first?.expiresAt).toBe(epochSeconds(T0) + 30 * DAY);
    expect(afterReply?.expiresAt).toBe(epochSeconds(T0) + 35 * DAY);
    expect(afterAnswer?.expiresAt).toBe(epochSeconds(T0) + 36 * DAY);
    expect((await conversationItem(String(billing.conversationId)))?.expiresAt).toBe(epochSeconds(T0) + 90 * DAY);
    await aws.drain(aws.queueUrls.support ?? '');
    await aws.drain(aws.queueUrls.billing ?? '');
  });

  it('sweeps an expired conversation with everything of it, leaves a held one and one not due intact, and expires the held one once released', async () => {
    // Arrange: conversation A (a mail with an attachment, a reply, an answer we sent), B held, C not due yet
    const clock = new TestClock(T0);
    const a1 = await arrive(clock, mailWithAttachment('sweep-a1@customer.example'));
    const a = String(a1.conversationId);
    const [a1Message] = (await scan()).filter((i) => i.kind === 'message' && i.sesMessageId === a1.sesMessageId);
    await aws.putRaw(`attachments/${String(a1Message?.messageId)}/0`, 'extracted on a download');
    clock.advance(DAY * 1000);
    const a2 = await arrive(
      clock,
      customerMail({ messageId: 'sweep-a2@customer.example', inReplyTo: 'sweep-a1@customer.example', subject: 'Re: Broken parcel' }),
    );
    const sent: OutboundStoredMessage = {
      direction: 'outbound',
      purpose: 'reply',
      messageId: 'sweep-out',
      channelId: 'support',
      conversationId: a,
      internetMessageId: 'sweep-out@example.com',
      subject: 'Re: Broken parcel',
      from: { address: 'support@example.com', name: 'Support' },
      to: [{ address: 'carla@customer.example', name: '' }],
      cc: [],
      bcc: [],
      preview: 'A new one is on its way.',
      attachments: [],
      agentId: 'agent-1',
      external: false,
      inReplyTo: String(a1Message?.messageId),
      providerMessageId: '0100sweep',
      threadIds: ['sweep-out@example.com', '0100sweep@email.amazonses.com'],
      status: 'sent',
      statusReason: null,
      retrying: false,
      recipients: [],
      createdAt: clock.now().toISOString(),
      sentAt: clock.now().toISOString(),
      updatedAt: clock.now().toISOString(),
    };
    await new DynamoOutboundMessages(aws.db, aws.tableName).put(sent);
    await aws.putRaw(outboundPlanKey('support', 'sweep-out'), '{"planned":"mail"}');
    await recordSentMessage(new DynamoConversationStore(aws.db, aws.tableName, { retention: SETTINGS }), {
      ...sent,
      recipients: ['carla@customer.example'],
      at: clock.now().toISOString(),
    });
    const b1 = await arrive(new TestClock(T0), customerMail({ messageId: 'sweep-b1@customer.example', from: 'Dan <dan@customer.example>' }));
    const b = String(b1.conversationId);
    const held = await new DynamoLegalHolds(aws.db, aws.tableName).place(b, { since: T0.toISOString(), by: 'admin', reason: 'case 2027-14' });
    const c1 = await arrive(
      new TestClock(new Date(T0.getTime() + 20 * DAY * 1000)),
      customerMail({ messageId: 'sweep-c1@customer.example', from: 'Eve <eve@customer.example>' }),
    );
    const c = String(c1.conversationId);
    await aws.drain(aws.queueUrls.support ?? '');
    const before = await scan();
    expect(before.filter(relatedTo(a)).length).toBeGreaterThan(10);
    // Act: 40 days on, A (last message at day 1, 30 days) is due; C (day 20) is not; B has no expiry
    const report = await sweepExpired(sandboxSweepDeps({ ...aws, auditTableName: aws.auditTableName }, SETTINGS), new Date(T0.getTime() + 40 * DAY * 1000));
    const after = await scan();
    // Assert: A is gone, every item and object of it
    const expiredIds = report.expired.flatMap((e) => (e.conversation ? [e.conversation.id] : []));
    expect(expiredIds).toContain(a);
    expect(expiredIds).not.toContain(b);
    expect(expiredIds).not.toContain(c);
    expect(report.expired.find((e) => e.conversation?.id === a)).toMatchObject({ kind: 'conversation', messages: 3, objects: expect.any(Number) });
    expect(after.filter(relatedTo(a))).toEqual([]);
    expect(after.filter((i) => String(i.pk).startsWith('MSGID#support#sweep-a') || String(i.pk).startsWith('MSGID#support#sweep-out'))).toEqual([]);
    expect(after.filter((i) => String(i.pk).startsWith('OUTMSG#0100sweep') || String(i.pk).startsWith('OUTMID#support#sweep-out'))).toEqual([]);
    expect(after.filter((i) => i.pk === `INBOUND#${a1.sesMessageId}` || i.pk === `INBOUND#${a2.sesMessageId}`)).toEqual([]);
    for (const key of [a1.rawKey, a2.rawKey, `attachments/${String(a1Message?.messageId)}/0`, outboundPlanKey('support', 'sweep-out')])
      expect(await exists(key), key).toBe(false);
    // B (held) and C (not due) are exactly as they were, objects included
    for (const id of [b, c]) expect(after.filter(relatedTo(id))).toEqual(before.filter(relatedTo(id)));
    expect(held.legalHold).toEqual({ since: T0.toISOString(), by: 'admin', reason: 'case 2027-14' });
    expect(await conversationItem(b)).not.toHaveProperty('expiresAt');
    expect(await exists(b1.rawKey)).toBe(true);
    expect(await exists(c1.rawKey)).toBe(true);

    // Act: the hold is lifted; its expiry comes back from the setting and its last message
    const released = await new DynamoLegalHolds(aws.db, aws.tableName).release(b, { expiresAt: epochSeconds(T0) + 30 * DAY, retentionDays: 30 });
    const kept = await sweepExpired(sandboxSweepDeps(aws, SETTINGS), new Date(T0.getTime() + 29 * DAY * 1000));
    const swept = await sweepExpired(sandboxSweepDeps(aws, SETTINGS), new Date(T0.getTime() + 31 * DAY * 1000));
    // Assert
    expect(released).toMatchObject({ id: b, legalHold: null, expiresAt: new Date((epochSeconds(T0) + 30 * DAY) * 1000).toISOString() });
    expect(kept.expired.filter((e) => e.conversation?.id === b)).toEqual([]);
    expect(swept.expired.filter((e) => e.conversation?.id === b)).toHaveLength(1);
    expect((await scan()).filter(relatedTo(b))).toEqual([]);
    expect(await exists(b1.rawKey)).toBe(false);
    expect(await conversationItem(c)).toBeDefined();
  });

  it('takes new mail into a held conversation without giving it an expiry, and a released one expires from its last message', async () => {
    // Arrange
    const clock = new TestClock(T0);
    const opened = await arrive(clock, customerMail({ messageId: 'held-1@customer.example', from: 'Finn <finn@customer.example>' }));
    const id = String(opened.conversationId);
    const holds = new DynamoLegalHolds(aws.db, aws.tableName);
    await holds.place(id, { since: T0.toISOString(), by: 'admin', reason: 'case 2027-15' });
    clock.advance(10 * DAY * 1000);
    // Act
    const reply = await arrive(
      clock,
      customerMail({ messageId: 'held-2@customer.example', from: 'Finn <finn@customer.example>', inReplyTo: 'held-1@customer.example', subject: 'Re: x' }),
    );
    const whileHeld = await conversationItem(id);
    await recordSentMessage(new DynamoConversationStore(aws.db, aws.tableName, { retention: SETTINGS }), {
      channelId: 'support',
      conversationId: id,
      messageId: 'held-out',
      threadIds: ['held-out@example.com'],
      recipients: ['finn@customer.example'],
      agentId: 'agent-1',
      at: clock.now().toISOString(),
    });
    const afterAnswer = await conversationItem(id);
    await holds.release(id, { expiresAt: epochSeconds(clock.now()) + 30 * DAY, retentionDays: 30 });
    clock.advance(DAY * 1000);
    await arrive(
      clock,
      customerMail({ messageId: 'held-3@customer.example', from: 'Finn <finn@customer.example>', inReplyTo: 'held-2@customer.example', subject: 'Re: x' }),
    );
    // Assert
    expect(reply.conversationId).toBe(id);
    expect(whileHeld).toMatchObject({ legalHold: { reason: 'case 2027-15' } });
    expect(whileHeld).not.toHaveProperty('expiresAt');
    expect(afterAnswer).not.toHaveProperty('expiresAt');
    expect((await conversationItem(id))?.expiresAt).toBe(epochSeconds(T0) + 41 * DAY);
    await aws.drain(aws.queueUrls.support ?? '');
  });

  it("deletes every Message-ID claim a conversation's threading made, also those past the references a message keeps", async () => {
    // Arrange: a first mail referring to 30 messages never seen claims them all for its conversation
    const clock = new TestClock(T0);
    const refs = Array.from({ length: 30 }, (_, i) => `claims-ref-${i}@customer.example`);
    const opened = await arrive(
      clock,
      customerMail({ messageId: 'claims-1@customer.example', references: refs, subject: 'Fwd: long thread', from: 'Gil <gil@customer.example>' }),
    );
    const id = String(opened.conversationId);
    const claims = async () => (await scan()).filter((i) => String(i.pk).startsWith('MSGID#') && i.conversationId === id);
    const before = await claims();
    const stored = (await scan()).find((i) => i.kind === 'message' && i.sesMessageId === opened.sesMessageId);
    // Act
    const report = await sweepExpired(sandboxSweepDeps(aws, SETTINGS), new Date(T0.getTime() + 31 * DAY * 1000));
    // Assert
    expect(before).toHaveLength(31);
    expect((stored?.references as string[]).length).toBeLessThan(30);
    expect(report.expired.some((e) => e.conversation?.id === id)).toBe(true);
    expect(await claims()).toEqual([]);
    await aws.drain(aws.queueUrls.support ?? '');
  });

  it("expires a message outside any conversation on its own, by its channel's days after it arrived", async () => {
    // Arrange: an out-of-office answer that answers nothing known stays unattached
    const clock = new TestClock(T0);
    const raw = customerMail({ messageId: 'loose-1@customer.example', subject: 'Out of office' }).replace(
      'MIME-Version',
      'Auto-Submitted: auto-replied\r\nMIME-Version',
    );
    const loose = await arrive(clock, raw);
    const item = (await scan()).find((i) => i.kind === 'message' && i.sesMessageId === loose.sesMessageId);
    // Act
    const early = await sweepExpired(sandboxSweepDeps(aws, SETTINGS), new Date(T0.getTime() + 29 * DAY * 1000));
    const due = await sweepExpired(sandboxSweepDeps(aws, SETTINGS), new Date(T0.getTime() + 31 * DAY * 1000));
    // Assert
    expect(item).toMatchObject({ conversationId: null, expiresAt: epochSeconds(T0) + 30 * DAY });
    expect(early.expired.filter((e) => e.kind === 'message')).toEqual([]);
    expect(due.expired.filter((e) => e.kind === 'message')).toHaveLength(1);
    expect(due.expired.find((e) => e.kind === 'message')).toMatchObject({ messages: 1, objects: 1 });
    expect((await scan()).filter((i) => i.pk === `INBOUND#${loose.sesMessageId}` || i.sesMessageId === loose.sesMessageId)).toEqual([]);
    expect(await exists(loose.rawKey)).toBe(false);
  });

  it("expires failed mail with its raw copy, unless another channel's record of the mail still needs it", async () => {
    // Arrange
    const failedAt = T0.toISOString();
    const store = new DynamoFailedMailStore(aws.db, aws.tableName, { retention: SETTINGS });
    const failure = (id: string) => ({
      sesMessageId: id,
      channelId: 'support',
      rawKey: `inbound/raw/${id}`,
      code: 'malformed-mail',
      reason: 'no header section',
      failedAt,
      mail: inboundMail(id),
    });
    const alone = sesId('failed');
    const shared = sesId('failed-shared');
    for (const id of [alone, shared]) {
      await aws.putRaw(`inbound/raw/${id}`, 'broken');
      await store.put(failure(id));
    }
    // The same mail was recorded on another channel.
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    await aws.db.send(new PutCommand({ TableName: aws.tableName, Item: { pk: `INBOUND#${shared}`, sk: 'CHANNEL#billing', state: 'routed' } }));
    // Act
    const report = await sweepExpired(sandboxSweepDeps(aws, SETTINGS), new Date(T0.getTime() + 15 * DAY * 1000));
    // Assert
    expect(report.expired.filter((e) => e.kind === 'failed-mail')).toHaveLength(2);
    expect(await exists(`inbound/raw/${alone}`)).toBe(false);
    expect(await exists(`inbound/raw/${shared}`)).toBe(true);
    expect((await scan()).filter((i) => String(i.pk).startsWith(`INBOUND#${alone}`) || String(i.sk).startsWith('FAILED#'))).toEqual([]);
  });

  it("expires reply uploads by age, as the bucket's lifecycle rule does", async () => {
    // Arrange: an upload written now
    const key = 'outbound/uploads/agents/agent-1/u1/quote.pdf';
    await aws.putRaw(key, 'pdf');
    // Act
    const fresh = await sweepExpired(sandboxSweepDeps(aws, SETTINGS), new Date(Date.now() + 29 * DAY * 1000));
    const kept = await exists(key);
    const aged = await sweepExpired(sandboxSweepDeps(aws, SETTINGS), new Date(Date.now() + 31 * DAY * 1000));
    // Assert
    expect([fresh.aged, kept]).toEqual([0, true]);
    expect(aged.aged).toBe(1);
    const left = await aws.s3.send(new ListObjectsV2Command({ Bucket: aws.bucket, Prefix: 'outbound/uploads/' }));
    expect(left.Contents ?? []).toEqual([]);
  });

  it('keeps audit records their own, longer period', async () => {
    // Arrange
    const log = new DynamoAuditLog(aws.db, aws.auditTableName, { retention: SETTINGS });
    await log.append({
      id: 'audit-1',
      at: T0.toISOString(),
      actor: { kind: 'token', id: 'admin' },
      action: 'channel.update',
      resource: { type: 'channel', id: 'support' },
      fields: [],
      requestId: null,
    });
    const entry = async () => (await scan(aws.auditTableName)).filter((i) => i.id === 'audit-1');
    // Act
    await sweepExpired(sandboxSweepDeps(aws, SETTINGS), new Date(T0.getTime() + 399 * DAY * 1000));
    const kept = await entry();
    const late = await sweepExpired(sandboxSweepDeps(aws, SETTINGS), new Date(T0.getTime() + 401 * DAY * 1000));
    // Assert
    expect(kept).toEqual([expect.objectContaining({ expiresAt: epochSeconds(T0) + 400 * DAY })]);
    expect(late.expired.filter((e) => e.kind === 'other').length).toBeGreaterThanOrEqual(1);
    expect(await entry()).toEqual([]);
  });
});
