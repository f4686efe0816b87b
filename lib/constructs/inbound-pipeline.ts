import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { INBOUND_ASYNC_RETRIES } from '../../functions/runtime/attempts.ts';
import type { InboundEnvInput } from '../../functions/runtime/env.ts';
import { ACKNOWLEDGEMENT_WRITE_KEY_PREFIXES, FEEDBACK_WRITE_KEY_PREFIXES, INBOUND_WRITE_KEY_PREFIXES } from '../../functions/adapters/dynamo-schema.ts';
import { OUTBOUND_PLAN_PREFIX } from '../../functions/adapters/s3-outbound-plan-store.ts';
import { RAW_MAIL_PREFIX } from '../../functions/runtime/ses-event.ts';
import { RETENTION_DEFAULTS, type RetentionSettings } from '../../functions/core/model/retention.ts';
import { retentionEnv } from '../../functions/runtime/env-fields.ts';
import { slaEnv } from '../../functions/runtime/sla-env.ts';
import type { SlaSettings } from '../../functions/core/sla/sla-settings.ts';
import { DEFAULT_SUPPRESSION, suppressionEnv, type SuppressionOptions } from './feedback-pipeline.ts';
import type { MailStorage } from './mail-storage.ts';
import { nagArn } from './nag-arn.ts';
import { PostroomFunction } from './postroom-function.ts';
import type { SkillQueues } from './skill-queues.ts';

export interface InboundPipelineProps {
  readonly storage: MailStorage;
  readonly table: dynamodb.ITable;
  readonly queues: SkillQueues;
  /** The outbound FIFO queue: acknowledgements are queued there as replies are. */
  readonly outboundQueue: sqs.IQueue;
  /** How DSN and ARF reports suppress, as the feedback function does. @default DEFAULT_SUPPRESSION */
  readonly suppression?: SuppressionOptions;
  /** The account-wide retention (config `retention`): each record's expiry rides on the write that stores it; the documented defaults when absent. */
  readonly retention?: RetentionSettings;
  /** The account's default SLA (config `sla`), for channels without their own; none when absent. */
  readonly sla?: SlaSettings | undefined;
  /**
   * Name prefix of the skill queues the admin API creates at runtime; the function may find
   * (`sqs:GetQueueUrl`) and send to queues with it.
   */
  readonly runtimeQueuePrefix: string;
  /**
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Metrics namespace.
   * @default 'Postroom'
   */
  readonly metricsNamespace?: string;
  /**
   * Concurrency reserved for the function (`receiving.reservedConcurrency`): a flood of mail waits
   * in Lambda's asynchronous queue instead of taking the account's other functions' capacity.
   * @default none
   */
  readonly reservedConcurrency?: number;
}

const TIMEOUT = Duration.seconds(60);
/**
 * How long an attempt owns its inbound record. A live attempt cannot outrun the timeout (Lambda
 * ends it), so the lease need only exceed it by clock skew between hosts. It must not be much
 * longer: Lambda retries a crashed (timed-out) async invocation about a minute later, and a lease
 * still running then turns that retry into a wasted "busy" attempt. Attempts that fail with an
 * error release their lease at once.
 */
export const INBOUND_LEASE = TIMEOUT.plus(Duration.seconds(10));

/**
 * The inbound function (`functions/inbound-process.ts`) with least-privilege grants: read raw
 * mail under the SES prefix, item-level reads on the table (no index, no scan) and writes to the
 * inbound partitions only (`dynamodb:LeadingKeys`, never channel settings), send
 * to the skill queues; for delivery reports and acknowledgements, writes to the feedback and
 * acknowledgement partitions, plans under the plan prefix and jobs on the outbound queue.
 * Asynchronous invocations (SES's Lambda action) are retried until the mail used its attempts
 * (`INBOUND_ASYNC_RETRIES`); an event that failed them all lands on the failed-mail queue with its
 * error, for replay.
 */
/** What a function that runs the inbound steps (`receiveMail`) is told: the inbound function, the mailbox function, the reconciliation. */
export type ReceiveMailEnvProps = Pick<
  InboundPipelineProps,
  'storage' | 'table' | 'queues' | 'outboundQueue' | 'suppression' | 'retention' | 'runtimeQueuePrefix' | 'sla'
>;

/** The environment of the inbound steps, the same in every function that runs them. */
export function receiveMailEnv(scope: Construct, props: ReceiveMailEnvProps) {
  const queueUrls = Object.fromEntries([...props.queues.skills].map(([name, q]) => [name, q.queue.queueUrl]));
  return {
    TABLE_NAME: props.table.tableName,
    MAIL_BUCKET: props.storage.bucket.bucketName,
    SKILL_QUEUE_URLS: Stack.of(scope).toJsonString(queueUrls),
    SKILL_QUEUE_PREFIX: props.runtimeQueuePrefix,
    OUTBOUND_QUEUE_URL: props.outboundQueue.queueUrl,
    ...suppressionEnv(props.suppression ?? DEFAULT_SUPPRESSION),
    ...retentionEnv(props.retention ?? RETENTION_DEFAULTS),
    ...slaEnv(props.sla),
    CHANNEL_CACHE_SECONDS: '60',
    CALENDAR_CACHE_SECONDS: '60',
  } satisfies Partial<InboundEnvInput>;
}

export class InboundPipeline extends Construct {
  readonly handler: PostroomFunction<InboundEnvInput>;

