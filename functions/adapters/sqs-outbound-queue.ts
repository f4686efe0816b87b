import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { OutboundJob } from '../core/model/outbound-job.ts';
import type { OutboundQueue } from '../core/ports/outbound-store.ts';

/** SQS caps a message's visibility timeout at 12 hours. */
const MAX_VISIBILITY_SECONDS = 12 * 60 * 60;

/** The outbound FIFO queue. */
export class SqsOutboundQueue implements OutboundQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(job: OutboundJob): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(job),
        // One group per conversation: its replies leave in the order they were written.
        MessageGroupId: job.conversationId,
        // Fixed per message: a second queueing of the same message within 5 minutes is dropped.
        MessageDeduplicationId: job.messageId,
      }),
    );
  }

  /** Backs a received job off: it comes back after `seconds` (the retry policy's delay). */
  async delay(receiptHandle: string, seconds: number): Promise<void> {
    await this.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: Math.max(0, Math.min(MAX_VISIBILITY_SECONDS, Math.round(seconds))),
      }),
    );
  }
}
