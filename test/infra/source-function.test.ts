import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONTEXT_CHANNEL, CONTEXT_ENDPOINT, CONTEXT_PURPOSE } from '../../functions/adapters/outbound/encryption-sdk-secret-cipher.ts';
import { SourceEnvSchema } from '../../functions/runtime/source-env.ts';
import { SECRET_PURPOSES } from '../../lib/constructs/key-policy.ts';
import { MAX_ARCHIVE_BYTES } from '../../functions/adapters/s3-import-archives.ts';
import type { ChannelSettings } from '../../functions/core/model/channel.ts';
import type { ImportJob } from '../../functions/core/model/import-job.ts';
import { createImportJob, type ImportJobDeps } from '../../functions/core/sources/import-job.ts';
import { DEFAULT_POLL_CONCURRENCY, POLL_MAX_RECEIVES } from '../../lib/constructs/mailbox-sources.ts';
import { IMPORT_ARCHIVE_DAYS, IMPORT_ARCHIVE_PREFIX } from '../../lib/constructs/mail-storage.ts';
import { POSTROOM_RUNTIME } from '../../lib/constructs/postroom-function.ts';
import { exampleConfig, synthPostroom, type NagReport } from './synth-postroom.ts';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Principal?: unknown; Condition?: Record<string, Record<string, unknown>> };
type Resource = { Type: string; Properties: Record<string, unknown> };

const config = exampleConfig({ outbound: { allowedPrivateCidrs: ['10.20.0.0/16'] } } as never);
let template: Template;
let nag: NagReport;

beforeAll(() => {
  ({ template, nag } = synthPostroom(config, { bundle: false }));
});

const resources = (type: string): Record<string, Resource> => template.findResources(type) as Record<string, Resource>;
const idOf = (type: string, fragment: string): string => {
  const ids = Object.keys(resources(type)).filter((id) => id.includes(fragment));
  if (ids.length !== 1) throw new Error(`expected one ${type} with ${fragment}, found ${ids.join(', ') || 'none'}`);
  return ids[0] as string;
};
const fnId = () => idOf('AWS::Lambda::Function', 'SourcesPoll');
const fn = () => resources('AWS::Lambda::Function')[fnId()]?.Properties as Record<string, unknown>;
const variables = () => (fn().Environment as { Variables: Record<string, unknown> }).Variables;
const pollQueueId = () => idOf('AWS::SQS::Queue', 'SourcesPollQueue');
const deadLetterId = () => idOf('AWS::SQS::Queue', 'SourcesPollDeadLetterQueue');
const actionsOf = (s: Statement): string[] => [s.Action].flat();
const roleStatements = (): Statement[] =>
  Object.values(resources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes('SourcesPollRole'))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
const keyStatements = (fragment: string): Statement[] =>
  (resources('AWS::KMS::Key')[idOf('AWS::KMS::Key', fragment)]?.Properties.KeyPolicy as { Statement: Statement[] }).Statement;
const namesRole = (s: Statement): boolean => JSON.stringify(s.Principal ?? '').includes('SourcesPollRole');
/** An alarm's properties with its metric inline, whether written so or as its one `MetricStat` (as cdk-monitoring-constructs writes it). */
const alarmProperties = (alarm: Resource): Record<string, unknown> => {
  const [first] = (alarm.Properties.Metrics as { MetricStat?: { Metric: Record<string, unknown>; Stat: string; Period: number } }[] | undefined) ?? [];
  const stat = first?.MetricStat;
  return stat ? { ...alarm.Properties, ...stat.Metric, Statistic: stat.Stat, Period: stat.Period } : alarm.Properties;
};

