import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTableInput } from '../../functions/adapters/dynamo-schema.ts';
import { FEEDBACK_WRITE_KEY_PREFIXES } from '../../functions/adapters/dynamo-schema.ts';
import { FeedbackEnvSchema, InboundEnvSchema } from '../../functions/runtime/env.ts';
import { exampleConfig, synthPostroom } from './synth-postroom.ts';

// One synthesis (with esbuild bundling) shared by every test in this file.
let template: Template;
const config = exampleConfig();

beforeAll(() => {
  template = synthPostroom(config).template;
});

function resourcesOf(type: string): Record<string, { Properties: Record<string, unknown>; DeletionPolicy?: string }> {
  return template.findResources(type) as never;
}

type AlarmMetric = { Namespace?: string; MetricName?: string; Dimensions?: unknown };
/** The metric an alarm watches, whether written inline or as its one `MetricStat` (as cdk-monitoring-constructs writes it). */
function alarmMetric(alarm: { Properties: Record<string, unknown> }): AlarmMetric {
  const stat = (alarm.Properties.Metrics as { MetricStat?: { Metric: AlarmMetric } }[] | undefined)?.[0]?.MetricStat?.Metric;
  return stat ?? (alarm.Properties as AlarmMetric);
}

describe('mail storage', () => {
  it('encrypts the mail bucket with the rotating customer key, bucket key on', () => {
    // Arrange
    const [keyId] = Object.keys(resourcesOf('AWS::KMS::Key'));
    // Assert
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] } }, BucketKeyEnabled: true },
        ],
      },
    });
  });

  it('expires reply uploads by age but no mail by a rule (mail goes with its records: retention), and logs access to the log bucket', () => {
    // Arrange
    const mail = Object.values(resourcesOf('AWS::S3::Bucket')).find(
      (b) => (b.Properties.LoggingConfiguration as { LogFilePrefix?: string } | undefined)?.LogFilePrefix === 'mail/',
    );
    const rules = (mail?.Properties.LifecycleConfiguration as { Rules: { Prefix?: string; ExpirationInDays?: number }[] }).Rules;
    // Assert
    expect(rules.filter((r) => r.ExpirationInDays !== undefined).map((r) => [r.Prefix, r.ExpirationInDays])).toEqual(
      expect.arrayContaining([['outbound/uploads/', config.retention.uploadDays]]),
    );
    expect(rules.filter((r) => r.ExpirationInDays !== undefined && (r.Prefix ?? '') === '')).toEqual([]);
    template.hasResourceProperties('AWS::S3::Bucket', { LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'mail/' } });
  });

  it('lets SES put raw mail only under the prefix, only for this account and this rule set', () => {
    // Arrange
    const [ruleSetId] = Object.keys(resourcesOf('AWS::SES::ReceiptRuleSet'));
    const sesStatements = Object.values(resourcesOf('AWS::S3::BucketPolicy'))
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: { Principal?: { Service?: string } }[] }).Statement)
      .filter((s) => s.Principal?.Service === 'ses.amazonaws.com');
    // Assert: exactly one statement for SES, so no broader one sits beside it
    expect(sesStatements).toHaveLength(1);
    expect(sesStatements[0]).toMatchObject({
      Action: 's3:PutObject',
      Condition: {
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', expect.arrayContaining([':receipt-rule-set/', { Ref: ruleSetId }, ':receipt-rule/*'])] } },
      },
      Resource: { 'Fn::Join': ['', [expect.anything(), '/inbound/raw/*']] },
    });
  });

  it('lets SES use the key for the bucket default encryption, only for this account and this rule set', () => {
    const [ruleSetId] = Object.keys(resourcesOf('AWS::SES::ReceiptRuleSet'));
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'ses.amazonaws.com' },
            Action: Match.arrayWith(['kms:GenerateDataKey']),
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', Match.arrayWith([':receipt-rule-set/', { Ref: ruleSetId }, ':receipt-rule/*'])] } },
            },
          }),
        ]),
      },
    });
  });

  it('retains the bucket and key when the stack is deleted', () => {
    for (const type of ['AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::DynamoDB::Table']) {
      for (const resource of Object.values(resourcesOf(type))) expect(resource.DeletionPolicy).toBe('Retain');
    }
  });
});

describe('table', () => {
  it('is on demand with point-in-time recovery and encryption, keyed as the shared schema says', () => {
    // Arrange
    const wanted = createTableInput('unused');
    // Assert
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      KeySchema: wanted.KeySchema,
      AttributeDefinitions: Match.arrayWith(wanted.AttributeDefinitions ?? []),
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: wanted.GlobalSecondaryIndexes?.[0]?.IndexName,
          KeySchema: wanted.GlobalSecondaryIndexes?.[0]?.KeySchema,
          Projection: { ProjectionType: 'ALL' },
        }),
        Match.objectLike({
          IndexName: wanted.GlobalSecondaryIndexes?.[1]?.IndexName,
          KeySchema: wanted.GlobalSecondaryIndexes?.[1]?.KeySchema,
          Projection: wanted.GlobalSecondaryIndexes?.[1]?.Projection,
        }),
      ],
    });
  });
});

describe('skill queues', () => {
  it('has one FIFO queue per skill (and the outbound and poll queues) with explicit deduplication and a FIFO dead-letter queue', () => {
    // Arrange
    const queues = Object.values(resourcesOf('AWS::SQS::Queue'));
    // The feedback queue is a standard one: SNS delivers to standard queues.
    const skillQueues = queues.filter((q) => q.Properties.RedrivePolicy !== undefined && q.Properties.FifoQueue === true);
    // Assert
    expect(skillQueues).toHaveLength(config.skills.length + 2);
    for (const q of skillQueues) {
      expect(q.Properties).toMatchObject({
        FifoQueue: true,
        ContentBasedDeduplication: false,
        DeduplicationScope: 'messageGroup',
        FifoThroughputLimit: 'perMessageGroupId',
        SqsManagedSseEnabled: true,
      });
      const dlqId = (q.Properties.RedrivePolicy as { deadLetterTargetArn: { 'Fn::GetAtt': [string] } }).deadLetterTargetArn['Fn::GetAtt'][0];
      expect(resourcesOf('AWS::SQS::Queue')[dlqId]?.Properties).toMatchObject({ FifoQueue: true });
    }
  });

  it("alarms on the depth of every dead-letter queue (the skills', the outbound, the feedback, the poll and the privacy one) and of the failed-mail and expiry queues", () => {
    // Arrange
    const alarms = Object.values(resourcesOf('AWS::CloudWatch::Alarm')).filter((a) => alarmMetric(a).Namespace === 'AWS/SQS');
    const topicId = Object.keys(resourcesOf('AWS::SNS::Topic')).find((id) => id.startsWith('MonitoringAlarms'));
    const queues = Object.values(resourcesOf('AWS::SQS::Queue'));
    const deadLetterTargets = new Set(
      queues.flatMap((q) => {
        const target = (q.Properties.RedrivePolicy as { deadLetterTargetArn?: { 'Fn::GetAtt': [string] } } | undefined)?.deadLetterTargetArn;
        return target ? [target['Fn::GetAtt'][0]] : [];
      }),
    );
    // Assert
    // The failed-mail queue and the expiry stream's on-failure queue are dead-letter queues no redrive names.
    // Outbound, feedback, poll and privacy dead-letter queues, the failed-mail and expiry queues.
    expect(alarms).toHaveLength(config.skills.length + 6);
    expect(alarms).toHaveLength(deadLetterTargets.size + 2);
    for (const alarm of alarms) {
      expect(alarmMetric(alarm)).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Namespace: 'AWS/SQS' });
      expect(alarm.Properties).toMatchObject({
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        AlarmActions: [{ Ref: topicId }],
      });
    }
  });
});

describe('receiving', () => {
  it('has one rule per channel for exactly its address and aliases: S3 (prefix) then Lambda (Event)', () => {
    // Arrange
    const rules = Object.values(resourcesOf('AWS::SES::ReceiptRule')).map((r) => r.Properties.Rule as Record<string, unknown>);
    // Assert
    expect(rules.map((r) => r.Recipients)).toEqual(config.channels.map((c) => [c.address, ...c.aliases]));
    for (const rule of rules) {
      const actions = rule.Actions as Record<string, Record<string, unknown>>[];
      expect(actions.map((a) => Object.keys(a)[0])).toEqual(['S3Action', 'LambdaAction']);
      expect(actions[0]?.S3Action).toMatchObject({ ObjectKeyPrefix: 'inbound/raw/' });
      expect(actions[1]?.LambdaAction).toMatchObject({ InvocationType: 'Event' });
      expect(rule).toMatchObject({ Enabled: true, ScanEnabled: true, TlsPolicy: 'Require' });
    }
  });

  it('has no rule matching a whole domain, so unknown recipients are rejected', () => {
    const recipients = Object.values(resourcesOf('AWS::SES::ReceiptRule')).flatMap((r) => (r.Properties.Rule as { Recipients: string[] }).Recipients);
    expect(recipients.every((r) => r.includes('@'))).toBe(true);
  });

  it('lets SES invoke the inbound function from this account and the rules of this rule set only', () => {
    const [ruleSetId] = Object.keys(resourcesOf('AWS::SES::ReceiptRuleSet'));
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'ses.amazonaws.com',
      SourceAccount: { Ref: 'AWS::AccountId' },
      SourceArn: { 'Fn::Join': ['', Match.arrayWith([':receipt-rule-set/', { Ref: ruleSetId }, ':receipt-rule/*'])] },
    });
  });

  it('turns scanning and required TLS off when the config says so', () => {
    // Arrange
    const variant = exampleConfig({ receiving: { scanEnabled: false, requireTls: false } });
    // Act
    const { template: off } = synthPostroom(variant, { bundle: false });
    // Assert
    const rules = Object.values(off.findResources('AWS::SES::ReceiptRule')).map((r) => (r as { Properties: { Rule: unknown } }).Properties.Rule);
    expect(rules).toHaveLength(variant.channels.length);
    for (const rule of rules) expect(rule).toMatchObject({ ScanEnabled: false, TlsPolicy: 'Optional' });
  });

  it('outputs the rule set name to activate', () => {
    template.hasOutput('RuleSetName', { Value: { Ref: Match.anyValue() } });
  });
});

describe('inbound function', () => {
  const inbound = () =>
    Object.values(resourcesOf('AWS::Lambda::Function')).find(
      (f) =>
        f.Properties.Handler === 'index.handler' &&
        (f.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.SKILL_QUEUE_URLS,
    );

  it('runs on the newest Node runtime of aws-cdk-lib, ARM64, with active tracing', () => {
    // Arrange
    const newest = Object.keys(lambda.Runtime)
      .map((k) => /^NODEJS_(\d+)_X$/.exec(k)?.[1])
      .filter((v): v is string => v !== undefined)
      .map(Number)
      .sort((a, b) => b - a)[0];
    // Assert
    expect(inbound()?.Properties).toMatchObject({
      Runtime: `nodejs${newest}.x`,
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
    });
  });

  it('leases an attempt for the timeout plus a small margin, so a crashed attempt’s retry a minute later is not busy', () => {
    const { Timeout, Environment } = inbound()?.Properties as { Timeout: number; Environment: { Variables: Record<string, string> } };
    const lease = Number(Environment.Variables.LEASE_SECONDS);
    expect(lease).toBeGreaterThan(Timeout);
    expect(lease).toBeLessThan(Timeout + 60);
  });

  it('gets every variable its env schema requires', () => {
    const variables = (inbound()?.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(Object.keys(variables)).toEqual(expect.arrayContaining(Object.keys(InboundEnvSchema.shape)));
  });

  it('retries async invocations twice, then sends the event to the failed-mail queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('FailedMail'), 'Arn'] } } },
    });
  });

  it('may read only raw mail objects and items of the table (no scan, no index, no delete)', () => {
    // Arrange
    const statements = Object.values(resourcesOf('AWS::IAM::Policy')).flatMap(
      (p) =>
        (p.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, string[]>> }[] })
          .Statement,
    );
    const actions = statements.flatMap((s) => [s.Action].flat());
    // The privacy function alone reads the whole table: there is no index by address.
    const scanners = Object.values(resourcesOf('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.PolicyDocument).includes('"dynamodb:Scan"'))
      .map((p) => JSON.stringify(p.Properties.Roles));
    // Assert
    expect(scanners).toHaveLength(1);
    expect(scanners[0]).toContain('PrivacyJobRole');
    expect(actions.filter((a) => a.endsWith('*'))).toEqual([]);
    // The inbound function's own: the mailbox function writes the same partitions and its own.
    const inboundWrites = Object.values(resourcesOf('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('InboundProcess'))
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: typeof statements }).Statement)
      .filter((s) => [s.Action].flat().some((a) => a === 'dynamodb:PutItem' || a === 'dynamodb:UpdateItem'));
    expect(inboundWrites).toHaveLength(1);
    const leadingKeys = inboundWrites[0]?.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
    expect(leadingKeys).toEqual(expect.arrayContaining(['CONV#*', 'MSGID#*', 'INBOUND#*', 'TICKET#*', 'COUNTER#*']));
    expect(leadingKeys?.some((k) => k.startsWith('CHANNEL'))).toBe(false);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [Match.anyValue(), '/inbound/raw/*']] } })]),
      },
    });
  });
});

describe('channel seed', () => {
  it('writes each configured channel, skill and user into the table', () => {
    // Arrange
    const seeds = Object.values(resourcesOf('Custom::AWS'));
    const create = JSON.stringify(seeds.map((s) => s.Properties.Create));
    // Assert
    expect(config.users.length).toBeGreaterThan(0);
    expect(seeds).toHaveLength(config.channels.length + config.skills.length + config.users.length);
    for (const channel of config.channels) expect(create).toContain(channel.address);
    for (const user of config.users) expect(create).toContain(`\\"sk\\":{\\"S\\":\\"${user.id}\\"}`);
  });
});

describe('outbound pipeline', () => {
  type Statement = { Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };
  const outbound = () =>
    Object.values(resourcesOf('AWS::Lambda::Function')).find(
      (f) => (f.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.OUTBOUND_QUEUE_URL,
    );
  const statementsOf = (fragment: string): Statement[] =>
    Object.values(resourcesOf('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(fragment))
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);

  it('feeds the outbound function from a FIFO queue with partial batch responses, and gives it every variable its schema requires', () => {
    // Arrange
    const variables = (outbound()?.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    // Assert
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionResponseTypes: ['ReportBatchItemFailures'], BatchSize: 10 });
    expect(Object.keys(variables)).toEqual(
      expect.arrayContaining(['TABLE_NAME', 'MAIL_BUCKET', 'OUTBOUND_QUEUE_URL', 'CREDENTIALS_KEY_ARN', 'SES_CONFIGURATION_SET', 'LEASE_SECONDS']),
    );
    expect(variables).not.toHaveProperty('ALLOW_LOOPBACK_HOSTS');
    expect(variables).not.toHaveProperty('CREDENTIALS_KEY_FILE');
  });

  it('has a rotating key for credentials and an SES configuration set that requires TLS', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true, Description: Match.stringLikeRegexp('credentials') });
    template.hasResourceProperties('AWS::SES::ConfigurationSet', { DeliveryOptions: { TlsPolicy: 'REQUIRE' } });
  });

  it('may send only as the channel domains with the configuration set, and decrypt only channel-bound credentials', () => {
    // Arrange
    const statements = statementsOf('OutboundSend');
    const send = statements.find((s) => [s.Action].flat().includes('ses:SendRawEmail'));
    const [keyId] = Object.keys(resourcesOf('AWS::KMS::Key')).filter((id) => id.includes('CredentialsKey'));
    const keyPolicy = (resourcesOf('AWS::KMS::Key')[keyId ?? '']?.Properties.KeyPolicy as { Statement: (Statement & { Principal: unknown })[] }).Statement;
    const kms = keyPolicy.find((s) => [s.Action].flat().includes('kms:Decrypt') && JSON.stringify(s.Principal).includes('OutboundSendRole'));
    // Assert
    expect(JSON.stringify(send?.Resource)).toContain(':identity/');
    expect(JSON.stringify(send?.Resource)).toContain(':configuration-set/');
    expect(JSON.stringify(send?.Resource)).not.toContain('"*"');
    expect(kms?.Condition?.StringLike).toMatchObject({ 'kms:EncryptionContext:postroom:channel': '?*' });
    const writes = statements.find((s) => [s.Action].flat().includes('dynamodb:PutItem'));
    expect(writes?.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']).toEqual(expect.arrayContaining(['OUTBOUND#*', 'CONV#*']));
    expect(JSON.stringify(writes?.Condition)).not.toContain('CHANNEL');
  });
});

describe('feedback pipeline', () => {
  type Statement = { Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };
  const feedback = () =>
    Object.values(resourcesOf('AWS::Lambda::Function')).find(
      (f) => (f.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.POWERTOOLS_SERVICE_NAME === 'postroom-feedback',
    );
  const logicalId = (type: string, fragment: string): string => Object.keys(resourcesOf(type)).find((id) => id.includes(fragment)) ?? '';

  it('publishes every delivery event of the configuration set to an encrypted, TLS-only topic', () => {
    // Arrange
    const [destination] = Object.values(resourcesOf('AWS::SES::ConfigurationSetEventDestination'));
    const spec = destination?.Properties.EventDestination as { MatchingEventTypes: string[]; SnsDestination: { TopicARN: { Ref: string } }; Enabled: boolean };
    const topicId = logicalId('AWS::SNS::Topic', 'FeedbackEvents');
    // Assert
    expect([...spec.MatchingEventTypes].sort()).toEqual(['bounce', 'complaint', 'delivery', 'deliveryDelay', 'reject', 'renderingFailure']);
    expect(spec.Enabled).toBe(true);
    expect(spec.SnsDestination.TopicARN).toEqual({ Ref: topicId });
    expect(destination?.Properties.ConfigurationSetName).toEqual({ Ref: logicalId('AWS::SES::ConfigurationSet', 'Outbound') });
    expect(resourcesOf('AWS::SNS::Topic')[topicId]?.Properties.KmsMasterKeyId).toBeDefined();
    expect(JSON.stringify(resourcesOf('AWS::SNS::TopicPolicy'))).toContain('"aws:SecureTransport":"false"');
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: 'sns:Publish', Principal: { Service: 'ses.amazonaws.com' }, Effect: 'Allow' })]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: Match.stringLikeRegexp('SES delivery events'),
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'ses.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]),
      },
    });
  });

  it('delivers SNS envelopes into a queue with a dead-letter queue and an alarm on its depth', () => {
    // Arrange
    const queueId = logicalId('AWS::SQS::Queue', 'FeedbackQueue');
    const dlqId = logicalId('AWS::SQS::Queue', 'FeedbackDeadLetterQueue');
    // Assert
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      Endpoint: { 'Fn::GetAtt': [queueId, 'Arn'] },
      TopicArn: { Ref: logicalId('AWS::SNS::Topic', 'FeedbackEvents') },
    });
    // parseSesFeedback reads SNS envelopes: no raw delivery.
    const sqsSubscriptions = Object.values(resourcesOf('AWS::SNS::Subscription')).filter((sub) => sub.Properties.Protocol === 'sqs');
    expect(sqsSubscriptions.map((sub) => sub.Properties.RawMessageDelivery ?? false)).toEqual([false]);
    expect(resourcesOf('AWS::SQS::Queue')[queueId]?.Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
      maxReceiveCount: 5,
    });
    const depth = Object.values(resourcesOf('AWS::CloudWatch::Alarm')).filter(
      (a) => JSON.stringify(alarmMetric(a).Dimensions) === JSON.stringify([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }]),
    );
    expect(depth.map((a) => a.Properties.Threshold)).toEqual([1]);
  });

  it('feeds the feedback function from the queue with partial batch responses, and gives it every variable its schema has', () => {
    // Arrange
    const variables = (feedback()?.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    // Assert
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId('AWS::SQS::Queue', 'FeedbackQueue'), 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(Object.keys(variables)).toEqual(expect.arrayContaining(Object.keys(FeedbackEnvSchema.shape)));
    expect(Number(variables.LEASE_SECONDS)).toBeGreaterThan(feedback()?.Properties.Timeout as number);
  });

  it('lets the feedback function write only the partitions feedback owns, and read items only', () => {
    // Arrange
    const statements = Object.values(resourcesOf('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('FeedbackProcess'))
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
    const dynamo = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('dynamodb:')));
    const writes = dynamo.filter((s) => [s.Action].flat().includes('dynamodb:PutItem'));
    // Assert
    expect(dynamo.flatMap((s) => [s.Action].flat()).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    expect(writes).toHaveLength(1);
    expect(writes[0]?.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': FEEDBACK_WRITE_KEY_PREFIXES.map((p) => `${p}*`) } });
    expect(statements.flatMap((s) => [s.Action].flat()).some((a) => a.startsWith('s3:') || a.startsWith('ses:'))).toBe(false);
  });

  it('expires window events and acknowledgement claims by TTL', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', { TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } });
  });

  it('lets the inbound function queue acknowledgements: send to the outbound queue, write plans, claim acknowledgements', () => {
    // Arrange
    const statements = Object.values(resourcesOf('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('InboundProcess'))
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
    const writes = statements.find((s) => [s.Action].flat().includes('dynamodb:PutItem'));
    const leadingKeys = writes?.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
    // Assert
    expect(leadingKeys).toEqual(expect.arrayContaining(['ACK#*', 'HITS#*', 'SUPP#*', 'FEEDBACK#*', 'INBOUND#*']));
    expect(JSON.stringify(leadingKeys)).not.toMatch(/CHANNEL|CRED|OUTBOUND#/);
    expect(statements).toEqual(
      expect.arrayContaining([expect.objectContaining({ Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [expect.anything(), '/outbound/plans/*']] } })]),
    );
    const send = statements.find((s) => [s.Action].flat().includes('sqs:SendMessage'));
    expect([send?.Resource].flat()).toContainEqual({ 'Fn::GetAtt': [logicalId('AWS::SQS::Queue', 'OutboundQueue'), 'Arn'] });
    expect(JSON.stringify([send?.Resource].flat())).not.toContain('Feedback');
  });
});
