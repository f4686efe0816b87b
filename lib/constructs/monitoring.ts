import { Aspects, type IAspect, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { DefaultDashboardFactory, MonitoringFacade, SnsAlarmActionStrategy, type CustomAlarmThreshold } from 'cdk-monitoring-constructs';
import { Construct, type IConstruct } from 'constructs';
import { administeredKey } from './key-policy.ts';

export interface MonitoringProps {
  /**
   * Addresses subscribed to the alarm topic by email (config `alarms.emails`); each confirms once.
   * @default none
   */
  readonly emails?: readonly string[];
}

/** One function to watch: its errors and throttles alarm at the first in five minutes. */
export interface MonitoredFunction {
  /** Letters, digits and dashes: part of the alarm names. */
  readonly name: string;
  readonly function: lambda.IFunction;
  /** What an error of this function means, for whoever the alarm wakes. */
  readonly errors: string;
}

/** A queue and its dead-letter queue: one message in the dead-letter queue alarms. */
export interface MonitoredQueue {
  readonly name: string;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  /** What a dead-lettered message is. */
  readonly deadLetters: string;
}

/** A count the functions publish: one in a period alarms. */
export interface MonitoredCount {
  readonly name: string;
  /** Title of its dashboard group. */
  readonly title: string;
  readonly metric: cloudwatch.Metric;
  readonly description: string;
}

/** Alarm as soon as one thing counted happens; a period without data is a quiet one. */
const AT_LEAST_ONE = {
  comparisonOperatorOverride: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
} satisfies CustomAlarmThreshold;

/**
 * The stack's alarms and dashboard, built with cdk-monitoring-constructs: one SNS topic (a
 * rotating key of its own, TLS only, email subscriptions from the config) that every alarm
 * notifies, and the library's facade, which makes the alarms (named `<stack>-…`) and a dashboard
 * with a section per function, queue and count. The `monitor…` methods add what to watch.
 *
 * Any alarm of the stack made elsewhere (a plain `cloudwatch.Alarm`) notifies the topic too: an
 * aspect adds the action, so no alarm of the stack fires unheard.
 */
export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly topicKey: kms.Key;
  readonly facade: MonitoringFacade;

  constructor(scope: Construct, id: string, props: MonitoringProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    // CloudWatch publishes for alarms of this account only, and only those named by this stack
    // (the facade's prefix; CloudFormation's own names start with the stack name too).
    const alarms = `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:${stack.stackName}-*`;
    const cloudWatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    this.topicKey = administeredKey(this, 'TopicKey', { description: 'Postroom: alarm notifications on their SNS topic' });
    // An encrypted topic takes messages only from a publisher that may use its key. KMS requests
    // made for an alarm carry no source ARN to condition on; the topic policy below does.
    this.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.topic = new sns.Topic(this, 'Alarms', { masterKey: this.topicKey, enforceSSL: true, displayName: 'Postroom alarms' });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account }, ArnLike: { 'aws:SourceArn': alarms } },
      }),
    );
    for (const email of props.emails ?? []) this.topic.addSubscription(new subscriptions.EmailSubscription(email));

    this.facade = new MonitoringFacade(this, 'Facade', {
      alarmFactoryDefaults: {
        alarmNamePrefix: stack.stackName,
        actionsEnabled: true,
        // One breaching period alarms: a single failed mail or dead-lettered message is worth a look
        // (the library's default waits for three in a row).
        datapointsToAlarm: 1,
        evaluationPeriods: 1,
        action: new SnsAlarmActionStrategy({ onAlarmTopic: this.topic }),
      },
      dashboardFactory: new DefaultDashboardFactory(this, 'Dashboards', { dashboardNamePrefix: stack.stackName }),
    });
    this.facade.addLargeHeader('Postroom');
    Aspects.of(stack).add(new NotifyTopic(this.topic, this.facade));
  }

  /** Errors and throttles of a function; its invocations, duration and concurrency on the dashboard. */
  monitorFunction(target: MonitoredFunction): this {
    this.facade.monitorLambdaFunction({
      lambdaFunction: target.function,
      alarmFriendlyName: target.name,
      humanReadableName: target.name,
      addFaultCountAlarm: { Critical: { maxErrorCount: 1, ...AT_LEAST_ONE, alarmDescriptionOverride: target.errors } },
      addThrottlesCountAlarm: {
        Critical: {
          maxErrorCount: 1,
          ...AT_LEAST_ONE,
          alarmDescriptionOverride: `${target.name} was throttled: the account or its reserved concurrency ran out`,
        },
      },
    });
    return this;
  }

  /** A queue and its dead-letter queue: an alarm at the first dead-lettered message. */
  monitorQueue(target: MonitoredQueue): this {
    this.facade.monitorSqsQueueWithDlq({
      queue: target.queue,
      deadLetterQueue: target.deadLetterQueue,
      alarmFriendlyName: target.name,
      humanReadableName: target.name,
      addDeadLetterQueueMaxSizeAlarm: { Critical: { maxMessageCount: 1, ...AT_LEAST_ONE, alarmDescriptionOverride: target.deadLetters } },
    });
    return this;
  }

  /** A queue that is a dead-letter queue itself (a destination): an alarm at its first message. */
  monitorDeadLetters(target: Omit<MonitoredQueue, 'deadLetterQueue'>): this {
    this.facade.monitorSqsQueue({
      queue: target.queue,
      alarmFriendlyName: target.name,
      humanReadableName: target.name,
      addQueueMaxSizeAlarm: { Critical: { maxMessageCount: 1, ...AT_LEAST_ONE, alarmDescriptionOverride: target.deadLetters } },
    });
    return this;
  }

  /** Counts the functions publish, each alarming at one in its period. */
  monitorCounts(title: string, counts: readonly MonitoredCount[]): this {
    this.facade.monitorCustom({
      alarmFriendlyName: title.replace(/[^A-Za-z0-9]+/g, '-'),
      humanReadableName: title,
      metricGroups: counts.map((count) => ({
        title: count.title,
        metrics: [
          {
            metric: count.metric,
            alarmFriendlyName: count.name,
            addAlarm: {
              Critical: {
                threshold: 1,
                comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                ...AT_LEAST_ONE,
                alarmDescriptionOverride: count.description,
              },
            },
          },
        ],
      })),
    });
    return this;
  }

  /** Counts shown on the dashboard only. */
  showCounts(title: string, metrics: readonly cloudwatch.Metric[]): this {
    this.facade.monitorCustom({
      alarmFriendlyName: title.replace(/[^A-Za-z0-9]+/g, '-'),
      humanReadableName: title,
      metricGroups: [{ title, metrics: [...metrics] }],
    });
    return this;
  }
}

/** Adds the topic to every alarm of the stack that the facade did not make (those have it already). */
class NotifyTopic implements IAspect {
  private readonly action: SnsAction;

  constructor(
    topic: sns.ITopic,
    private readonly facade: Construct,
  ) {
    this.action = new SnsAction(topic);
  }

  visit(node: IConstruct): void {
    if (node instanceof cloudwatch.AlarmBase && !node.node.scopes.includes(this.facade)) node.addAlarmAction(this.action);
  }
}
