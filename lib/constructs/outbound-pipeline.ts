import { RETENTION_DEFAULTS, type RetentionSettings } from '../../functions/core/model/retention.ts';
import { retentionEnv } from '../../functions/runtime/env-fields.ts';
import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { OUTBOUND_WRITE_KEY_PREFIXES } from '../../functions/adapters/dynamo-schema.ts';
import { OUTBOUND_PLAN_PREFIX } from '../../functions/adapters/s3-outbound-plan-store.ts';
import { OUTBOUND_MAX_RECEIVES } from '../../functions/runtime/attempts.ts';
import type { OutboundEnvInput } from '../../functions/runtime/outbound-env.ts';
import { OUTBOUND_UPLOAD_PREFIX } from '../../functions/adapters/outbound/s3-attachment-stager.ts';
import { administeredKey, allowCredentialUse } from './key-policy.ts';
import type { MailStorage } from './mail-storage.ts';
import { PostroomFunction } from './postroom-function.ts';

export interface OutboundPipelineProps {
  readonly storage: MailStorage;
  readonly table: dynamodb.ITable;
  /** Domains the channels send from (verified SES identities): the only identities the function may send as. */
  readonly domains: readonly string[];
  /**
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /** The account-wide retention (config `retention`): each record's expiry rides on the write that stores it; the documented defaults when absent. */
  readonly retention?: RetentionSettings;
  /**
   * Private CIDR blocks an admin-set SMTP host may reach (a relay inside the customer's network).
   * @default none
   */
  readonly allowedPrivateCidrs?: readonly string[];
  /**
   * Metrics namespace.
   * @default 'Postroom'
   */
  readonly metricsNamespace?: string;
}

const TIMEOUT = Duration.seconds(60);
/** Longer than the timeout by clock skew only, as the inbound lease (see `InboundPipeline`). */
const LEASE = TIMEOUT.plus(Duration.seconds(10));

/**
 * The sending half: the outbound FIFO queue (group = conversation, so one conversation's replies
 * leave in order) with its dead-letter queue (alarmed by `Monitoring`), the outbound function
 * (`functions/outbound-send.ts`) fed by it with partial batch responses, the KMS key that
 * encrypts channel credentials (rotating), and the SES configuration set replies are sent with.
 *
 * Grants are narrow: `ses:SendRawEmail` on the channel domains' identities and the configuration
 * set only; `kms:Decrypt`/`kms:GenerateDataKey` on the credentials key, named in its policy, only
 * for ciphertexts whose full encryption context names a channel, a purpose and an endpoint; reads of planned mails and uploads (forwarded parts of
 * inbound mail are staged there when a reply is queued, so no MIME parser is bundled); writes to the
 * outbound partitions of the table.
 */
export class OutboundPipeline extends Construct {
  readonly handler: PostroomFunction<OutboundEnvInput>;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly credentialsKey: kms.Key;
  readonly configurationSet: ses.ConfigurationSet;
  /** Refused SMTP logins and OAuth refreshes the outbound function counts (`CredentialsFailing`). */
  readonly failingCredentials: cloudwatch.Metric;

  constructor(scope: Construct, id: string, props: OutboundPipelineProps) {
    super(scope, id);
    const { storage, table } = props;
    const stack = Stack.of(this);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      fifo: true,
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      fifo: true,
      contentBasedDeduplication: false,
      deduplicationScope: sqs.DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      // Six times the function timeout, as AWS advises for an SQS event source.
      visibilityTimeout: Duration.seconds(TIMEOUT.toSeconds() * 6),
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: OUTBOUND_MAX_RECEIVES },
    });

    this.credentialsKey = administeredKey(this, 'CredentialsKey', {
      description: 'Postroom: envelope encryption of channel credentials (SMTP passwords, OAuth secrets)',
    });
    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      sendingEnabled: true,
      reputationMetrics: true,
      tlsPolicy: ses.ConfigurationSetTlsPolicy.REQUIRE,
    });

    this.handler = new PostroomFunction<OutboundEnvInput>(this, 'Send', {
      entry: fileURLToPath(new URL('../../functions/outbound-send.ts', import.meta.url)),
      description: 'Postroom outbound: compose an agent reply and send it through SES or the channel SMTP server',
      timeout: TIMEOUT,
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
      environment: {
        TABLE_NAME: table.tableName,
        MAIL_BUCKET: storage.bucket.bucketName,
        OUTBOUND_QUEUE_URL: this.queue.queueUrl,
        CREDENTIALS_KEY_ARN: this.credentialsKey.keyArn,
        SES_CONFIGURATION_SET: this.configurationSet.configurationSetName,
        ALLOWED_PRIVATE_CIDRS: (props.allowedPrivateCidrs ?? []).join(','),
        LEASE_SECONDS: String(LEASE.toSeconds()),
        CHANNEL_CACHE_SECONDS: '60',
        ...retentionEnv(props.retention ?? RETENTION_DEFAULTS),
        POWERTOOLS_SERVICE_NAME: 'postroom-outbound',
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace ?? 'Postroom',
      },
    });
    this.handler.function.addEventSource(new SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true }));
    this.failingCredentials = new cloudwatch.Metric({
      namespace: props.metricsNamespace ?? 'Postroom',
      metricName: 'CredentialsFailing',
      dimensionsMap: { service: 'postroom-outbound' },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
    });

    const role = this.handler.role;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
        resources: [table.tableArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'],
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': OUTBOUND_WRITE_KEY_PREFIXES.map((p) => `${p}*`) } },
      }),
    );
    const readable = [OUTBOUND_PLAN_PREFIX, OUTBOUND_UPLOAD_PREFIX];
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: readable.map((prefix) => storage.bucket.arnForObjects(`${prefix}*`)),
      }),
    );
    storage.allowKeyUse(role, 'kms:Decrypt');
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendRawEmail', 'ses:SendEmail'],
        resources: [
          ...props.domains.map((domain) =>
            stack.formatArn({ service: 'ses', resource: 'identity', resourceName: domain, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
          ),
          stack.formatArn({
            service: 'ses',
            resource: 'configuration-set',
            resourceName: this.configurationSet.configurationSetName,
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        ],
      }),
    );
    // Decrypts the channel's secrets; encrypts the refresh tokens an OAuth server rotates.
    allowCredentialUse(this.credentialsKey, role);
    this.queue.grantSendMessages(role);
    this.queue.grant(role, 'sqs:ChangeMessageVisibility');

    const bucketId = stack.getLogicalId(storage.bucket.node.defaultChild as never);
    const reasons: Record<string, string> = {
      [OUTBOUND_PLAN_PREFIX]: 'Planned mails are keyed by channel and message id under their own prefix; the function reads the plan of the job it sends.',
      [OUTBOUND_UPLOAD_PREFIX]:
        "Attachments agents' apps upload through presigned URLs are keyed by a random id under this prefix; the function reads those a reply names.",
    };
    for (const prefix of readable) {
      Validations.of(role).acknowledge({ id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`, reason: reasons[prefix] ?? '' });
    }
  }
}
