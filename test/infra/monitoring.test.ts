import { Duration } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { beforeAll, describe, expect, it } from 'vitest';
import { PostroomConfigSchema } from '../../functions/core/model/postroom-config.ts';
import { ReconcileEnvSchema } from '../../functions/runtime/reconcile-env.ts';
import { RECONCILE_SERVICE_NAME } from '../../lib/constructs/reconciliation.ts';
import { PostroomStack } from '../../lib/postroom-stack.ts';
import { exampleConfig, synthPostroom, synthWithNag } from './synth-postroom.ts';

type Resource = { Properties: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Principal?: unknown; Condition?: Record<string, Record<string, unknown>> };

const NO_BUNDLE = { 'aws:cdk:bundling-stacks': [] };
const EMAILS = ['oncall@example.com', 'ops-lead@example.com'];
const config = exampleConfig({ alarms: { emails: EMAILS } });
let template: Template;

beforeAll(() => {
  ({ template } = synthPostroom(config, { bundle: false }));
});

const resources = (type: string, from: Template = template): Record<string, Resource> => from.findResources(type) as Record<string, Resource>;
const idOf = (type: string, pattern: RegExp): string => {
  const ids = Object.keys(resources(type)).filter((id) => pattern.test(id));
  if (ids.length !== 1) throw new Error(`expected one ${type} matching ${pattern}, found ${ids.join(', ') || 'none'}`);
  return ids[0] as string;
};
const topicId = () => idOf('AWS::SNS::Topic', /^MonitoringAlarms/);
/** An alarm's properties with its metric inline, whether written so or as its one `MetricStat` (as cdk-monitoring-constructs writes it). */
const alarmProperties = (alarm: Resource): Record<string, unknown> => {
  const [first] = (alarm.Properties.Metrics as { MetricStat?: { Metric: Record<string, unknown>; Stat: string; Period: number } }[] | undefined) ?? [];
  const stat = first?.MetricStat;
  return stat ? { ...alarm.Properties, ...stat.Metric, Statistic: stat.Stat, Period: stat.Period } : alarm.Properties;
};
const alarms = (from: Template = template) => Object.values(resources('AWS::CloudWatch::Alarm', from)).map(alarmProperties);
const dimensionOf = (alarm: Record<string, unknown>, name: string): unknown =>
  (alarm.Dimensions as { Name: string; Value: unknown }[] | undefined)?.find((d) => d.Name === name)?.Value;
const reconcileFunction = () =>
  Object.entries(resources('AWS::Lambda::Function')).find(([, f]) => JSON.stringify(f.Properties.Environment ?? {}).includes(RECONCILE_SERVICE_NAME)) as [
    string,
    Resource,
  ];
const variables = () => (reconcileFunction()[1].Properties.Environment as { Variables: Record<string, string> }).Variables;
const reconcileStatements = (): Statement[] =>
  Object.values(resources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes('ReconciliationRunRole'))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
const actionsOf = (s: Statement): string[] => [s.Action].flat();

