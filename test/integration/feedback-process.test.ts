import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoOutboundMessages } from '../../functions/adapters/dynamo-outbound-messages.ts';
import { DynamoSuppressionList } from '../../functions/adapters/dynamo-suppression-list.ts';
import { localHandlerOptions } from '../../functions/local/local-aws.ts';
import { simulateSesFeedback } from '../../functions/local/ses-feedback-simulator.ts';
import { FeedbackEnvSchema, readEnv } from '../../functions/runtime/env.ts';
import { createFeedbackHandler, type FeedbackHandler } from '../../functions/runtime/feedback-handler.ts';
import { addr } from '../support/factories.ts';
import { SES_ID, sentMessage } from '../support/outbound.ts';
import { sesEventText, snsEnvelope, sqsEvent } from '../support/ses-events.ts';
import { startLocalAws, type LocalAws } from '../support/local-aws.ts';

let aws: LocalAws;
let messages: DynamoOutboundMessages;
let suppression: DynamoSuppressionList;
let handler: FeedbackHandler;
const context = { functionName: 'feedback', awsRequestId: 'req-1' } as Context;

beforeAll(async () => {
  aws = await startLocalAws([]);
  // The feedback function as Lambda builds it (`functions/feedback-process.ts`), on the local servers.
  handler = createFeedbackHandler(readEnv(FeedbackEnvSchema, { TABLE_NAME: aws.tableName }), localHandlerOptions(aws, 'SILENT'));
  messages = new DynamoOutboundMessages(aws.db, aws.tableName);
  suppression = new DynamoSuppressionList(aws.db, aws.tableName);
});

afterAll(async () => {
  await aws.stop();
});

describe('feedback-process handler (SNS-wrapped SES events from SQS, against dynalite)', () => {
  it('applies each event to its message, suppresses, and reports only the bad record as a batch item failure', async () => {
    // Arrange
    await messages.put(sentMessage());
    const event = sqsEvent([
      snsEnvelope(sesEventText('bounce-permanent.json')),
      '{"not": "an SES event"}',
      snsEnvelope(sesEventText('delivery.json')),
      snsEnvelope(sesEventText('open.json')),
    ]);

    // Act
    const response = await handler(event, context);
    const again = await handler(sqsEvent([snsEnvelope(sesEventText('bounce-permanent.json'), 'sns-redelivered')]), context);

    // Assert
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'sqs-2' }] });
    expect(again).toEqual({ batchItemFailures: [] });
    const stored = await messages.findBySesMessageId(SES_ID);
    expect(stored?.recipients.map((r) => [r.address, r.status])).toEqual([
      ['carla@customer.example', 'bounced'],
      ['dan@customer.example', 'delivered'],
    ]);
    expect(stored?.status).toBe('bounced');
    expect(await suppression.find('support', 'carla@customer.example')).toMatchObject({
      reason: 'bounce',
      messageId: 'out-1',
      since: '2026-12-01T10:00:05.669Z',
    });
    expect(await suppression.find('support', 'dan@customer.example')).toBeNull();
  });

  it('takes the sandbox simulator’s events for a reply to the SES mailbox simulator addresses', async () => {
    // Arrange: a reply just sent through SES to four simulator addresses
    const to = [
      'success@simulator.amazonses.com',
      'bounce@simulator.amazonses.com',
      'complaint+1@simulator.amazonses.com',
      'suppressionlist@simulator.amazonses.com',
    ];
    const sentAt = new Date();
    await messages.put(
      sentMessage({
        messageId: 'out-sim',
        providerMessageId: 'sim-ses-1',
        internetMessageId: 'out-sim@example.com',
        threadIds: ['out-sim@example.com'],
        to: to.map((a) => addr(a)),
        recipients: [],
        sentAt: sentAt.toISOString(),
      }),
    );
    let n = 0;
    const simulated = simulateSesFeedback(
      { sesMessageId: 'sim-ses-1', source: 'Support <support@example.com>', destinations: to, messageId: 'out-sim@example.com', subject: 'Re: Test', sentAt },
      { newId: () => `id-${++n}` },
    );

    // Act
    const response = await handler(simulated.event, context);

    // Assert
    expect(response).toEqual({ batchItemFailures: [] });
    const stored = await messages.findBySesMessageId('sim-ses-1');
    expect(Object.fromEntries(stored?.recipients.map((r) => [r.address, r.status]) ?? [])).toEqual({
      'success@simulator.amazonses.com': 'delivered',
      'bounce@simulator.amazonses.com': 'bounced',
      'complaint+1@simulator.amazonses.com': 'complained',
      'suppressionlist@simulator.amazonses.com': 'bounced',
    });
    expect((await suppression.find('support', 'bounce@simulator.amazonses.com'))?.reason).toBe('bounce');
    expect((await suppression.find('support', 'complaint+1@simulator.amazonses.com'))?.reason).toBe('complaint');
    expect((await suppression.find('support', 'suppressionlist@simulator.amazonses.com'))?.detail).toContain('OnAccountSuppressionList');
    expect(await suppression.find('support', 'success@simulator.amazonses.com')).toBeNull();
  });

  it('retries an event that arrives before its message is stored, then applies it', async () => {
    // Arrange: SES reports the delivery of a message whose send has not been recorded yet
    const now = new Date();
    let n = 0;
    const simulated = simulateSesFeedback(
      {
        sesMessageId: 'sim-ses-late',
        source: 'support@example.com',
        destinations: ['success@simulator.amazonses.com'],
        messageId: 'late@example.com',
        subject: 'Hi',
        sentAt: now,
      },
      { newId: () => `late-${++n}` },
    );

    // Act
    const first = await handler(simulated.event, context).catch((e: unknown) => e);
    await messages.put(
      sentMessage({
        messageId: 'out-late',
        providerMessageId: 'sim-ses-late',
        internetMessageId: 'late@example.com',
        threadIds: [],
        to: [addr('success@simulator.amazonses.com')],
        recipients: [],
      }),
    );
    // The lease of the first attempt was released when it failed, so the redelivery takes it at once.
    const second = await handler(simulated.event, context);

    // Assert
    // Every record of the batch failed: Powertools throws, so Lambda hands the batch back to the queue.
    expect(first).toMatchObject({ name: 'FullBatchFailureError' });
    expect(second).toEqual({ batchItemFailures: [] });
    expect((await messages.findBySesMessageId('sim-ses-late'))?.status).toBe('delivered');
  });
});
