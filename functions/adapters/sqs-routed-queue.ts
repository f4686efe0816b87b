import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ConfigError } from '../core/errors.ts';
import type { RoutedMessage } from '../core/model/routed-message.ts';
import type { RoutedQueue } from '../core/ports/inbound.ts';

/** Skill queues on SQS FIFO, one URL per skill (from the function's environment). */
export class SqsRoutedQueue implements RoutedQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrls: Readonly<Record<string, string>>,
  ) {}

  async send(message: RoutedMessage): Promise<void> {
    const queueUrl = this.queueUrls[message.skill];
    // Not retryable: a channel routes to a skill this stack has no queue for (config drift).
    if (!queueUrl) throw new ConfigError(`no queue for skill ${message.skill}`);
    await this.client.send(new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify(message),
      // One group per conversation: in order, and never in two agents' hands at once.
      MessageGroupId: message.conversationId,
      // The Postroom message id is fixed on the first attempt: a resend within 5 minutes is dropped.
      MessageDeduplicationId: message.messageId,
      MessageAttributes: {
        schemaVersion: { DataType: 'Number', StringValue: String(message.schemaVersion) },
        channelId: { DataType: 'String', StringValue: message.channelId },
      },
    }));
  }
}
