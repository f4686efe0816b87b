import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { TABLE_SCHEMA } from '../../functions/adapters/dynamo-schema.ts';
import type { SlaCheckEnvInput } from '../../functions/runtime/sla-env.ts';
import { administeredKey, allowKeyUse } from './key-policy.ts';
import { PostroomFunction } from './postroom-function.ts';

export interface SlaProps {
  readonly table: dynamodb.ITable;
  /**
   * How often the check runs: a warning or breach is published at most this long after it fell due.
   * @default Duration.minutes(1)
   */
  readonly every?: Duration;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** @default 'Postroom' */
  readonly metricsNamespace?: string;
}

/** The function's Powertools service name: the `service` dimension of its metrics. */
export const SLA_SERVICE_NAME = 'postroom-sla';

/**
 * The SLA check (`functions/sla-check.ts`, `docs/sla.md`): every minute it reads the conversations
 * whose next warning or breach fell due from the table's sparse `sla` index, records each event on
 * its conversation with a conditional write (so it is published once), and publishes it to the
 * `topic` (KMS-encrypted, TLS only) for whatever subscribes: a queue of the contact center's
 * tooling, a Lambda, mail. `SlaWarnings` and `SlaBreaches` count them.
 *
 * Grants: querying the `sla` index, updating conversation items (`CONV#` keys only), publishing
 * to the topic with its key.
 */
export class Sla extends Construct {
  readonly handler: PostroomFunction<SlaCheckEnvInput>;
  readonly topic: sns.Topic;
  readonly topicKey: kms.Key;
  readonly schedule: events.Rule;
  readonly warnings: cloudwatch.Metric;
  readonly breaches: cloudwatch.Metric;

  constructor(scope: Construct, id: string, props: SlaProps) {
    super(scope, id);
    const namespace = props.metricsNamespace ?? 'Postroom';
    const every = props.every ?? Duration.minutes(1);
    this.topicKey = administeredKey(this, 'TopicKey', { description: 'Postroom: SLA warning and breach events on their SNS topic' });
    this.topic = new sns.Topic(this, 'Events', { masterKey: this.topicKey, enforceSSL: true, displayName: 'Postroom SLA warnings and breaches' });

    this.handler = new PostroomFunction<SlaCheckEnvInput>(this, 'Check', {
      entry: fileURLToPath(new URL('../../functions/sla-check.ts', import.meta.url)),
      description: 'Postroom SLA check: warning and breach events of conversations whose targets fell due',
      timeout: Duration.seconds(50),
      // One check at a time: a second one would only lose the conditional writes to the first.
      reservedConcurrentExecutions: 1,
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
      environment: {
        TABLE_NAME: props.table.tableName,
        SLA_TOPIC_ARN: this.topic.topicArn,
        POWERTOOLS_SERVICE_NAME: SLA_SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: namespace,
      },
    });
    const fn = this.handler.function;
    // The next run does what a failed one did not (each event is recorded before it is published): no retries, one run at a time.
    fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: every });
    this.schedule = new events.Rule(this, 'Schedule', {
      description: 'Postroom: publish SLA warnings and breaches that fell due',
      schedule: events.Schedule.rate(every),
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 0 })],
    });

    const role = this.handler.role;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`${props.table.tableArn}/index/${TABLE_SCHEMA.slaIndex.indexName}`],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:UpdateItem'],
        resources: [props.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CONV#*'] } },
      }),
    );
    // Publishing to the encrypted topic: the topic by ARN, the key by its policy (which names the role; no IAM wildcard).
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.topic.topicArn] }));
    allowKeyUse(this.topicKey, role, ['kms:GenerateDataKey', 'kms:Decrypt']);

    const count = (metricName: string) =>
      new cloudwatch.Metric({
        namespace,
        metricName,
        dimensionsMap: { service: SLA_SERVICE_NAME },
        statistic: cloudwatch.Stats.SUM,
        period: Duration.minutes(5),
      });
    this.warnings = count('SlaWarnings');
    this.breaches = count('SlaBreaches');
  }
}
