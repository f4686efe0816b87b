import type { RetentionSettings } from '../../functions/core/model/retention.ts';
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import type { ReconcileEnvInput } from '../../functions/runtime/reconcile-env.ts';
import { RAW_MAIL_PREFIX } from '../../functions/runtime/ses-event.ts';
import type { SuppressionOptions } from './feedback-pipeline.ts';
import { allowReceiveMail, INBOUND_LEASE, receiveMailEnv } from './inbound-pipeline.ts';
import type { MailStorage } from './mail-storage.ts';
import { PostroomFunction } from './postroom-function.ts';
import type { SkillQueues } from './skill-queues.ts';

export interface ReconciliationProps {
  readonly storage: MailStorage;
  readonly table: dynamodb.ITable;
  readonly queues: SkillQueues;
  /** The outbound FIFO queue: a recovered mail is acknowledged as the inbound function would. */
  readonly outboundQueue: sqs.IQueue;
  /** Name prefix of the skill queues the admin API creates at runtime (as the inbound function's). */
  readonly runtimeQueuePrefix: string;
  /** @default DEFAULT_SUPPRESSION */
  readonly suppression?: SuppressionOptions;
  /** The account-wide retention (config `retention`): each record's expiry rides on the write that stores it; the documented defaults when absent. */
  readonly retention?: RetentionSettings;
  /**
   * How often a run starts; a mail whose invocation was lost is recovered within grace plus this.
   * @default Duration.minutes(15)
   */
  readonly every?: Duration;
  /**
   * How far back a run looks: several runs see each mail, so one failed or throttled run loses nothing.
   * @default Duration.hours(2)
   */
  readonly window?: Duration;
  /**
   * How old raw mail must be before a run looks at it: its own invocation has had its attempts
   * (Lambda retries an event within minutes) and is not still running.
   * @default Duration.minutes(10)
   */
  readonly grace?: Duration;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** @default 'Postroom' */
  readonly metricsNamespace?: string;
}

/** The function's Powertools service name: the `service` dimension of its metrics. */
export const RECONCILE_SERVICE_NAME = 'postroom-reconcile';
/**
 * A run lists every raw object (S3 lists by key, not by time) and may recover a few dozen mails;
 * ten minutes list millions of keys and end well before the next run starts.
 */
const TIMEOUT = Duration.minutes(10);

/**
 * The reconciliation (`functions/reconcile.ts`): on a schedule, it compares the raw mail SES
 * stored within the window with the processing records, and runs each mail that has none (SES
 * stored it, but its invocation was lost) through the inbound path, or lists it as failed when no
 * channel can be recovered (see `reconcileRawMail`). Its counts are metrics for the alarms:
 * `ReconciledMails`, `LostMails` and `ReconciliationIncomplete` (a bound stopped a run short).
 *
 * Grants: those of the inbound function (`allowReceiveMail`: it runs the same path), plus listing
 * the bucket under the raw-mail prefix only.
 */
export class Reconciliation extends Construct {
  readonly handler: PostroomFunction<ReconcileEnvInput>;
  readonly schedule: events.Rule;
  readonly reconciledMails: cloudwatch.Metric;
  readonly lostMails: cloudwatch.Metric;
  readonly incompleteRuns: cloudwatch.Metric;
  readonly checkedMails: cloudwatch.Metric;

  constructor(scope: Construct, id: string, props: ReconciliationProps) {
    super(scope, id);
    const { storage, table, queues } = props;
    const namespace = props.metricsNamespace ?? 'Postroom';
    const every = props.every ?? Duration.minutes(15);
    this.handler = new PostroomFunction<ReconcileEnvInput>(this, 'Run', {
      entry: fileURLToPath(new URL('../../functions/reconcile.ts', import.meta.url)),
      description: 'Postroom reconciliation: raw mail SES stored without a processing record is run through the inbound path',
      timeout: TIMEOUT,
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
      environment: {
        ...receiveMailEnv(this, props),
        // The records it creates are the inbound function's, leased as that function leases them.
        LEASE_SECONDS: String(INBOUND_LEASE.toSeconds()),
        RECONCILE_WINDOW_MINUTES: String((props.window ?? Duration.hours(2)).toMinutes()),
        RECONCILE_GRACE_MINUTES: String((props.grace ?? Duration.minutes(10)).toMinutes()),
        RECONCILE_MAX_CHECKS: '5000',
        RECONCILE_MAX_RECOVERIES: '50',
        POWERTOOLS_SERVICE_NAME: RECONCILE_SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: namespace,
      },
    });
    const fn = this.handler.function;
    // The schedule is the only caller: the next run redoes a failed one, so retries would only repeat it.
    fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: every });
    this.schedule = new events.Rule(this, 'Schedule', {
      description: 'Postroom: recover raw mail whose inbound invocation was lost',
      schedule: events.Schedule.rate(every),
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 0 })],
    });

    const role = this.handler.role;
    allowReceiveMail(role, { storage, table, queues, outboundQueue: props.outboundQueue, runtimeQueuePrefix: props.runtimeQueuePrefix });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [storage.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': `${RAW_MAIL_PREFIX}*` } },
      }),
    );

    // What `recordReconciliation` emits once per run, under Powertools' `service` dimension.
    const count = (metricName: string, statistic: string = cloudwatch.Stats.SUM) =>
      new cloudwatch.Metric({
        namespace,
        metricName,
        dimensionsMap: { service: RECONCILE_SERVICE_NAME },
        statistic,
        period: every,
      });
    this.reconciledMails = count('ReconciledMails');
    this.lostMails = count('LostMails');
    this.incompleteRuns = count('ReconciliationIncomplete', cloudwatch.Stats.MAXIMUM);
    this.checkedMails = count('CheckedMails');
  }
}