describe('alarm topic', () => {
  it('is encrypted with a rotating key of its own that only CloudWatch may use, and takes publishes over TLS only', () => {
    // Arrange
    const topic = resources('AWS::SNS::Topic')[topicId()]?.Properties;
    const keyId = (topic?.KmsMasterKeyId as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
    const key = resources('AWS::KMS::Key')[keyId]?.Properties as { EnableKeyRotation: boolean; KeyPolicy: { Statement: Statement[] } };
    const users = key.KeyPolicy.Statement.filter((s) => actionsOf(s).some((a) => /^kms:(Decrypt|GenerateDataKey)/.test(a)));
    // Assert
    expect(key.EnableKeyRotation).toBe(true);
    expect(users.map((s) => s.Principal)).toEqual([{ Service: 'cloudwatch.amazonaws.com' }]);
    const policy = Object.values(resources('AWS::SNS::TopicPolicy')).find((p) => JSON.stringify(p.Properties.Topics) === JSON.stringify([{ Ref: topicId() }]));
    expect(JSON.stringify(policy?.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
  });

  it('lets CloudWatch publish only for alarms of this account named by this stack', () => {
    // Arrange
    const policy = Object.values(resources('AWS::SNS::TopicPolicy')).find((p) => JSON.stringify(p.Properties.Topics) === JSON.stringify([{ Ref: topicId() }]));
    const statements = (policy?.Properties.PolicyDocument as { Statement: Statement[] }).Statement.filter((s) => s.Effect === 'Allow');
    // Assert
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({ Action: 'sns:Publish', Principal: { Service: 'cloudwatch.amazonaws.com' } });
    expect(statements[0]?.Condition?.StringEquals).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
    expect(JSON.stringify(statements[0]?.Condition?.ArnLike?.['aws:SourceArn'])).toContain(':alarm:Postroom-*');
  });

  it('subscribes each configured address by email, and none when the config names none', () => {
    // Arrange
    const emails = (from: Template) =>
      Object.values(resources('AWS::SNS::Subscription', from))
        .filter((s) => s.Properties.Protocol === 'email')
        .map((s) => ({ endpoint: s.Properties.Endpoint, topic: s.Properties.TopicArn }));
    // Act
    const { template: bare } = synthPostroom(exampleConfig({ alarms: { emails: [] } }), { bundle: false });
    // Assert
    expect(emails(template)).toEqual(EMAILS.map((endpoint) => ({ endpoint, topic: { Ref: topicId() } })));
    expect(emails(bare)).toEqual([]);
  });

  it('outputs the topic, for subscribing other endpoints (chat, paging)', () => {
    template.hasOutput('AlarmTopicArn', { Value: { Ref: topicId() } });
  });
});

describe('alarms', () => {
  it('every alarm of the stack notifies the topic, at the first breaching period', () => {
    // Arrange
    const all = alarms();
    // Assert
    expect(all.length).toBeGreaterThan(0);
    for (const alarm of all) {
      expect(alarm, String(alarm.AlarmName)).toMatchObject({
        AlarmActions: [{ Ref: topicId() }],
        ActionsEnabled: true,
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
      });
      expect(String(alarm.AlarmName)).toMatch(/^Postroom-/);
    }
  });

  it('alarms on the errors and on the throttles of every function', () => {
    // Arrange
    const functions = Object.entries(resources('AWS::Lambda::Function')).filter(([, f]) =>
      JSON.stringify(f.Properties.Environment ?? {}).includes('POWERTOOLS_SERVICE_NAME'),
    );
    // Assert
    // Inbound, outbound, feedback, sources, admin, reconciliation, retention's expiry, privacy, SLA check.
    expect(functions).toHaveLength(9);
    for (const [id] of functions) {
      for (const metric of ['Errors', 'Throttles']) {
        const on = alarms().filter((a) => a.MetricName === metric && JSON.stringify(dimensionOf(a, 'FunctionName')) === JSON.stringify({ Ref: id }));
        expect(on, `${metric} of ${id}`).toHaveLength(1);
        expect(on[0]).toMatchObject({
          Namespace: 'AWS/Lambda',
          Statistic: 'Sum',
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        });
      }
    }
  });

  it('alarms on the first message of every dead-letter queue and of the failed-mail destination, with what the message is', () => {
    // Arrange
    const queues = Object.values(resources('AWS::SQS::Queue'));
    const deadLetterIds = queues.flatMap((q) => {
      const target = (q.Properties.RedrivePolicy as { deadLetterTargetArn?: { 'Fn::GetAtt': [string] } } | undefined)?.deadLetterTargetArn;
      return target ? [target['Fn::GetAtt'][0]] : [];
    });
    // A stream's failed batches go to an on-failure destination (retention's expiry): a dead-letter queue too.
    const onFailureIds = Object.values(resources('AWS::Lambda::EventSourceMapping')).flatMap((m) => {
      const target = (m.Properties.DestinationConfig as { OnFailure?: { Destination?: { 'Fn::GetAtt': [string] } } } | undefined)?.OnFailure?.Destination;
      return target ? [target['Fn::GetAtt'][0]] : [];
    });
    expect(onFailureIds).toHaveLength(1);
    const watched = [...deadLetterIds, ...onFailureIds, idOf('AWS::SQS::Queue', /FailedMail/)];
    // Assert
    for (const id of watched) {
      const on = alarms().filter((a) => JSON.stringify(dimensionOf(a, 'QueueName')) === JSON.stringify({ 'Fn::GetAtt': [id, 'QueueName'] }));
      expect(on, id).toHaveLength(1);
      expect(on[0]).toMatchObject({
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Statistic: 'Maximum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
      expect(String(on[0]?.AlarmDescription).length).toBeGreaterThan(30);
    }
    // No alarm on a working queue's depth: busy is not broken.
    expect(alarms().filter((a) => a.Namespace === 'AWS/SQS')).toHaveLength(watched.length);
  });

  it('alarms on the counts the functions publish: failing sources and credentials, and the reconciliation’s findings and shortfalls', () => {
    // Arrange
    const expected = [
      { metric: 'SourceFailing', service: 'postroom-sources', statistic: 'Maximum', period: 300 },
      { metric: 'CredentialsFailing', service: 'postroom-outbound', statistic: 'Sum', period: 300 },
      { metric: 'ReconciledMails', service: RECONCILE_SERVICE_NAME, statistic: 'Sum', period: 900 },
      { metric: 'LostMails', service: RECONCILE_SERVICE_NAME, statistic: 'Sum', period: 900 },
      { metric: 'ReconciliationIncomplete', service: RECONCILE_SERVICE_NAME, statistic: 'Maximum', period: 900 },
    ];
    // Assert
    for (const { metric, service, statistic, period } of expected) {
      const on = alarms().filter((a) => a.MetricName === metric);
      expect(on, metric).toHaveLength(1);
      expect(on[0]).toMatchObject({
        Namespace: variables().POWERTOOLS_METRICS_NAMESPACE,
        Dimensions: [{ Name: 'service', Value: service }],
        Statistic: statistic,
        Period: period,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('routes an alarm made outside the monitoring construct to the topic too', () => {
    // Act
    const { template: extended } = synthWithNag((app) => {
      const stack = new PostroomStack(app, 'Postroom', { config });
      new cloudwatch.Metric({ namespace: 'Custom', metricName: 'Probe', period: Duration.minutes(5) }).createAlarm(stack, 'ProbeAlarm', {
        threshold: 1,
        evaluationPeriods: 1,
      });
      return stack;
    }, NO_BUNDLE);
    // Assert
    const probe = alarms(extended).find((a) => a.MetricName === 'Probe');
    expect(probe?.AlarmActions).toEqual([{ Ref: idOf('AWS::SNS::Topic', /^MonitoringAlarms/) }]);
  });
});

describe('dashboard', () => {
  it('is named after the stack and shows the functions, queues and the reconciliation', () => {
    // Arrange
    const [dashboard, ...others] = Object.values(resources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    // Assert
    expect(others).toEqual([]);
    expect(dashboard?.Properties.DashboardName).toBe('Postroom');
    for (const shown of ['Inbound', 'Reconciliation', 'Skill-support', 'FailedMail', 'ReconciledMails', 'LostMails', 'CheckedMails', 'SourceFailing']) {
      expect(body, shown).toContain(shown);
    }
  });
});

describe('reconciliation', () => {
  it('runs every 15 minutes, with no retries (the next run redoes a failed one)', () => {
    // Arrange
    const [fnId] = reconcileFunction();
    const rule = Object.values(resources('AWS::Events::Rule')).find((r) => JSON.stringify(r.Properties.Targets).includes(fnId));
    // Assert
    expect(rule?.Properties).toMatchObject({ ScheduleExpression: 'rate(15 minutes)', State: 'ENABLED' });
    expect((rule?.Properties.Targets as { RetryPolicy?: unknown }[])[0]?.RetryPolicy).toEqual({ MaximumRetryAttempts: 0 });
    const invoke = Object.values(resources('AWS::Lambda::EventInvokeConfig')).find((c) => JSON.stringify(c.Properties.FunctionName).includes(fnId));
    expect(invoke?.Properties).toMatchObject({ MaximumRetryAttempts: 0 });
  });

  it('looks two hours back, leaves the last ten minutes to their own invocations, and ends before the next run starts', () => {
    // Arrange
    const fn = reconcileFunction()[1].Properties;
    // Assert
    expect(Object.keys(variables())).toEqual(expect.arrayContaining(Object.keys(ReconcileEnvSchema.shape)));
    expect(variables()).toMatchObject({ RECONCILE_WINDOW_MINUTES: '120', RECONCILE_GRACE_MINUTES: '10', POWERTOOLS_SERVICE_NAME: RECONCILE_SERVICE_NAME });
    expect(fn.Timeout as number).toBeLessThan(15 * 60);
    expect(fn.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('may list the bucket under the raw-mail prefix only, read raw mail, and write no object but acknowledgement plans', () => {
    // Arrange
    const s3 = reconcileStatements().filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
    const list = s3.filter((s) => actionsOf(s).includes('s3:ListBucket'));
    const prefixOf = (resource: unknown): string => String(((resource as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join']?.[1] ?? []).at(-1));
    // Assert
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^MailStorageBucket/), 'Arn'] },
      Condition: { StringLike: { 's3:prefix': 'inbound/raw/*' } },
    });
    expect(s3.filter((s) => actionsOf(s).includes('s3:GetObject')).map((s) => prefixOf(s.Resource))).toEqual(['/inbound/raw/*']);
    expect(s3.filter((s) => actionsOf(s).includes('s3:PutObject')).map((s) => prefixOf(s.Resource))).toEqual(['/outbound/plans/*']);
    expect(s3.flatMap(actionsOf).filter((a) => /Delete/.test(a))).toEqual([]);
  });

  it('reads items of the table (no scan) and writes only the partitions inbound processing writes', () => {
    // Arrange
    const db = reconcileStatements().filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    const writes = db.filter((s) => actionsOf(s).some((a) => /Put|Update|Write|Delete/.test(a)));
    // Assert
    expect(db.flatMap(actionsOf)).not.toContain('dynamodb:Scan');
    expect(writes).toHaveLength(1);
    const leadingKeys = writes[0]?.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] as string[];
    expect(leadingKeys).toEqual(expect.arrayContaining(['INBOUND#*', 'CONV#*']));
    expect(leadingKeys.some((k) => k.startsWith('CHANNEL') || k.startsWith('SRC'))).toBe(false);
  });
});

describe('config alarms.emails', () => {
  const base = { domains: ['example.com'], skills: ['support'], channels: [{ id: 's', address: 'support@example.com', defaultSkill: 'support' }] };

  it('defaults to no address, and keeps addresses lowercase', () => {
    expect(PostroomConfigSchema.parse(base).alarms).toEqual({ emails: [] });
    expect(PostroomConfigSchema.parse({ ...base, alarms: { emails: ['OnCall@Example.com'] } }).alarms.emails).toEqual(['oncall@example.com']);
  });

  it('refuses what is not an address, and an address listed twice', () => {
    expect(PostroomConfigSchema.safeParse({ ...base, alarms: { emails: ['not an address'] } }).success).toBe(false);
    const twice = PostroomConfigSchema.safeParse({ ...base, alarms: { emails: ['a@example.com', 'A@example.com'] } });
    expect(twice.error?.issues.map((i) => i.message)).toEqual(['a@example.com is listed twice']);
  });
});
