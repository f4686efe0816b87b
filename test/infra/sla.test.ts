import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { SlaCheckEnvSchema } from '../../functions/runtime/sla-env.ts';
import { exampleConfig, synthPostroom, type NagReport } from './synth-postroom.ts';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>>; Principal?: unknown };

const config = exampleConfig({ sla: { firstResponseMinutes: 60, solutionMinutes: 480, calendar: 'always' } } as never);
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
const envOf = (fn: Resource) => (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;

describe('SLA check in AWS', () => {
  it('runs the check every minute from an EventBridge rule, without retries', () => {
    // Arrange
    const [fnId, fn] = only('AWS::Lambda::Function', 'SlaCheck');
    const [, rule] = only('AWS::Events::Rule', 'SlaSchedule');
    const [, invokeConfig] = only('AWS::Lambda::EventInvokeConfig', 'SlaCheck');
    // Assert
    expect(rule.Properties).toMatchObject({ ScheduleExpression: 'rate(1 minute)', State: 'ENABLED' });
    expect(JSON.stringify(rule.Properties.Targets)).toContain(fnId);
    expect(invokeConfig.Properties).toMatchObject({ MaximumRetryAttempts: 0 });
    expect(
      Object.keys(envOf(fn))
        .filter((k) => k !== 'NODE_OPTIONS')
        .sort(),
    ).toEqual(Object.keys(SlaCheckEnvSchema.shape).sort());
  });

  it('publishes to a KMS-encrypted topic that refuses plain HTTP', () => {
    // Arrange
    const [topicId, topic] = only('AWS::SNS::Topic', 'SlaEvents');
    const [keyId] = only('AWS::KMS::Key', 'SlaTopicKey');
    const [, fn] = only('AWS::Lambda::Function', 'SlaCheck');
    const policies = Object.values(resources('AWS::SNS::TopicPolicy')).filter((p) => JSON.stringify(p.Properties.Topics).includes(topicId));
    // Assert
    expect(topic.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(envOf(fn).SLA_TOPIC_ARN).toEqual({ Ref: topicId });
    expect(JSON.stringify(policies)).toContain('"aws:SecureTransport":"false"');
  });

  it('grants the check the sla index, updates of conversation items only, and publishing to its topic', () => {
    // Arrange
    const statements = statementsOf('SlaCheck');
    const [tableId] = only('AWS::DynamoDB::Table', 'TablesTable');
    const [topicId] = only('AWS::SNS::Topic', 'SlaEvents');
    const actions = statements.flatMap((s) => [s.Action].flat()).sort();
    // Assert
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:UpdateItem', 'sns:Publish']));
    expect(actions.filter((a) => a.startsWith('dynamodb:'))).toEqual(['dynamodb:Query', 'dynamodb:UpdateItem']);
    const query = statements.find((s) => [s.Action].flat().includes('dynamodb:Query'));
    expect(JSON.stringify(query?.Resource)).toContain('/index/sla');
    const update = statements.find((s) => [s.Action].flat().includes('dynamodb:UpdateItem'));
    expect(update?.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CONV#*'] } });
    expect(JSON.stringify(update?.Resource)).toContain(tableId);
    const publish = statements.find((s) => [s.Action].flat().includes('sns:Publish'));
    expect(publish?.Resource).toEqual({ Ref: topicId });
  });

  it('declares the sparse sla index on the table with the attributes the check reads', () => {
    // Arrange
    const [, table] = only('AWS::DynamoDB::Table', 'TablesTable');
    const indexes = table.Properties.GlobalSecondaryIndexes as { IndexName: string; KeySchema: unknown; Projection: unknown }[];
    // Assert
    expect(indexes.find((i) => i.IndexName === 'sla')).toMatchObject({
      KeySchema: [
        { AttributeName: 'slaPk', KeyType: 'HASH' },
        { AttributeName: 'slaNext', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: expect.arrayContaining(['sla', 'slaEvents', 'slaRev', 'slaPausedSince']) },
    });
  });

  it('gives the inbound steps the account default SLA', () => {
    // Arrange
    const [, inbound] = only('AWS::Lambda::Function', 'InboundProcess');
    // Assert
    expect(JSON.parse(String(envOf(inbound).SLA_DEFAULT))).toEqual({ firstResponseMinutes: 60, solutionMinutes: 480, calendar: 'always', warningPercent: 80 });
  });

  it('passes cdk-nag with no unacknowledged finding on the SLA constructs', () => {
    // Assert
    const onSla = nag.violations.filter((v) => v.violatingConstructs.some((c) => c.constructPath.includes('/Sla/')));
    expect(onSla).toEqual([]);
    const acknowledged = nag.suppressedViolations.filter((v) => v.violatingConstructs.some((c) => c.constructPath.includes('/Sla/')));
    for (const v of acknowledged) expect(v.reason, v.ruleName).toBeTruthy();
  });
});

describe('SLA check bundle', () => {
  it('brings the SNS client and no mail parser, sender or HTML sanitizer', async () => {
    // Arrange
    const { build } = await import('esbuild');
    const { join } = await import('node:path');
    const { POSTROOM_BUNDLE_TARGET } = await import('../../lib/constructs/postroom-function.ts');
    // Act
    const result = await build({
      entryPoints: [join(import.meta.dirname, '../../functions/sla-check.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: POSTROOM_BUNDLE_TARGET,
      mainFields: ['module', 'main'],
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const packages = new Set(Object.keys(result.metafile.inputs).flatMap((path) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? []));
    // Assert
    expect(packages.has('@aws-sdk/client-sns')).toBe(true);
    for (const heavy of ['mailparser', 'nodemailer', 'sanitize-html', '@aws-crypto/client-node']) expect(packages.has(heavy), heavy).toBe(false);
  });
});
