import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Skill } from '../../functions/core/model/postroom-config.ts';
import { SKILL_MAX_RECEIVES } from '../../functions/runtime/attempts.ts';

export interface SkillQueuesProps {
  readonly skills: readonly Skill[];
  /**
   * How long a message an agent's app received stays invisible to other consumers.
   * @default Duration.minutes(5)
   */
  readonly visibilityTimeout?: Duration;
  /**
   * Receives before a message moves to its skill's dead-letter queue.
   * @default SKILL_MAX_RECEIVES, as for the queues the admin API creates
   */
  readonly maxReceiveCount?: number;
}

/** One skill's queue and its dead-letter queue (alarmed by `Monitoring`). */
export interface SkillQueue {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
}

const RETENTION = Duration.days(14);

/**
 * One SQS FIFO queue per skill: message group = conversation (a conversation stays in order and
 * is never with two agents at once), explicit deduplication ids, high-throughput FIFO, a FIFO
 * dead-letter queue each (`Monitoring` alarms on its depth). Plus the failed-mail queue, where inbound
 * invocations that failed every retry land with their SES event, for replay.
 */
export class SkillQueues extends Construct {
  readonly skills: ReadonlyMap<string, SkillQueue>;
  readonly failedMail: sqs.Queue;

  constructor(scope: Construct, id: string, props: SkillQueuesProps) {
    super(scope, id);
    const skills = new Map<string, SkillQueue>();
    for (const skill of props.skills) {
      const scopeOf = new Construct(this, `Skill-${skill.name}`);
      const deadLetterQueue = new sqs.Queue(scopeOf, 'DeadLetterQueue', {
        fifo: true,
        retentionPeriod: RETENTION,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
      });
      const queue = new sqs.Queue(scopeOf, 'Queue', {
        fifo: true,
        contentBasedDeduplication: false,
        deduplicationScope: sqs.DeduplicationScope.MESSAGE_GROUP,
        fifoThroughputLimit: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
        visibilityTimeout: props.visibilityTimeout ?? Duration.minutes(5),
        retentionPeriod: RETENTION,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? SKILL_MAX_RECEIVES },
      });
      skills.set(skill.name, { queue, deadLetterQueue });
    }
    this.skills = skills;

    this.failedMail = new sqs.Queue(this, 'FailedMail', {
      retentionPeriod: RETENTION,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    Validations.of(this.failedMail).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SQS3',
      reason:
        "This queue is the inbound function's on-failure destination, a dead-letter queue in all but name; nothing consumes it automatically, so a DLQ behind it would never receive anything.",
    });
  }
}
