import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface SqsSkillQueuesOptions {
  /** Prepended to the skill name: `<prefix><skill>.fifo` and `<prefix><skill>-dlq.fifo`. */
  readonly prefix: string;
  /** Receives before a message moves to the dead-letter queue, as for the stack's skill queues (`SKILL_MAX_RECEIVES`). */
  readonly maxReceiveCount: number;
  /** @default 300 */
  readonly visibilityTimeoutSeconds?: number;
  /** Adds a queue policy denying requests without TLS (in AWS; local servers have no policies). @default true */
  readonly denyInsecureTransport?: boolean;
}

const RETENTION_SECONDS = String(14 * 24 * 3600);

/** The queue names a skill gets; the inbound function finds queues created at runtime by the same names. */
export function skillQueueNames(prefix: string, skill: string): { readonly queue: string; readonly deadLetterQueue: string } {
  return { queue: `${prefix}${skill}.fifo`, deadLetterQueue: `${prefix}${skill}-dlq.fifo` };
}

/**
 * Skill queues created at runtime with the settings of the stack's own (`SkillQueues`
 * construct): FIFO, explicit deduplication ids per message group, high-throughput mode,
 * SQS-managed encryption, 14 days retention, a FIFO dead-letter queue with redrive.
 */
export class SqsSkillQueues {
  constructor(
    private readonly client: SQSClient,
    private readonly options: SqsSkillQueuesOptions,
  ) {}

  async create(skill: string): Promise<{ queueUrl: string; deadLetterQueueUrl: string }> {
    const names = skillQueueNames(this.options.prefix, skill);
    const common = { FifoQueue: 'true', MessageRetentionPeriod: RETENTION_SECONDS, SqsManagedSseEnabled: 'true' };
    const deadLetterQueueUrl = await this.createQueue(names.deadLetterQueue, common);
    const dlqArn = await this.arnOf(deadLetterQueueUrl);
    const queueUrl = await this.createQueue(names.queue, {
      ...common,
      ContentBasedDeduplication: 'false',
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
      VisibilityTimeout: String(this.options.visibilityTimeoutSeconds ?? 300),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: this.options.maxReceiveCount }),
    });
    return { queueUrl, deadLetterQueueUrl };
  }

  async depth(skill: string): Promise<number> {
    let total = 0;
    for (const name of Object.values(skillQueueNames(this.options.prefix, skill))) {
      const url = await this.urlOf(name);
      if (!url) continue;
      const out = await this.client.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
        }),
      );
      total += Object.values(out.Attributes ?? {}).reduce((sum, v) => sum + (Number(v) || 0), 0);
    }
    return total;
  }

  async delete(skill: string): Promise<void> {
    for (const name of Object.values(skillQueueNames(this.options.prefix, skill))) {
      const url = await this.urlOf(name);
      if (url) await this.client.send(new DeleteQueueCommand({ QueueUrl: url }));
    }
  }

  private async createQueue(name: string, attributes: Record<string, string>): Promise<string> {
    const out = await this.client.send(
      new CreateQueueCommand({ QueueName: name, Attributes: { ...attributes, ...this.policy() }, tags: { 'postroom:created-by': 'admin-api' } }),
    );
    if (!out.QueueUrl) throw new Error(`SQS returned no URL for ${name}`);
    return out.QueueUrl;
  }

  private policy(): Record<string, string> {
    if (this.options.denyInsecureTransport === false) return {};
    return {
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyInsecureTransport',
            Effect: 'Deny',
            Principal: '*',
            Action: 'sqs:*',
            Resource: '*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      }),
    };
  }

  private async arnOf(url: string): Promise<string> {
    const out = await this.client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
    const arn = out.Attributes?.QueueArn;
    if (!arn) throw new Error(`SQS returned no ARN for ${url}`);
    return arn;
  }

  private async urlOf(name: string): Promise<string | null> {
    try {
      return (await this.client.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl ?? null;
    } catch (error) {
      if (error instanceof Error && /NonExistentQueue|QueueDoesNotExist/.test(error.name)) return null;
      throw error;
    }
  }
}
