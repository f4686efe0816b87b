import type { RetentionSettings } from '../../functions/core/model/retention.ts';
import { Duration, Size, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { itemKeys } from '../../functions/adapters/dynamo-schema.ts';
import type { SourceEnvInput } from '../../functions/runtime/source-env.ts';
import type { SuppressionOptions } from './feedback-pipeline.ts';
import { allowReceiveMail, receiveMailEnv } from './inbound-pipeline.ts';
import { allowCredentialUse } from './key-policy.ts';
import { IMPORT_ARCHIVE_PREFIX, type MailStorage } from './mail-storage.ts';
import { PostroomFunction } from './postroom-function.ts';
import type { SkillQueues } from './skill-queues.ts';

export interface MailboxSourcesProps {
  readonly storage: MailStorage;
  readonly table: dynamodb.ITable;
  readonly queues: SkillQueues;
  /** The outbound FIFO queue: acknowledgements of polled mail are queued there as for SES mail. */
  readonly outboundQueue: sqs.IQueue;
  /** The key channel credentials are encrypted with (`OutboundPipeline.credentialsKey`). */
  readonly credentialsKey: kms.IKey;
  /** Name prefix of the skill queues the admin API creates at runtime (as the inbound function's). */
  readonly runtimeQueuePrefix: string;
  /** How DSN and ARF reports suppress, as the inbound function does. @default DEFAULT_SUPPRESSION */
  readonly suppression?: SuppressionOptions;
  /** The account-wide retention (config `retention`): each record's expiry rides on the write that stores it; the documented defaults when absent. */
  readonly retention?: RetentionSettings;
  /**
   * Private CIDR blocks an admin-set mailbox host may reach: the list the outbound function
   * applies to SMTP hosts (config `outbound.allowedPrivateCidrs`).
   * @default none
   */
  readonly allowedPrivateCidrs?: readonly string[];
  /**
   * Public base URL under which `POST /webhooks/graph/{channelId}` reaches this function (the
   * admin API's endpoint, `AdminApiProps.graphWebhook`): Graph sources then subscribe to change
   * notifications and are polled as soon as mail arrives. Graph validates the URL when a
   * subscription is created, so it must be set only where that route exists.
   * @default '' (polling only)
   */
  readonly notificationBaseUrl?: string;
  /**
   * Most mailboxes polled at once (the poll queue's event source maximum concurrency, 2 to 1000).
   * @default DEFAULT_POLL_CONCURRENCY
   */
  readonly maxConcurrency?: number;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** @default 'Postroom' */
  readonly metricsNamespace?: string;
}

/**
 * A poll is bounded by time, not by mailbox size: the handler stops taking messages when the
 * time left runs low (keeping 20 s to save the cursor and log out) and queues the next poll. Five
 * minutes let one poll read a useful batch from a slow server, up to `POLL_LIMIT` messages of up
 * to 40 MB each, without holding a connection open for long.
 */
const TIMEOUT = Duration.minutes(5);
/** Longer than the timeout by clock skew only, as the inbound lease (see `InboundPipeline`): imported mail takes the same processing records. */
const LEASE = TIMEOUT.plus(Duration.seconds(10));
/**
 * How many mailboxes are open at once: the event source's maximum concurrency. Providers limit
 * concurrent connections and requests per account (IMAP and POP3 servers per user and client
 * address, Graph per app and tenant), and several channels often read mailboxes of one provider
 * account. The FIFO group per channel already keeps polls of one mailbox apart; five keep a few
 * slow servers from holding up the rest without opening many connections at once.
 */
export const DEFAULT_POLL_CONCURRENCY = 5;
/** Receives of one poll message before it moves to the dead-letter queue: a poll that keeps crashing is worth a look, the schedule dispatches a fresh one anyway. */
export const POLL_MAX_RECEIVES = 3;
/** The function's Powertools service name: the `service` dimension of its metrics. */
export const SOURCES_SERVICE_NAME = 'postroom-sources';
/**
 * Partitions the poller writes besides those of inbound processing: the source state, settled
 * message keys, content hashes, the channel's credentials (an OAuth server that rotates the
 * refresh token gets the new one stored again), and import jobs (their progress, step by step).
 * Taken from the item keys, so they cannot drift.
 */
export const SOURCE_WRITE_KEY_PREFIXES: readonly string[] = [
  itemKeys.sourceState(''),
  itemKeys.sourceKey('', 'key'),
  itemKeys.sourceHash('', 'hash'),
  itemKeys.credentials(''),
  itemKeys.importJob('', 'id'),
].map((k) => k.pk);
/**
 * The function's /tmp: an import step copies the uploaded archive there for the streaming reader,
 * and an archive may have 5 GB (one presigned POST's limit); 10 GiB, Lambda's most, holds it
 * with room to spare.
 */
export const SOURCES_TMP_SIZE = Size.gibibytes(10);

/**
 * Mailbox sources (IMAP, POP3, Microsoft Graph): the mailbox function (`functions/source-poll.ts`)
 * with the schedule that dispatches it every minute, the FIFO poll queue it dispatches to and
 * polls from (group = channel, so one mailbox is never polled twice at once; with a FIFO
 * dead-letter queue), and the metric of failing sources (`Monitoring` alarms on both, and on the
 * function's errors and throttles). The same queue carries the steps of import jobs (uploaded
 * archives), which the function runs too; the admin API routes Graph's change notifications to
 * it (`AdminApiProps.graphWebhook`).
 *
 * One fan-out schedule rather than an EventBridge Scheduler schedule per source: sources are
 * created at run time through the API, and a schedule each would have the admin function create,
 * update and delete schedules (an IAM role to pass, more permissions, state to keep in step with
 * the table). The dispatcher reads every channel and queues those whose `pollSeconds` have passed.
 *
 * Grants are those of the inbound function (polled mail takes the SES path), raw mail written
 * under the SES prefix, the source and import partitions and credentials of the table, reads of
 * uploaded archives, sends to the poll queue, and the credentials key for channel-bound
 * ciphertexts only (`allowCredentialUse`).
 */
export class MailboxSources extends Construct {
  readonly handler: PostroomFunction<SourceEnvInput>;
  readonly pollQueue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly schedule: events.Rule;
  /** 1 for a poll that left its source failing (a refused login, a server unreachable poll after poll). */
  readonly failingSources: cloudwatch.Metric;

  constructor(scope: Construct, id: string, props: MailboxSourcesProps) {
    super(scope, id);
    const { storage, table, queues } = props;
    const namespace = props.metricsNamespace ?? 'Postroom';

    this.deadLetterQueue = new sqs.Queue(this, 'PollDeadLetterQueue', {
      fifo: true,
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.pollQueue = new sqs.Queue(this, 'PollQueue', {
      fifo: true,
      // The handler sets deduplication ids: per channel and minute for dispatches, so a tick
      // delivered twice queues a mailbox once.
      contentBasedDeduplication: false,
      deduplicationScope: sqs.DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      // Six times the function timeout, as AWS advises for an SQS event source.
      visibilityTimeout: Duration.seconds(TIMEOUT.toSeconds() * 6),
      // Long enough for a message to use its receives (each waits out the visibility timeout)
      // and reach the dead-letter queue; an older poll is superseded by the schedule's next one.
      retentionPeriod: Duration.days(1),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: POLL_MAX_RECEIVES },
    });

    this.handler = new PostroomFunction<SourceEnvInput>(this, 'Poll', {
      entry: fileURLToPath(new URL('../../functions/source-poll.ts', import.meta.url)),
      description: 'Postroom mailbox sources: dispatch due mailboxes, poll one (IMAP, POP3, Graph) into the inbound path',
      timeout: TIMEOUT,
      // A fetched message of up to 40 MB is held and parsed in memory.
      memorySize: 1024,
      ephemeralStorageSize: SOURCES_TMP_SIZE,
      // No reserved concurrency: the event source's maximum concurrency caps the polls, and a
      // reservation would take capacity from the account's unreserved pool for a function that
      // runs a few instances, and one set below the maximum concurrency would throttle polls into retries.
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
      environment: {
        ...receiveMailEnv(this, props),
        LEASE_SECONDS: String(LEASE.toSeconds()),
        CREDENTIALS_KEY_ARN: props.credentialsKey.keyArn,
        POLL_QUEUE_URL: this.pollQueue.queueUrl,
        POLL_LIMIT: '50',
        ALLOWED_PRIVATE_CIDRS: (props.allowedPrivateCidrs ?? []).join(','),
        NOTIFICATION_BASE_URL: props.notificationBaseUrl ?? '',
        POWERTOOLS_SERVICE_NAME: SOURCES_SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: namespace,
      },
    });
    const fn = this.handler.function;
    // The schedule is the only asynchronous caller: a failed dispatch is done again by the next
    // tick a minute later, so Lambda's retries would only repeat it.
    fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });
    // One message is one mailbox: a poll that fails returns that message alone to the queue.
    fn.addEventSource(new SqsEventSource(this.pollQueue, { batchSize: 1, maxConcurrency: props.maxConcurrency ?? DEFAULT_POLL_CONCURRENCY }));

    this.schedule = new events.Rule(this, 'Dispatch', {
      description: 'Postroom: queue a poll of every mailbox source whose interval has passed',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      // A tick EventBridge cannot deliver is replaced by the next one.
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 0 })],
    });

    const role = this.handler.role;
    allowReceiveMail(role, {
      storage,
      table,
      queues,
      outboundQueue: props.outboundQueue,
      runtimeQueuePrefix: props.runtimeQueuePrefix,
      extraWritePrefixes: SOURCE_WRITE_KEY_PREFIXES,
      rawMail: 'read-write',
    });
    // Dispatches, the follow-up poll of a mailbox that has more than one poll reads, the next step
    // of an import, and polls Graph's notifications ask for.
    this.pollQueue.grantSendMessages(role);
    // An import step reads the uploaded archive (the mail key's Decrypt through S3 is granted above).
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [storage.bucket.arnForObjects(`${IMPORT_ARCHIVE_PREFIX}*`)] }));
    Validations.of(role).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(storage.bucket.node.defaultChild as never)}.Arn>/${IMPORT_ARCHIVE_PREFIX}*]`,
      reason: 'Uploaded archives are keyed by channel and import id under this prefix; the function only reads them, one archive per import job it runs.',
    });
    // Decrypts the mailbox credentials; encrypts (a data key from GenerateDataKey, through the
    // Encryption SDK) the refresh tokens an OAuth server rotates.
    allowCredentialUse(props.credentialsKey, role);

    // What `recordPoll` emits: 1 for a poll that left its source failing, under Powertools' `service` dimension.
    this.failingSources = new cloudwatch.Metric({
      namespace,
      metricName: 'SourceFailing',
      dimensionsMap: { service: SOURCES_SERVICE_NAME },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(5),
    });
  }
}
