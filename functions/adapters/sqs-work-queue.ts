import { ChangeMessageVisibilityCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { ConfigError, DependencyError, PolicyError } from '../core/errors.ts';
import { LeaseGoneError } from '../core/work/work-item.ts';
import type { QueueCounts, ReceivedMessage, WorkQueue } from '../core/work/work-ports.ts';

export interface SqsWorkQueueOptions {
  /**
   * Seconds a receive waits for a message. A short poll (0) asks only some of SQS's servers and
   * may answer "nothing" while messages wait; a long poll asks all and answers as soon as one is
   * there, so only an empty queue costs the wait.
   * @default 1
   */
  readonly waitSeconds?: number;
}

/** The error's own name, or the name of the SDK error a `DependencyError` wraps (the client translates some). */
function nameOf(error: unknown): string {
  const cause = error instanceof DependencyError ? error.cause : error;
  return cause instanceof Error ? cause.name : '';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * What SQS says when a receipt handle no longer names a message in flight: it was deleted, its
 * visibility ran out (a FIFO queue lets the handle expire), or the handle was never valid.
 */
function isHandleGone(error: unknown): boolean {
  const name = nameOf(error);
  if (name === 'ReceiptHandleIsInvalid' || name === 'MessageNotInflight' || name.endsWith('.MessageNotInflight')) return true;
  return /InvalidParameterValue/.test(name) && /receipt ?handle/i.test(messageOf(error));
}

/** SQS keeps a received message invisible for at most 12 hours in all. */
function isPastHoldLimit(error: unknown): boolean {
  return /InvalidParameterValue/.test(nameOf(error)) && /total visibilitytimeout/i.test(messageOf(error));
}

function isMissingQueue(error: unknown): boolean {
  return /NonExistentQueue|QueueDoesNotExist/.test(nameOf(error));
}

/** Skill queues worked one message at a time through the SQS API: receive, visibility, delete, counts. */
export class SqsWorkQueue implements WorkQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly options: SqsWorkQueueOptions = {},
  ) {}

  async counts(queueUrl: string): Promise<QueueCounts> {
    const out = await this.call(() =>
      this.client.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      ),
    );
    const attributes: Record<string, string | undefined> = out.Attributes ?? {};
    const count = (name: string): number => Number(attributes[name]) || 0;
    return { waiting: count('ApproximateNumberOfMessages'), inFlight: count('ApproximateNumberOfMessagesNotVisible') };
  }

  async receive(queueUrl: string, visibilitySeconds: number): Promise<ReceivedMessage | null> {
    const out = await this.call(() =>
      this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 1,
          VisibilityTimeout: visibilitySeconds,
          WaitTimeSeconds: this.options.waitSeconds ?? 1,
          // FIFO: the SDK's own retry of a receive whose answer was lost gets the same message back,
          // instead of a second one while the first stays invisible with nobody holding it.
          ReceiveRequestAttemptId: randomUUID(),
        }),
      ),
    );
    const [message] = out.Messages ?? [];
    if (!message?.ReceiptHandle) return null;
    return { body: message.Body ?? '', receiptHandle: message.ReceiptHandle, queueMessageId: message.MessageId ?? '' };
  }

  async setVisibility(queueUrl: string, receiptHandle: string, seconds: number): Promise<void> {
    try {
      await this.call(() =>
        this.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds })),
      );
    } catch (error) {
      if (isPastHoldLimit(error)) throw new PolicyError('policy', 'a message can be held at most 12 hours after it was taken: finish it or release it');
      throw error;
    }
  }

  async delete(queueUrl: string, receiptHandle: string): Promise<void> {
    await this.call(() => this.client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle })));
  }

  /** One call, its SQS errors turned into what the use cases act on. */
  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (isHandleGone(error)) throw new LeaseGoneError('the queue no longer holds this message under this lease: take the next one');
      if (isMissingQueue(error)) throw new ConfigError("the skill's queue does not exist: ask an admin to check the skill");
      throw error;
    }
  }
}
