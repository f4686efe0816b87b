import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { EXPIRY_TRIGGER_PREFIXES, RETENTION_KEY_PREFIXES } from '../../functions/adapters/dynamo-retention.ts';
import { INBOUND_ATTACHMENT_PREFIX } from '../../functions/adapters/s3-attachment-links.ts';
import { OUTBOUND_PLAN_PREFIX } from '../../functions/adapters/s3-outbound-plan-store.ts';
import type { RetentionSettings } from '../../functions/core/model/retention.ts';
import { ageRules } from '../../functions/core/retention/lifecycle.ts';
import type { RetentionExpiryEnvInput } from '../../functions/runtime/retention-env.ts';
import { RAW_MAIL_PREFIX } from '../../functions/runtime/ses-event.ts';
import type { MailStorage } from './mail-storage.ts';
import { PostroomFunction } from './postroom-function.ts';

export interface RetentionProps {
  /** The account-wide settings (config `retention`); a channel may set its own `mailDays`. */
  readonly settings: RetentionSettings;
  readonly storage: MailStorage;
  /** The Postroom table: TTL on `expiresAt`, with a stream of old images (`Tables`). */
  readonly table: dynamodb.ITable;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** @default 'Postroom' */
  readonly metricsNamespace?: string;
}

/** The function's Powertools service name: the `service` dimension of its metrics. */
export const RETENTION_SERVICE_NAME = 'postroom-retention';

/**
 * Retention in AWS (ADM-2, `docs/retention.md`). Records carry DynamoDB TTL (`expiresAt`),
 * written by the writes that exist anyway; what an expired record leaves behind goes through the
 * table's stream: a function (`functions/retention-expire.ts`) sees only TTL's deletions (a filter
 * on `REMOVE` by DynamoDB's service principal) and deletes the rest of a conversation, and each
 * message's raw copy, extracted attachments and outbound plan, by their keys. Objects that belong
 * to a conversation are not expired by a lifecycle rule: a rule sees neither a legal hold nor a
 * channel's own setting. Only reply uploads, an agent's working files, go by age (`ageRules`).
 *
 * Grants: the stream's records; queries and deletes of the partitions expiry touches
 * (`dynamodb:LeadingKeys`); object deletes under the raw-mail, attachment and plan prefixes (no
 * read, no listing, so no use of the mail key). A batch that fails every retry goes to a
 * dead-letter queue with its stream position, for an operator (the items are gone; the record
 * says which).
 */
export class Retention extends Construct {
  readonly handler: PostroomFunction<RetentionExpiryEnvInput>;
  readonly deadLetterQueue: sqs.Queue;
  readonly events: lambda.EventSourceMapping;

  constructor(scope: Construct, id: string, props: RetentionProps) {
    super(scope, id);
    const { storage, table, settings } = props;
    const streamArn = table.tableStreamArn;
    if (!streamArn) throw new Error(`${this.node.path}: the table needs a stream (old images) for expiry`);

    for (const rule of ageRules(settings)) storage.bucket.addLifecycleRule({ id: rule.id, prefix: rule.prefix, expiration: Duration.days(rule.days) });

    this.handler = new PostroomFunction<RetentionExpiryEnvInput>(this, 'Expire', {
      entry: fileURLToPath(new URL('../../functions/retention-expire.ts', import.meta.url)),
      description: 'Postroom retention: deletes what a conversation, message or failed mail that DynamoDB TTL expired leaves behind',
      timeout: Duration.minutes(5),
      memorySize: 512,
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
      environment: {
        TABLE_NAME: table.tableName,
        MAIL_BUCKET: storage.bucket.bucketName,
        POWERTOOLS_SERVICE_NAME: RETENTION_SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace ?? 'Postroom',
      },
    });
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SQS3',
      reason:
        "This queue is the on-failure destination of the expiry's stream (records of batches that failed every retry), a dead-letter queue in all but name; an alarm watches it.",
    });
    this.events = new lambda.EventSourceMapping(this, 'TtlDeletions', {
      target: this.handler.function,
      eventSourceArn: streamArn,
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: 25,
      // Only TTL's deletions of items that leave something behind: no other write of the table
      // invokes the function, nor the expiry of window events and acknowledgement claims.
      filters: [
        lambda.FilterCriteria.filter({
          eventName: lambda.FilterRule.isEqual('REMOVE'),
          userIdentity: { type: ['Service'], principalId: ['dynamodb.amazonaws.com'] },
          dynamodb: { Keys: { pk: { S: EXPIRY_TRIGGER_PREFIXES.map((prefix) => ({ prefix })) } } },
        }),
      ],
      reportBatchItemFailures: true,
      bisectBatchOnError: true,
      retryAttempts: 10,
      // Within the stream's 24 hours: a record that cannot be done by then goes to the queue, not lost silently.
      maxRecordAge: Duration.hours(20),
      onFailure: new SqsDlq(this.deadLetterQueue),
    });

    const role = this.handler.role;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
        resources: [streamArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query', 'dynamodb:DeleteItem'],
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': RETENTION_KEY_PREFIXES.map((p) => `${p}*`) } },
      }),
    );
    const prefixes = [RAW_MAIL_PREFIX, INBOUND_ATTACHMENT_PREFIX, OUTBOUND_PLAN_PREFIX];
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:DeleteObject'], resources: prefixes.map((p) => storage.bucket.arnForObjects(`${p}*`)) }));
    const stack = Stack.of(this);
    const bucketArn = `<${stack.getLogicalId(storage.bucket.node.defaultChild as never)}.Arn>`;
    const why: Record<string, string> = {
      [RAW_MAIL_PREFIX]:
        'Raw mail is keyed by mail id under the receipt rule prefix; the expiry deletes the raw copy of an expired message once no record of its mail remains, by its key.',
      [INBOUND_ATTACHMENT_PREFIX]:
        'Attachments extracted for download are keyed by message id and index under this prefix; the expiry deletes those of an expired message by their keys.',
      [OUTBOUND_PLAN_PREFIX]:
        'Planned mails are keyed by channel and message id under this prefix; the expiry deletes the plan of an expired message we sent, by its key.',
    };
    for (const prefix of prefixes) {
      Validations.of(role).acknowledge({ id: `AwsSolutions::AwsSolutions-IAM5[Resource::${bucketArn}/${prefix}*]`, reason: why[prefix] ?? '' });
    }
  }
}
