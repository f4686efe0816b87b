import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { RETENTION_KEY_PREFIXES } from '../../functions/adapters/dynamo-retention.ts';
import { RetentionFields } from '../../functions/runtime/env-fields.ts';
import { exampleConfig, synthPostroom, type NagReport } from './synth-postroom.ts';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };

const config = exampleConfig({ retention: { mailDays: 400, failedMailDays: 60, uploadDays: 10, auditDays: 3000, logDays: 30 } } as never);
let template: Template;
let nag: NagReport;

beforeAll(() => {
  ({ template, nag } = synthPostroom(config, { bundle: false }));
});

const resources = (type: string): Record<string, Resource> => template.findResources(type) as Record<string, Resource>;
const only = (type: string, fragment: string): [string, Resource] => {
  const found = Object.entries(resources(type)).filter(([id]) => id.includes(fragment));
  if (found.length !== 1) throw new Error(`expected one ${type} with ${fragment}, found ${found.map(([id]) => id).join(', ') || 'none'}`);
  return found[0] as [string, Resource];
};
const statementsOf = (roleFragment: string): Statement[] =>
  Object.values(resources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleFragment) && !JSON.stringify(p.Properties.PolicyName ?? '').includes('Tracing'))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);

describe('retention in AWS', () => {
  it('expires records by TTL on expiresAt and streams the old image of what TTL deletes; the audit table has a TTL of its own', () => {
    // Arrange
    const [, table] = only('AWS::DynamoDB::Table', 'TablesTable');
    const [, audit] = only('AWS::DynamoDB::Table', 'TablesAudit');
    // Assert
    expect(table.Properties).toMatchObject({
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      StreamSpecification: { StreamViewType: 'OLD_IMAGE' },
    });
    expect(audit.Properties).toMatchObject({ TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } });
    expect(audit.Properties).not.toHaveProperty('StreamSpecification');
  });

  it('feeds the expiry only TTL deletions from the stream, with partial batch failures and a dead-letter queue', () => {
    // Arrange
    const [, mapping] = only('AWS::Lambda::EventSourceMapping', 'RetentionTtlDeletions');
    const [dlqId] = only('AWS::SQS::Queue', 'RetentionDeadLetterQueue');
    const [tableId] = only('AWS::DynamoDB::Table', 'TablesTable');
    // Assert
    expect(mapping.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [tableId, 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlqId, 'Arn'] } } },
    });
    const filters = (mapping.Properties.FilterCriteria as { Filters: { Pattern: string }[] }).Filters.map((f) => JSON.parse(f.Pattern));
    expect(filters).toEqual([
      {
        eventName: ['REMOVE'],
        userIdentity: { type: ['Service'], principalId: ['dynamodb.amazonaws.com'] },
        dynamodb: { Keys: { pk: { S: [{ prefix: 'CONV#' }, { prefix: 'LOOSE#' }, { prefix: 'INBOUND#' }] } } },
      },
    ]);
  });

  it('lets the expiry read its stream, query and delete only the partitions expiry touches, and delete (never read) mail objects by key', () => {
    // Arrange
    const statements = statementsOf('RetentionExpire');
    const actions = statements.flatMap((s) => [s.Action].flat()).sort();
    const [tableId] = only('AWS::DynamoDB::Table', 'TablesTable');
    // Assert
    expect(actions).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
      'dynamodb:Query',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:DeleteObject',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
    ]);
    const stream = statements.find((s) => [s.Action].flat().includes('dynamodb:GetRecords'));
    expect(stream?.Resource).toEqual({ 'Fn::GetAtt': [tableId, 'StreamArn'] });
    const deletes = statements.find((s) => [s.Action].flat().includes('dynamodb:DeleteItem'));
    expect(deletes?.Resource).toEqual({ 'Fn::GetAtt': [tableId, 'Arn'] });
    expect(deletes?.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': RETENTION_KEY_PREFIXES.map((p) => `${p}*`) } });
    expect(JSON.stringify(deletes?.Condition)).not.toMatch(/CHANNEL|AGENT|SKILL|SUPP|AUDIT|CREDENTIAL/);
    const objects = statements.find((s) => [s.Action].flat().includes('s3:DeleteObject'));
    const prefixes = ([objects?.Resource].flat() as { 'Fn::Join': [string, unknown[]] }[]).map((r) => r['Fn::Join'][1][1]).sort();
    expect(prefixes).toEqual(['/attachments/*', '/inbound/raw/*', '/outbound/plans/*']);
    expect(JSON.stringify(objects?.Resource)).not.toContain('uploads');
  });

  it('expires reply uploads by age in the mail bucket, after the configured days, and no mail by age', () => {
    // Arrange
    const [, bucket] = only('AWS::S3::Bucket', 'MailStorageBucket');
    const rules = (bucket.Properties.LifecycleConfiguration as { Rules: { Id?: string; Prefix?: string; ExpirationInDays?: number }[] }).Rules;
    // Assert
    const expiring = rules.filter((r) => r.ExpirationInDays !== undefined).map((r) => [r.Prefix, r.ExpirationInDays]);
    expect(expiring).toEqual(expect.arrayContaining([['outbound/uploads/', 10]]));
    // Nothing that belongs to a conversation goes by age: no rule on the whole bucket or on a mail prefix.
    const mail = (prefix: unknown) => ['', 'inbound/', 'inbound/raw/', 'attachments/', 'outbound/', 'outbound/plans/'].includes(String(prefix ?? ''));
    expect(expiring.filter(([prefix]) => mail(prefix))).toEqual([]);
  });

  it("gives every function that writes what expires the configured settings, and alarms on the expiry's failures", () => {
    // Arrange
    const withSettings = Object.values(resources('AWS::Lambda::Function'))
      .map((f) => (f.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {})
      .filter((v) => 'RETENTION_MAIL_DAYS' in v);
    const services = withSettings.map((v) => String(v.POWERTOOLS_SERVICE_NAME)).sort();
    const alarms = Object.values(resources('AWS::CloudWatch::Alarm')).map((a) => JSON.stringify(a.Properties));
    const [dlqId] = only('AWS::SQS::Queue', 'RetentionDeadLetterQueue');
    // Assert
    expect(services).toEqual(['postroom-admin', 'postroom-inbound', 'postroom-outbound', 'postroom-reconcile', 'postroom-sources']);
    for (const variables of withSettings) {
      expect(Object.keys(variables)).toEqual(expect.arrayContaining(Object.keys(RetentionFields)));
      expect(variables).toMatchObject({
        RETENTION_MAIL_DAYS: '400',
        RETENTION_FAILED_MAIL_DAYS: '60',
        RETENTION_UPLOAD_DAYS: '10',
        RETENTION_AUDIT_DAYS: '3000',
      });
    }
    expect(alarms.some((a) => a.includes(dlqId))).toBe(true);
  });

  it('passes cdk-nag with each exception of the construct acknowledged with a reason', () => {
    // Assert
    expect(nag.violations.map((v) => v.ruleName)).toEqual([]);
    const ours = nag.suppressedViolations.filter((v) => v.violatingConstructs.some((c) => c.constructPath.includes('/Retention/')));
    expect(ours.map((v) => v.ruleName).sort()).toEqual(
      [
        'AwsSolutions-IAM5[Resource::<MailStorageBucketF6CFF9AD.Arn>/attachments/*]',
        'AwsSolutions-IAM5[Resource::<MailStorageBucketF6CFF9AD.Arn>/inbound/raw/*]',
        'AwsSolutions-IAM5[Resource::<MailStorageBucketF6CFF9AD.Arn>/outbound/plans/*]',
        'AwsSolutions-IAM5[Resource::*]',
        'AwsSolutions-SQS3',
      ].sort(),
    );
    for (const v of ours) expect(v.reason?.length ?? 0).toBeGreaterThan(40);
  });
});