describe('mailbox function', () => {
  it('runs source-poll on the Node runtime of the other functions, ARM64, traced, with its own log group', () => {
    // Assert
    expect(POSTROOM_RUNTIME.name).toBe('nodejs24.x');
    expect(fn()).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' }, Handler: 'index.handler' });
    const group = (fn().LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    expect(resources('AWS::Logs::LogGroup')[group]?.Properties.RetentionInDays).toBe(config.retention.logDays);
  });

  it('has five minutes (a poll is bounded by time) and the memory to parse a 40 MB message, and no reserved concurrency', () => {
    expect(fn()).toMatchObject({ Timeout: 300, MemorySize: 1024 });
    expect(fn().ReservedConcurrentExecutions).toBeUndefined();
  });

  it('has a /tmp that holds the largest archive an import uploads (10 GiB, Lambda’s most)', () => {
    const size = (fn().EphemeralStorage as { Size: number }).Size;
    expect(size).toBe(10240);
    expect(size * 1024 ** 2).toBeGreaterThan(MAX_ARCHIVE_BYTES);
  });

  it('gets exactly the variables its env schema reads, from the stack’s resources and the deploy config', () => {
    // Arrange
    const vars = variables();
    // Assert
    expect(
      Object.keys(vars)
        .filter((k) => k !== 'NODE_OPTIONS')
        .sort(),
    ).toEqual(Object.keys(SourceEnvSchema.shape).sort());
    expect(vars).toMatchObject({
      POLL_QUEUE_URL: { Ref: pollQueueId() },
      CREDENTIALS_KEY_ARN: { 'Fn::GetAtt': [idOf('AWS::KMS::Key', 'CredentialsKey'), 'Arn'] },
      OUTBOUND_QUEUE_URL: { Ref: idOf('AWS::SQS::Queue', 'OutboundQueue') },
      TABLE_NAME: { Ref: idOf('AWS::DynamoDB::Table', 'TablesTable') },
      ALLOWED_PRIVATE_CIDRS: '10.20.0.0/16',
      SKILL_QUEUE_PREFIX: 'postroom-skill-',
      POWERTOOLS_SERVICE_NAME: 'postroom-sources',
      POWERTOOLS_METRICS_NAMESPACE: 'Postroom',
      // The admin API's endpoint, where its webhook route takes Graph's change notifications.
      NOTIFICATION_BASE_URL: { 'Fn::GetAtt': [idOf('AWS::ApiGatewayV2::Api', 'AdminApi'), 'ApiEndpoint'] },
    });
    expect(Number(vars.LEASE_SECONDS)).toBeGreaterThan(fn().Timeout as number);
    expect(Number(vars.LEASE_SECONDS)).toBeLessThan((fn().Timeout as number) + 60);
    // The env schema accepts what the stack sets (tokens stood in for by plausible values).
    const concrete = {
      ...vars,
      NOTIFICATION_BASE_URL: 'https://abc123.execute-api.eu-west-1.amazonaws.com',
      TABLE_NAME: 't',
      MAIL_BUCKET: 'b',
      POLL_QUEUE_URL: 'https://sqs.example/1/p.fifo',
      OUTBOUND_QUEUE_URL: 'https://sqs.example/1/o.fifo',
      CREDENTIALS_KEY_ARN: 'arn:k',
      SKILL_QUEUE_URLS: '{}',
    };
    expect(SourceEnvSchema.safeParse(concrete).success).toBe(true);
  });
});

describe('dispatch schedule', () => {
  it('invokes the function every minute, with no retries: the next tick dispatches again', () => {
    // Arrange
    const rules = Object.values(resources('AWS::Events::Rule')).filter((r) => JSON.stringify(r.Properties.Targets).includes(fnId()));
    // Assert
    expect(rules).toHaveLength(1);
    expect(rules[0]?.Properties).toMatchObject({
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [{ Arn: { 'Fn::GetAtt': [fnId(), 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0 } }],
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { FunctionName: { Ref: fnId() }, MaximumRetryAttempts: 0 });
  });

  it('lets EventBridge invoke the function for this rule only', () => {
    const permissions = Object.values(resources('AWS::Lambda::Permission')).filter(
      (p) => p.Properties.Principal === 'events.amazonaws.com' && JSON.stringify(p.Properties.FunctionName).includes(fnId()),
    );
    expect(permissions).toHaveLength(1);
    expect(permissions[0]?.Properties).toMatchObject({
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [fnId(), 'Arn'] },
      SourceArn: { 'Fn::GetAtt': [idOf('AWS::Events::Rule', 'SourcesDispatch'), 'Arn'] },
    });
  });
});

describe('poll queue', () => {
  it('is FIFO with explicit deduplication ids, encrypted, and hides a message six function timeouts', () => {
    // Arrange
    const queue = resources('AWS::SQS::Queue')[pollQueueId()]?.Properties;
    // Assert
    expect(queue).toMatchObject({ FifoQueue: true, ContentBasedDeduplication: false, DeduplicationScope: 'messageGroup', SqsManagedSseEnabled: true });
    expect(queue?.VisibilityTimeout).toBeGreaterThanOrEqual(6 * (fn().Timeout as number));
  });

  it('moves a poll that failed every receive to a FIFO dead-letter queue, alarmed', () => {
    // Arrange
    const queue = resources('AWS::SQS::Queue')[pollQueueId()]?.Properties;
    // Assert
    expect(queue?.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [deadLetterId(), 'Arn'] }, maxReceiveCount: POLL_MAX_RECEIVES });
    expect(resources('AWS::SQS::Queue')[deadLetterId()]?.Properties).toMatchObject({ FifoQueue: true, SqsManagedSseEnabled: true });
    // Enough time for the receives to happen before the message expires.
    expect(queue?.MessageRetentionPeriod).toBeGreaterThan(POLL_MAX_RECEIVES * (queue?.VisibilityTimeout as number));
    const depth = Object.values(resources('AWS::CloudWatch::Alarm'))
      .map(alarmProperties)
      .filter((a) => JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [deadLetterId(), 'QueueName'] } }]));
    expect(depth).toHaveLength(1);
    expect(depth[0]).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('denies requests without TLS on both queues', () => {
    for (const id of [pollQueueId(), deadLetterId()]) {
      const policy = Object.values(resources('AWS::SQS::QueuePolicy')).find((p) => JSON.stringify(p.Properties.Queues) === JSON.stringify([{ Ref: id }]));
      expect(JSON.stringify(policy?.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('feeds the function one mailbox per invocation, at most DEFAULT_POLL_CONCURRENCY at once', () => {
    // Arrange
    const mappings = Object.values(resources('AWS::Lambda::EventSourceMapping')).filter(
      (m) => JSON.stringify(m.Properties.FunctionName) === JSON.stringify({ Ref: fnId() }),
    );
    // Assert
    expect(mappings).toHaveLength(1);
    expect(mappings[0]?.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [pollQueueId(), 'Arn'] },
      BatchSize: 1,
      ScalingConfig: { MaximumConcurrency: DEFAULT_POLL_CONCURRENCY },
    });
  });
});

describe('alarms', () => {
  const alarmOn = (metricName: string) =>
    Object.values(resources('AWS::CloudWatch::Alarm'))
      .map(alarmProperties)
      .filter((a) => a.MetricName === metricName);

  it('alarms on a failing source: SourceFailing under the function’s namespace and Powertools service dimension, maximum ≥ 1 over five minutes', () => {
    // Arrange
    const [alarm, ...others] = alarmOn('SourceFailing');
    // Assert
    expect(others).toEqual([]);
    expect(alarm).toMatchObject({
      Namespace: variables().POWERTOOLS_METRICS_NAMESPACE,
      Dimensions: [{ Name: 'service', Value: variables().POWERTOOLS_SERVICE_NAME }],
      Statistic: 'Maximum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms on the function’s errors and throttles', () => {
    for (const metric of ['Errors', 'Throttles']) {
      const alarms = alarmOn(metric).filter((a) => JSON.stringify(a.Dimensions).includes(fnId()));
      expect(alarms, metric).toHaveLength(1);
      expect(alarms[0]).toMatchObject({ Namespace: 'AWS/Lambda', Statistic: 'Sum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    }
  });
});

describe('grants', () => {
  const S3_WRITE = /^s3:(Put|Delete|Restore|Abort|Replicate|Create|Bypass)/;
  const prefixOf = (resource: unknown): string => {
    const parts = (resource as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join']?.[1] ?? [];
    return String(parts.at(-1));
  };

  it('writes S3 objects only under the raw-mail prefix (what it fetches) and the plan prefix (acknowledgements), reads import archives, and deletes none', () => {
    // Arrange
    const s3 = roleStatements().filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
    const writes = s3.filter((s) => actionsOf(s).some((a) => S3_WRITE.test(a)));
    const archives = s3.filter((s) => [s.Resource].flat().map(prefixOf).includes(`/${IMPORT_ARCHIVE_PREFIX}*`));
    // Assert
    expect(
      writes
        .flatMap((s) => [s.Resource].flat())
        .map(prefixOf)
        .sort(),
    ).toEqual(['/inbound/raw/*', '/outbound/plans/*']);
    expect(writes.flatMap(actionsOf).filter((a) => S3_WRITE.test(a))).toEqual(['s3:PutObject', 's3:PutObject']);
    expect(
      s3
        .flatMap((s) => [s.Resource].flat())
        .map(prefixOf)
        .sort(),
    ).toEqual(['/imports/*', '/inbound/raw/*', '/outbound/plans/*']);
    expect(archives).toHaveLength(1);
    expect(actionsOf(archives[0] as Statement)).toEqual(['s3:GetObject']);
    expect([archives[0]?.Resource].flat()).toHaveLength(1);
  });

  it('reads archives under the prefix import jobs store them at, which the bucket expires', async () => {
    // Arrange
    let stored: ImportJob | undefined;
    const deps: ImportJobDeps = {
      jobs: {
        get: async () => null,
        put: async (job: ImportJob) => {
          stored = job;
          return true;
        },
      },
      archives: {
        uploadForm: async () => ({ url: 'https://b', fields: {}, expiresIn: 3600, maxBytes: MAX_ARCHIVE_BYTES }),
        exists: async () => false,
        localCopy: async () => {
          throw new Error('unused');
        },
      },
      ids: { next: () => 'import-1' },
      now: () => new Date('2026-01-01T00:00:00Z'),
    };
    // Act
    await createImportJob(deps, { id: 'support' } as ChannelSettings, 'ops-admin');
    // Assert
    expect(stored?.objectKey.startsWith(IMPORT_ARCHIVE_PREFIX)).toBe(true);
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([{ Id: 'import-archives', Prefix: IMPORT_ARCHIVE_PREFIX, ExpirationInDays: IMPORT_ARCHIVE_DAYS, Status: 'Enabled' }]),
      },
    });
  });

  it('reads items of the table and writes only inbound, feedback, acknowledgement, source and import partitions, and the credentials', () => {
    // Arrange
    const dynamo = roleStatements().filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    const writes = dynamo.filter((s) => actionsOf(s).includes('dynamodb:PutItem'));
    const leadingKeys = writes[0]?.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] as string[];
    // Assert
    expect(dynamo.flatMap(actionsOf).sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    expect(writes).toHaveLength(1);
    expect(leadingKeys).toEqual(
      expect.arrayContaining(['SOURCE#*', 'SRCKEY#*', 'SRCHASH#*', 'CREDENTIAL#*', 'IMPORT#*', 'INBOUND#*', 'CONV#*', 'MSGID#*', 'ACK#*']),
    );
    expect(leadingKeys.filter((k) => /^(CHANNEL|SKILL|AGENT|AUDIT|OUTBOUND)/.test(k))).toEqual([]);
  });

  it('sends to the poll queue, the skill queues and the outbound queue', () => {
    // Arrange
    const send = roleStatements()
      .filter((s) => actionsOf(s).includes('sqs:SendMessage'))
      .flatMap((s) => [s.Resource].flat());
    // Assert
    const queue = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
    expect(send).toEqual(
      expect.arrayContaining([
        queue(pollQueueId()),
        queue(idOf('AWS::SQS::Queue', 'OutboundQueue')),
        ...config.skills.map((s) => queue(idOf('AWS::SQS::Queue', `Skill${s.name.replace(/-/g, '')}Queue`))),
      ]),
    );
    expect(JSON.stringify(send)).not.toMatch(/DeadLetter|FailedMail|Feedback/);
  });

  it('uses the credentials key only for channel-bound ciphertexts, and the mail key only through S3', () => {
    // Arrange
    const credentials = keyStatements('CredentialsKey').filter(namesRole);
    const mail = keyStatements('MailStorageKey').filter(namesRole);
    // Assert
    expect(credentials).toHaveLength(1);
    expect(actionsOf(credentials[0] as Statement).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(credentials[0]?.Condition).toEqual({
      StringLike: { [`kms:EncryptionContext:${CONTEXT_CHANNEL}`]: '?*', [`kms:EncryptionContext:${CONTEXT_ENDPOINT}`]: '?*' },
      StringEquals: { [`kms:EncryptionContext:${CONTEXT_PURPOSE}`]: SECRET_PURPOSES },
      'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': [CONTEXT_CHANNEL, CONTEXT_PURPOSE, CONTEXT_ENDPOINT, 'aws-crypto-public-key'] },
    });
    expect(mail).toHaveLength(1);
    expect(actionsOf(mail[0] as Statement).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(JSON.stringify(mail[0]?.Condition?.StringEquals?.['kms:ViaService'])).toContain('"s3."');
    expect(
      roleStatements()
        .flatMap(actionsOf)
        .filter((a) => a.startsWith('kms:')),
    ).toEqual([]);
  });
});

describe('cdk-nag', () => {
  it('reports nothing unacknowledged on the mailbox function’s resources', () => {
    expect(nag.violations.filter((v) => v.violatingConstructs.some((c) => c.constructPath.includes('/Sources/')))).toEqual([]);
  });

  it('acknowledges only the prefixes and the X-Ray wildcard on its role', () => {
    // Arrange
    const onSources = nag.suppressedViolations.filter((v) => v.violatingConstructs.some((c) => c.constructPath.includes('/Sources/')));
    // Assert
    expect([...new Set(onSources.map((v) => v.ruleName))].sort()).toEqual([
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::<MailStorageBucketF6CFF9AD.Arn>/imports/*]',
      'AwsSolutions-IAM5[Resource::<MailStorageBucketF6CFF9AD.Arn>/inbound/raw/*]',
      'AwsSolutions-IAM5[Resource::<MailStorageBucketF6CFF9AD.Arn>/outbound/plans/*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sqs:<AWS::Region>:<AWS::AccountId>:postroom-skill-*]',
    ]);
  });
});
