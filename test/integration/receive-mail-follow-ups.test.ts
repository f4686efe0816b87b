import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoConversationAdmin } from '../../functions/adapters/dynamo-conversation-admin.ts';
import { receiveMail } from '../../functions/core/inbound/receive-mail.ts';
import type { InboundMail } from '../../functions/core/model/inbound-record.ts';
import { RoutedMessageSchema } from '../../functions/core/model/routed-message.ts';
import type { InboundStoredMessage } from '../../functions/core/model/stored-message.ts';
import { queueReply } from '../../functions/core/outbound/compose/queue-reply.ts';
import { createQueueReplyDeps } from '../../functions/runtime/queue-reply-deps.ts';
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

/** What SES reported for the forgery that was seen: SPF failed, the domain publishes no DMARC record, nothing signed. */
const FORGED: InboundMail['verdicts'] = { spamVerdict: 'PASS', virusVerdict: 'PASS', spfVerdict: 'FAIL', dkimVerdict: 'GRAY', dmarcVerdict: 'GRAY' };

async function deliver(raw: string, label: string, mail: Partial<InboundMail> = {}) {
  const id = sesId(label);
  await aws.putRaw(inboundMail(id).rawKey, raw);
  return receiveMail(inboundDeps(aws, new TestClock()), { ...inboundMail(id), ...mail });
}

const withReplyTo = (raw: string, replyTo: string): string => raw.replace('MIME-Version', `Reply-To: ${replyTo}\r\nMIME-Version`);

async function conversation(id: string) {
  const admin = new DynamoConversationAdmin(aws.db, aws.tableName);
  return { summary: await admin.get(id), messages: (await admin.messages(id)) as InboundStoredMessage[] };
}

async function ticketOf(conversationId: string): Promise<string> {
  const out = await aws.db.send(new GetCommand({ TableName: aws.tableName, Key: { pk: `CONV#${conversationId}`, sk: 'CONV' }, ConsistentRead: true }));
  return String(out.Item?.ticketNumber);
}

/** An agent's answer, queued as the admin API queues it; returns whom it is addressed to (To, then Cc). */
async function answer(conversationId: string, cc: string[] = []): Promise<string[]> {
  const { db, s3, sqs, tableName, bucket } = aws;
  const deps = createQueueReplyDeps({ db, s3, sqs, tableName, bucket, outboundQueueUrl: aws.outbound.queueUrl });
  const queued = await queueReply(deps, { conversationId, agentId: 'agent-1', text: 'Your parcel left today.', cc });
  return [...queued.to, ...queued.cc].map((a) => a.address);
}

describe('follow-ups by ticket number against dynalite and fauxqs', () => {
  it('keeps the seen forgery out of the customer’s conversation, linked and flagged, and answers it to the From address', async () => {
    // Arrange: the customer's conversation
    const opened = await deliver(customerMail({ messageId: `${sesId('q')}@customer.example` }), 'q');
    const original = opened.status === 'failed' ? '' : (opened.conversationId ?? '');
    const ticket = await ticketOf(original);
    await aws.drain(aws.queueUrls.support ?? '');
    const mail = customerMail({ messageId: `${sesId('spoof')}@attacker.example`, subject: `Re: My order [#${ticket}]` });
    const forged = withReplyTo(mail, 'attacker@attacker.example');

    // Act
    const outcome = await deliver(forged, 'spoof', { verdicts: FORGED, envelopeSender: 'bounce@attacker.example' });
    const spoofed = outcome.status === 'failed' ? '' : (outcome.conversationId ?? '');
    const [pointer] = (await aws.drain(aws.queueUrls.support ?? '')).map((m) => RoutedMessageSchema.parse(JSON.parse(m.Body ?? '')));
    const to = await answer(spoofed);

    // Assert: a new conversation, linked to the customer's, which the forgery did not touch
    expect(outcome).toMatchObject({ status: 'routed', duplicate: false });
    expect(spoofed).not.toBe(original);
    expect(pointer).toMatchObject({ conversationId: spoofed, isNewConversation: true, autoAnswerAllowed: false });
    expect(pointer?.tags).toEqual(expect.arrayContaining(['unauthenticated-follow-up', 'unauthenticated-sender', 'reply-to-differs']));
    const { messages, summary } = await conversation(spoofed);
    expect(messages[0]?.thread).toMatchObject({ rule: 'new-conversation', linkedConversationId: original });
    expect(messages[0]?.replyTo).toEqual([{ address: 'attacker@attacker.example', name: '' }]);
    expect(summary?.participants).toEqual(['carla@customer.example']);
    const customer = await conversation(original);
    expect(customer.messages).toHaveLength(1);
    expect(customer.summary?.participants).not.toContain('attacker@attacker.example');
    expect(to).toEqual(['carla@customer.example']);
  });

  it('joins the customer’s own follow-up (SPF pass aligned, no DMARC record), and answers its different Reply-To only when asked', async () => {
    // Arrange
    const opened = await deliver(customerMail({ messageId: `${sesId('r')}@customer.example` }), 'r');
    const original = opened.status === 'failed' ? '' : (opened.conversationId ?? '');
    const ticket = await ticketOf(original);
    const followUp = withReplyTo(customerMail({ messageId: `${sesId('own')}@customer.example`, subject: `Re: My order [#${ticket}]` }), 'carla@home.example');

    // Act
    const outcome = await deliver(followUp, 'own', {
      verdicts: { ...FORGED, spfVerdict: 'PASS' },
      envelopeSender: 'carla@customer.example',
      receivedAt: '2026-11-22T10:30:00.000Z',
    });
    const to = await answer(original);
    const chosen = await answer(original, ['carla@home.example']);

    // Assert
    expect(outcome).toMatchObject({ status: 'routed', conversationId: original });
    expect(outcome.status !== 'failed' && outcome.tags).toContain('reply-to-differs');
    expect(to).toEqual(['carla@customer.example']);
    expect(chosen).toEqual(['carla@customer.example', 'carla@home.example']);
    expect((await conversation(original)).summary?.participants).toEqual(['carla@customer.example']);
    await aws.drain(aws.queueUrls.support ?? '');
  });
});
