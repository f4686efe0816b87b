import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ConfigError } from '../core/errors.ts';
import type { RoutedMessage } from '../core/model/routed-message.ts';
import type { RoutedQueue } from '../core/ports/inbound.ts';

/**
 * Characters every SQS accepts in a message body (#x9, #xA, #xD, #x20–#xD7FF, #xE000–#xFFFD),
 * matched per UTF-16 code unit: real SQS also takes #x10000 and above, the local stand-in does
 * not, and neither takes U+FFFE or U+FFFF.
 */
const QUEUE_UNSAFE = /[^\t\n\r\x20-\ud7ff\ue000-\ufffd]/g;

/**
 * JSON whose every character outside `QUEUE_UNSAFE`'s set is written as a `\uXXXX` escape (an
 * astral character as its two surrogate escapes), so any queue takes it and `JSON.parse` gives
 * the same strings back. JSON has such characters only inside strings, where an escape means the
 * character itself.
 */
export function queueSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(QUEUE_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Finds the queue of a skill the environment does not name (one created through the admin API), or null. */
export type SkillQueueLookup = (skill: string) => Promise<string | null>;

/**
 * Skill queues on SQS FIFO: the URL of a skill of the deploy config from the function's
 * environment, of any other skill from `lookup`, remembered per container (a queue URL never
 * changes while the queue exists).
 */
export class SqsRoutedQueue implements RoutedQueue {
  private readonly found = new Map<string, string>();

  constructor(
    private readonly client: SQSClient,
    private readonly queueUrls: Readonly<Record<string, string>>,
    private readonly lookup?: SkillQueueLookup,
  ) {}

  async send(message: RoutedMessage): Promise<void> {
    const queueUrl = await this.queueUrl(message.skill);
    // Not retryable: a channel routes to a skill that has no queue (config drift).
    if (!queueUrl) throw new ConfigError(`no queue for skill ${message.skill}`);
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: queueSafeJson(message),
        // One group per conversation: in order, and never in two agents' hands at once.
        MessageGroupId: message.conversationId,
        // The Postroom message id is fixed on the first attempt: a resend within 5 minutes is dropped.
        MessageDeduplicationId: message.messageId,
        MessageAttributes: {
          schemaVersion: { DataType: 'Number', StringValue: String(message.schemaVersion) },
          channelId: { DataType: 'String', StringValue: message.channelId },
        },
      }),
    );
  }

  private async queueUrl(skill: string): Promise<string | null> {
    const known = this.queueUrls[skill] ?? this.found.get(skill);
    if (known || !this.lookup) return known ?? null;
    const url = await this.lookup(skill);
    if (url) this.found.set(skill, url);
    return url;
  }
}
