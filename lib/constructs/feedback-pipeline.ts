import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { FEEDBACK_WRITE_KEY_PREFIXES } from '../../functions/adapters/dynamo-schema.ts';
import { FEEDBACK_MAX_RECEIVES } from '../../functions/runtime/attempts.ts';
import type { FeedbackEnvInput } from '../../functions/runtime/env.ts';
import { administeredKey } from './key-policy.ts';
import { PostroomFunction } from './postroom-function.ts';

/** How feedback suppresses addresses; the inbound function applies DSN and ARF reports with the same settings. */
export interface SuppressionOptions {
  /** The channel that sent the mail, or every channel of the account. */
  readonly scope: 'channel' | 'account';
  /** Soft failures of one address within `transientWindow` that suppress it. */
  readonly transientFailures: number;
  readonly transientWindow: Duration;
}

export const DEFAULT_SUPPRESSION: SuppressionOptions = { scope: 'channel', transientFailures: 3, transientWindow: Duration.days(7) };

/** The environment both functions that apply feedback share. */
export function suppressionEnv(options: SuppressionOptions): Pick<FeedbackEnvInput, 'SUPPRESSION_SCOPE' | 'TRANSIENT_FAILURES' | 'TRANSIENT_WINDOW_SECONDS'> {
  return {
    SUPPRESSION_SCOPE: options.scope,
    TRANSIENT_FAILURES: String(options.transientFailures),
    TRANSIENT_WINDOW_SECONDS: String(options.transientWindow.toSeconds()),
  };
}

export interface FeedbackPipelineProps {
  readonly table: dynamodb.ITable;
  /** The configuration set every mail is sent with (`OutboundPipeline.configurationSet`). */
  readonly configurationSet: ses.IConfigurationSet;
  /** @default DEFAULT_SUPPRESSION */
  readonly suppression?: SuppressionOptions;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** @default 'Postroom' */
  readonly metricsNamespace?: string;
}

/** Every SES event about delivery; Send, Open and Click say nothing about it. */
export const FEEDBACK_EVENTS: readonly ses.EmailSendingEvent[] = [
  ses.EmailSendingEvent.BOUNCE,
  ses.EmailSendingEvent.COMPLAINT,
  ses.EmailSendingEvent.DELIVERY,
  ses.EmailSendingEvent.REJECT,
  ses.EmailSendingEvent.DELIVERY_DELAY,
  ses.EmailSendingEvent.RENDERING_FAILURE,
];

const TIMEOUT = Duration.seconds(30);
/** Longer than the timeout by clock skew only (see `InboundPipeline`). */
const LEASE = TIMEOUT.plus(Duration.seconds(10));

/**
 * Delivery feedback: the configuration set publishes every delivery event to an SNS topic
 * (encrypted with a rotating key only SES may use, for this configuration set, TLS only), the topic delivers SNS envelopes into an
 * SQS queue (what `parseSesFeedback` reads; with a dead-letter queue, alarmed by `Monitoring`), and the
 * feedback function (`functions/feedback-process.ts`) applies each event to the exact message it
 * is about, with partial batch responses.
 *
 * Grants are narrow: item reads of the table, writes only to the partitions feedback owns
 * (outbound messages under their conversation, suppressions, soft-failure counts, its records).
 */
export class FeedbackPipeline extends Construct {
  readonly topic: sns.Topic;
  readonly topicKey: kms.Key;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly handler: PostroomFunction<FeedbackEnvInput>;

  constructor(scope: Construct, id: string, props: FeedbackPipelineProps) {
    super(scope, id);
    const { table } = props;

    const stack = Stack.of(this);
    this.topicKey = administeredKey(this, 'TopicKey', { description: 'Postroom: SES delivery events on their SNS topic' });
    // SES encrypts what it publishes to an encrypted topic with the topic's key: only for events of our configuration set.
    const configurationSetArn = stack.formatArn({
      service: 'ses',
      resource: 'configuration-set',
      resourceName: props.configurationSet.configurationSetName,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    this.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('ses.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account, 'aws:SourceArn': configurationSetArn } },
      }),
    );
    this.topic = new sns.Topic(this, 'Events', { masterKey: this.topicKey, enforceSSL: true, displayName: 'Postroom SES delivery events' });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      // Six times the function timeout, as AWS advises for an SQS event source.
      visibilityTimeout: Duration.seconds(TIMEOUT.toSeconds() * 6),
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: FEEDBACK_MAX_RECEIVES },
    });
    // SNS envelopes, not raw delivery: the envelope keeps the topic and time the function logs.
    this.topic.addSubscription(new SqsSubscription(this.queue, { rawMessageDelivery: false }));

    new ses.ConfigurationSetEventDestination(this, 'EventDestination', {
      configurationSet: props.configurationSet,
      destination: ses.EventDestination.snsTopic(this.topic),
      events: [...FEEDBACK_EVENTS],
      enabled: true,
    });

    this.handler = new PostroomFunction<FeedbackEnvInput>(this, 'Process', {
      entry: fileURLToPath(new URL('../../functions/feedback-process.ts', import.meta.url)),
      description: 'Postroom feedback: SES delivery events to the status of each reply and the suppression list',
      timeout: TIMEOUT,
      memorySize: 512,
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
      environment: {
        TABLE_NAME: table.tableName,
        LEASE_SECONDS: String(LEASE.toSeconds()),
        ...suppressionEnv(props.suppression ?? DEFAULT_SUPPRESSION),
        POWERTOOLS_SERVICE_NAME: 'postroom-feedback',
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace ?? 'Postroom',
      },
    });
    this.handler.function.addEventSource(new SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true }));

    const role = this.handler.role;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:Query'],
        resources: [table.tableArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': FEEDBACK_WRITE_KEY_PREFIXES.map((p) => `${p}*`) } },
      }),
    );
  }
}
