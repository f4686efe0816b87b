import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoConversationStore } from '../../functions/adapters/dynamo-conversation-store.ts';
import { DynamoOutboundMessages } from '../../functions/adapters/dynamo-outbound-messages.ts';
import { recordSentMessage } from '../../functions/core/conversation/record-sent.ts';
import { receiveMail } from '../../functions/core/inbound/receive-mail.ts';
import { RoutedMessageSchema } from '../../functions/core/model/routed-message.ts';
import type { OutboundStoredMessage } from '../../functions/core/model/stored-message.ts';
import { TestClock, customerMail, inboundDeps, inboundMail } from '../support/inbound-deps.ts';
import { startSeededLocalAws, type LocalAws } from '../support/local-aws.ts';

let aws: LocalAws;

beforeAll(async () => {
  aws = await startSeededLocalAws();
});

afterAll(async () => {
  await aws.stop();
});

describe('a sent message in the DynamoDB conversation store', () => {
  it('claims our ids, sets the last agent, and a customer reply carrying only the provider id threads back with previousAgent', async () => {
    // Arrange: a customer opens a conversation
    await aws.putRaw(inboundMail('sent-q').rawKey, customerMail({ messageId: 'question@customer.example' }));
    const opened = await receiveMail(inboundDeps(aws, new TestClock()), inboundMail('sent-q'));
    if (opened.status === 'failed' || !opened.conversationId) throw new Error('not opened');
    await aws.drain(aws.queueUrls.support ?? '');
    const store = new DynamoConversationStore(aws.db, aws.tableName);
    const sent: OutboundStoredMessage = {
      direction: 'outbound',
      purpose: 'reply',
      messageId: 'out-1',
      channelId: 'support',
      conversationId: opened.conversationId,
      internetMessageId: '<ours-1@example.com>',
      subject: 'Re: My order has not arrived',
      from: { address: 'support@example.com', name: 'Support' },
      to: [{ address: 'carla@customer.example', name: '' }],
      cc: [],
      bcc: [],
      preview: 'It ships today.',
      attachments: [],
      agentId: 'agent-7',
      external: false,
      inReplyTo: opened.messageId,
      providerMessageId: '0100abc',
      threadIds: ['ours-1@example.com', '0100abc@email.amazonses.com'],
      status: 'sent',
      statusReason: null,
      retrying: false,
      recipients: [],
      createdAt: '2026-11-22T10:05:00.000Z',
      sentAt: '2026-11-22T10:05:01.000Z',
      updatedAt: '2026-11-22T10:05:01.000Z',
    };
    // Act
    await new DynamoOutboundMessages(aws.db, aws.tableName).put(sent);
    const recorded = await recordSentMessage(store, { ...sent, recipients: ['Carla@Customer.example'], at: sent.updatedAt });
    await aws.putRaw(
      inboundMail('sent-r').rawKey,
      customerMail({ messageId: 'answer@customer.example', inReplyTo: '0100abc@email.amazonses.com', subject: 'Re: My order' }),
    );
    const answer = await receiveMail(inboundDeps(aws, new TestClock()), inboundMail('sent-r'));
    const [pointer] = await aws.drain(aws.queueUrls.support ?? '');
    // Assert
    expect(recorded).toMatchObject({ id: opened.conversationId, lastAgent: 'agent-7' });
    expect((await store.findByMessageIds('support', ['ours-1@example.com'])).get('ours-1@example.com')?.id).toBe(opened.conversationId);
    expect(answer).toMatchObject({ status: 'routed', conversationId: opened.conversationId });
    expect(RoutedMessageSchema.parse(JSON.parse(pointer?.Body ?? '{}'))).toMatchObject({ previousAgent: 'agent-7', isNewConversation: false });
  });

  it('takes a copy of our own mail coming back (its Message-ID is ours) for a second copy, never a customer mail', async () => {
    // Arrange: an open conversation and a reply we sent in it
    await aws.putRaw(inboundMail('own-q').rawKey, customerMail({ messageId: 'own-question@customer.example' }));
    const opened = await receiveMail(inboundDeps(aws, new TestClock()), inboundMail('own-q'));
    if (opened.status === 'failed' || !opened.conversationId) throw new Error('not opened');
    await aws.drain(aws.queueUrls.support ?? '');
    const store = new DynamoConversationStore(aws.db, aws.tableName);
    await recordSentMessage(store, {
      channelId: 'support',
      conversationId: opened.conversationId,
      messageId: 'out-2',
      threadIds: ['ours-2@example.com'],
      recipients: ['carla@customer.example'],
      agentId: 'agent-7',
      at: '2026-11-22T10:05:00.000Z',
    });
    // Act: the same mail arrives at the channel (Bcc to ourselves, a forwarding loop)
    await aws.putRaw(
      inboundMail('own-copy').rawKey,
      customerMail({ messageId: 'ours-2@example.com', from: 'Support <support@example.com>', inReplyTo: 'own-question@customer.example' }),
    );
    const copy = await receiveMail(inboundDeps(aws, new TestClock()), inboundMail('own-copy'));
    // Assert
    expect(copy).toMatchObject({ status: 'recorded', conversationId: opened.conversationId });
    expect(copy.status !== 'failed' && copy.tags).toContain('duplicate-message-id');
    expect(await aws.drain(aws.queueUrls.support ?? '')).toEqual([]);
  });
});
