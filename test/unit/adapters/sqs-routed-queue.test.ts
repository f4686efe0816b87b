import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { queueSafeJson, SqsRoutedQueue } from '../../../functions/adapters/sqs-routed-queue.ts';
import { ConfigError } from '../../../functions/core/errors.ts';
import type { RoutedMessage } from '../../../functions/core/model/routed-message.ts';

const sqs = mockClient(SQSClient);
const routed: RoutedMessage = {
  schemaVersion: 2,
  channelId: 'support',
  messageId: 'm-1',
  internetMessageId: 'a@b',
  conversationId: 'c-1',
  ticketNumber: '0000011',
  isNewConversation: true,
  lane: 'human',
  laneReason: 'default',
  tags: [],
  skill: 'support',
  routingRule: 'default',
  priority: 'normal',
  from: null,
  subject: 'Hi',
  receivedAt: '2026-11-22T10:00:00.000Z',
  previousAgent: null,
  autoAnswerAllowed: true,
  language: null,
  sla: null,
};

beforeEach(() => sqs.reset());

describe('SqsRoutedQueue', () => {
  it('sends the pointer to the skill queue, grouped by conversation, deduplicated by message id', async () => {
    // Arrange
    sqs.on(SendMessageCommand).resolves({ MessageId: 'x' });
    const queue = new SqsRoutedQueue(new SQSClient({}), { support: 'https://sqs.eu-west-1.amazonaws.com/1/support.fifo' });
    // Act
    await queue.send(routed);
    // Assert
    const input = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/support.fifo',
      MessageGroupId: 'c-1',
      MessageDeduplicationId: 'm-1',
    });
    expect(JSON.parse(input?.MessageBody ?? '')).toEqual(routed);
  });

  it('refuses a skill without a queue with a non-retryable ConfigError', async () => {
    const queue = new SqsRoutedQueue(new SQSClient({}), {});
    const error = await queue.send(routed).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).retryable).toBe(false);
    expect(sqs.calls()).toHaveLength(0);
  });
});

describe('queueSafeJson', () => {
  it('escapes what a queue refuses, so JSON.parse gives the same strings back', () => {
    // Arrange: an emoji (astral), U+FFFE (no queue takes it), a control character, ordinary non-ASCII text
    const value = { subject: '📦 Paket \uFFFE \u0001 — Grüße', name: '𝒞arla' };

    // Act
    const body = queueSafeJson(value);

    // Assert
    expect(body).toMatch(/^[\t\n\r\x20-\ud7ff\ue000-\ufffd]*$/);
    expect(body).toContain('\\ud83d\\udce6 Paket \\ufffe \\u0001 — Grüße');
    expect(JSON.parse(body)).toEqual(value);
  });
});
