import { Duration, Size, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { INBOUND_ATTACHMENT_PREFIX } from '../../functions/adapters/s3-attachment-links.ts';
import { PRIVACY_PREFIX } from '../../functions/adapters/s3-export-archives.ts';
import { OUTBOUND_PLAN_PREFIX } from '../../functions/adapters/s3-outbound-plan-store.ts';
import { UPLOAD_PREFIX } from '../../functions/core/outbound/compose/upload-keys.ts';
import type { PrivacyEnvInput } from '../../functions/runtime/privacy-env.ts';
import { RAW_MAIL_PREFIX } from '../../functions/runtime/ses-event.ts';
import type { AuditTable } from './audit-table.ts';
import type { MailStorage } from './mail-storage.ts';
import { PostroomFunction } from './postroom-function.ts';

export interface PrivacyProps {
  readonly storage: MailStorage;
  readonly table: dynamodb.ITable;
  /** The audit log: the function becomes its redactor (`AuditTable.allowRedactor`). */
  readonly auditTable: AuditTable;
  /**
   * Days an export archive (and an export's staged findings) stays in the bucket.
   * @default EXPORT_ARCHIVE_DAYS
   */
  readonly exportDays?: number;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
}

/** A job step runs as long as Lambda allows; the step saves after each page and queues the next step before the end. */
const TIMEOUT = Duration.minutes(15);
/** Receives of one step before it moves to the dead-letter queue: a step that keeps failing is worth a look. */
export const PRIVACY_MAX_RECEIVES = 3;
/** Days an export archive is kept: long enough to download it, short enough not to become a copy of the data. */
export const EXPORT_ARCHIVE_DAYS = 7;
/** Jobs worked at once (the event source's maximum concurrency): each reads the whole table. */
export const PRIVACY_CONCURRENCY = 2;

/**
 * Subject access and erasure (ADM-2): the privacy function (`functions/privacy-job.ts`) and its
 * queue. The admin API creates a job and queues its id; each message is one step of the job, as
 * long as an invocation allows, and a job with more to do queues its next step, so an erasure of
 * a large table runs across invocations from its last save (a standard queue with a dead-letter
 * queue: a repeated delivery finds the job's lease or its progress and does no harm).
 *
 * Grants: the table whole (a job reads every item once, there is no index by address, and
 * erasing touches every kind of item), the mail bucket's prefixes that hold a person's mail
 * (raw mail, extracted attachments, planned mails and uploads) and its own `privacy/` prefix
 * (export archives, staged findings; expired after `exportDays`), the mail key through S3, its
 * queue, and on the append-only audit table the one exception to it: redacting entries that name
 * an erased address, and appending the erasure's record.
 */
export class Privacy extends Construct {
  readonly handler: PostroomFunction<PrivacyEnvInput>;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: PrivacyProps) {
    super(scope, id);
    const { storage, table } = props;
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      // Six times the function timeout, as AWS advises for an SQS event source.
      visibilityTimeout: Duration.seconds(TIMEOUT.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: PRIVACY_MAX_RECEIVES },
    });

    this.handler = new PostroomFunction<PrivacyEnvInput>(this, 'Job', {
      entry: fileURLToPath(new URL('../../functions/privacy-job.ts', import.meta.url)),
      description: 'Postroom privacy jobs: export (subject access) and erasure of one address',
      timeout: TIMEOUT,
      // A raw mail of up to 40 MB is parsed (export) or rewritten (erasure) in memory.
      memorySize: 2048,
      // An export's zip is written to /tmp before it is stored.
      ephemeralStorageSize: Size.gibibytes(10),
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
      environment: {
        TABLE_NAME: table.tableName,
        AUDIT_TABLE_NAME: props.auditTable.table.tableName,
        MAIL_BUCKET: storage.bucket.bucketName,
        PRIVACY_QUEUE_URL: this.queue.queueUrl,
        POWERTOOLS_SERVICE_NAME: 'postroom-privacy',
        POWERTOOLS_METRICS_NAMESPACE: 'Postroom',
      },
    });
    this.handler.function.addEventSource(new SqsEventSource(this.queue, { batchSize: 1, maxConcurrency: PRIVACY_CONCURRENCY }));
    storage.bucket.addLifecycleRule({ id: 'privacy-exports', prefix: PRIVACY_PREFIX, expiration: Duration.days(props.exportDays ?? EXPORT_ARCHIVE_DAYS) });
    this.grant(props);
  }

  private grant(props: PrivacyProps): void {
    const stack = Stack.of(this);
    const role = this.handler.role;
    const { table, storage } = props;
    const statement = (actions: string[], resources: string[], conditions?: Record<string, Record<string, unknown>>) =>
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources, ...(conditions ? { conditions } : {}) }));
    statement(
      [
        'dynamodb:Scan',
        'dynamodb:GetItem',
        'dynamodb:BatchGetItem',
        'dynamodb:Query',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:DescribeTable',
      ],
      [table.tableArn],
    );
    const prefixes = [RAW_MAIL_PREFIX, INBOUND_ATTACHMENT_PREFIX, OUTBOUND_PLAN_PREFIX, UPLOAD_PREFIX, PRIVACY_PREFIX];
    statement(
      ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      prefixes.map((p) => storage.bucket.arnForObjects(`${p}*`)),
    );
    // Listing only where a job deletes by prefix: a message's extracted attachments, an export's staged findings.
    statement(['s3:ListBucket'], [storage.bucket.bucketArn], { StringLike: { 's3:prefix': [`${INBOUND_ATTACHMENT_PREFIX}*`, `${PRIVACY_PREFIX}*`] } });
    storage.allowKeyUse(role, 'kms:Decrypt', 'kms:GenerateDataKey');
    this.queue.grantSendMessages(role);
    props.auditTable.allowRedactor(role);

    const bucketArn = `<${stack.getLogicalId(storage.bucket.node.defaultChild as never)}.Arn>`;
    const reasons: Record<string, string> = {
      [RAW_MAIL_PREFIX]:
        "Raw mail is keyed by mail id under the receipt rule prefix; an erasure deletes the person's and rewrites others' without them, an export reads them.",
      [INBOUND_ATTACHMENT_PREFIX]:
        "Attachments extracted for download are keyed by message id under this prefix; an erasure deletes those of the person's messages.",
      [OUTBOUND_PLAN_PREFIX]:
        'Planned mails are keyed by channel and message id under this prefix; an erasure deletes or redacts them, an export reads their text.',
      [UPLOAD_PREFIX]:
        'Reply attachments are keyed per agent and upload under this prefix; an erasure deletes those of replies to the person, an export reads them.',
      [PRIVACY_PREFIX]: "Export archives and an export's staged findings are keyed by job id under this prefix, the function's own.",
    };
    for (const [prefix, reason] of Object.entries(reasons)) {
      Validations.of(role).acknowledge({ id: `AwsSolutions::AwsSolutions-IAM5[Resource::${bucketArn}/${prefix}*]`, reason });
    }
  }
}