  constructor(scope: Construct, id: string, props: InboundPipelineProps) {
    super(scope, id);
    const { storage, table, queues } = props;
    this.handler = new PostroomFunction<InboundEnvInput>(this, 'Process', {
      entry: fileURLToPath(new URL('../../functions/inbound-process.ts', import.meta.url)),
      description: 'Postroom inbound: SES receipt, raw mail, decision, conversation, skill queue',
      timeout: TIMEOUT,
      ...(props.reservedConcurrency === undefined ? {} : { reservedConcurrentExecutions: props.reservedConcurrency }),
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
      environment: {
        ...receiveMailEnv(this, props),
        LEASE_SECONDS: String(INBOUND_LEASE.toSeconds()),
        POWERTOOLS_SERVICE_NAME: 'postroom-inbound',
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace ?? 'Postroom',
      },
    });
    const fn = this.handler.function;
    fn.configureAsyncInvoke({
      // The first call and the retries are the mail's attempts (see `functions/runtime/attempts.ts`).
      retryAttempts: INBOUND_ASYNC_RETRIES,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(queues.failedMail),
    });

    allowReceiveMail(this.handler.role, { storage, table, queues, outboundQueue: props.outboundQueue, runtimeQueuePrefix: props.runtimeQueuePrefix });
  }
}

/** What a function that runs mail through `receiveMail` works on. */
export interface ReceiveMailGrantProps {
  readonly storage: MailStorage;
  readonly table: dynamodb.ITable;
  readonly queues: SkillQueues;
  readonly outboundQueue: sqs.IQueue;
  readonly runtimeQueuePrefix: string;
  /**
   * Table partitions the function writes besides those of inbound processing, delivery reports
   * and acknowledgements.
   * @default none
   */
  readonly extraWritePrefixes?: readonly string[];
  /**
   * `read-write` for a function that stores the raw mail itself (mailbox sources) rather than
   * reading what SES's S3 action stored.
   * @default 'read'
   */
  readonly rawMail?: 'read' | 'read-write';
}

/**
 * The grants `receiveMail` needs, shared by every function that runs it (the inbound function and
 * the mailbox function), so a step added to the pipeline cannot leave one of them short: item
 * reads of the table (no index, no scan), writes to the inbound, feedback and acknowledgement
 * partitions only (`dynamodb:LeadingKeys`: never channel settings), raw mail under the SES
 * prefix, plans of acknowledgements, the mail key through S3, and sends to the skill queues
 * (configured and runtime) and the outbound queue. With the cdk-nag acknowledgements of the
 * prefixes, on `role`.
 */
export function allowReceiveMail(role: iam.Role, props: ReceiveMailGrantProps): void {
  const { storage, table, queues } = props;
  const stack = Stack.of(role);
  const writesRaw = props.rawMail === 'read-write';
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
      resources: [table.tableArn],
    }),
  );
  // Writes only to the partitions inbound processing owns, delivery reports update,
  // acknowledgements claim and the caller adds: never channel settings (`CHANNEL`).
  const writable = [
    ...new Set([...INBOUND_WRITE_KEY_PREFIXES, ...FEEDBACK_WRITE_KEY_PREFIXES, ...ACKNOWLEDGEMENT_WRITE_KEY_PREFIXES, ...(props.extraWritePrefixes ?? [])]),
  ];
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'],
      resources: [table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': writable.map((p) => `${p}*`) } },
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: writesRaw ? ['s3:GetObject', 's3:PutObject'] : ['s3:GetObject'],
      resources: [storage.bucket.arnForObjects(`${RAW_MAIL_PREFIX}*`)],
    }),
  );
  // The plan of a queued acknowledgement, which the outbound function reads.
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['s3:PutObject'],
      resources: [storage.bucket.arnForObjects(`${OUTBOUND_PLAN_PREFIX}*`)],
    }),
  );
  // Writing under the bucket's default SSE-KMS needs a data key.
  storage.allowKeyUse(role, 'kms:Decrypt', 'kms:GenerateDataKey');
  for (const { queue } of queues.skills.values()) queue.grantSendMessages(role);
  // Skills created through the admin API: their queues exist only at runtime, under the prefix.
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['sqs:SendMessage', 'sqs:GetQueueUrl'],
      resources: [`arn:${stack.partition}:sqs:${stack.region}:${stack.account}:${props.runtimeQueuePrefix}*`],
    }),
  );
  props.outboundQueue.grantSendMessages(role);

  const bucketId = stack.getLogicalId(storage.bucket.node.defaultChild as never);
  Validations.of(role).acknowledge({
    id: `AwsSolutions::AwsSolutions-IAM5[Resource::${nagArn(stack, 'sqs', `${props.runtimeQueuePrefix}*`)}]`,
    reason: 'Skills created through the admin API get their queues at runtime under this name prefix; the function may only find and send to those.',
  });
  Validations.of(role).acknowledge({
    id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${RAW_MAIL_PREFIX}*]`,
    reason: writesRaw
      ? 'Raw mail objects are keyed by mail id under the receipt rule prefix; the function stores the mail it fetches from a mailbox there and reads it back, and touches no other prefix of raw mail.'
      : 'Raw mail objects are keyed by SES message id under the receipt rule prefix; the function reads only that prefix.',
  });
  Validations.of(role).acknowledge({
    id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${OUTBOUND_PLAN_PREFIX}*]`,
    reason:
      'Planned acknowledgements are keyed by channel and a new message id under the plan prefix; the function only writes there, one plan per acknowledgement it queues.',
  });
}
