import { Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { PrivacyEnvSchema } from '../../functions/runtime/privacy-env.ts';
import { AuditTable } from '../../lib/constructs/audit-table.ts';
import { PRIVACY_MAX_RECEIVES } from '../../lib/constructs/privacy.ts';
import { synthPostroom, type NagReport } from './synth-postroom.ts';

type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };
type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

let template: Template;
let nag: NagReport;
beforeAll(() => {
  ({ template, nag } = synthPostroom(undefined, { bundle: false }));
});

const resources = (type: string): Resources => template.findResources(type) as Resources;
const idOf = (type: string, fragment: string): string => {
  const ids = Object.keys(resources(type)).filter((id) => id.includes(fragment));
  if (ids.length !== 1) throw new Error(`expected one ${type} with ${fragment}, found ${ids.join(', ') || 'none'}`);
  return ids[0] as string;
};
const actionsOf = (s: Statement): string[] => [s.Action].flat();
const statementsOf = (roleFragment: string): Statement[] =>
  Object.entries(resources('AWS::IAM::Policy'))
    .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(roleFragment))
    .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
const auditPolicy = (): Statement[] =>
  (resources('AWS::DynamoDB::Table')[idOf('AWS::DynamoDB::Table', 'Audit')]?.Properties.ResourcePolicy as { PolicyDocument: { Statement: Statement[] } })
    .PolicyDocument.Statement;

describe('privacy jobs in AWS', () => {
  it('runs the privacy function from its own queue, one step per message, with a dead-letter queue', () => {
    // Arrange
    const fn = Object.values(resources('AWS::Lambda::Function')).find(
      (f) =>
        JSON.stringify(f.Properties.Environment ?? {}).includes('PRIVACY_QUEUE_URL') && JSON.stringify(f.Properties.Environment).includes('postroom-privacy'),
    );
    const queueId = idOf('AWS::SQS::Queue', 'PrivacyQueue');
    const mapping = Object.values(resources('AWS::Lambda::EventSourceMapping')).find((m) => JSON.stringify(m.Properties.EventSourceArn).includes(queueId));
    // Assert
    expect(fn?.Properties.Timeout).toBe(900);
    expect(
      Object.keys((fn?.Properties.Environment as { Variables: Record<string, unknown> }).Variables)
        .filter((k) => k !== 'NODE_OPTIONS')
        .sort(),
    ).toEqual(Object.keys(PrivacyEnvSchema.shape).sort());
    expect(mapping?.Properties).toMatchObject({ BatchSize: 1 });
    expect(resources('AWS::SQS::Queue')[queueId]?.Properties).toMatchObject({
      RedrivePolicy: { maxReceiveCount: PRIVACY_MAX_RECEIVES },
      VisibilityTimeout: 900 * 6,
      SqsManagedSseEnabled: true,
    });
  });

  it("grants the function the table whole, the mail bucket's prefixes of a person's mail and its own, and the admin function the queue and the archives only", () => {
    // Arrange
    const privacy = statementsOf('PrivacyJobRole');
    const admin = statementsOf('AdminApiHandlerRole');
    const tableId = idOf('AWS::DynamoDB::Table', 'TablesTable');
    // Assert
    const onTable = privacy.filter((s) => JSON.stringify(s.Resource).includes(tableId));
    expect(onTable.flatMap(actionsOf)).toEqual(expect.arrayContaining(['dynamodb:Scan', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem']));
    const objects = privacy.find((s) => actionsOf(s).includes('s3:DeleteObject'));
    for (const prefix of ['inbound/raw/*', 'attachments/*', 'outbound/plans/*', 'outbound/uploads/*', 'privacy/*'])
      expect(JSON.stringify(objects?.Resource)).toContain(prefix);
    expect(JSON.stringify(objects?.Resource)).not.toContain('imports/');
    expect(privacy.find((s) => actionsOf(s).includes('s3:ListBucket'))?.Condition).toEqual({ StringLike: { 's3:prefix': ['attachments/*', 'privacy/*'] } });
    expect(admin.some((s) => actionsOf(s).includes('sqs:SendMessage') && JSON.stringify(s.Resource).includes('PrivacyQueue'))).toBe(true);
    expect(admin.find((s) => JSON.stringify(s.Resource).includes('privacy/'))).toMatchObject({ Action: 's3:GetObject' });
    expect(JSON.stringify(admin.filter((s) => JSON.stringify(s.Resource).includes('privacy/')).map((s) => s.Resource))).toContain('privacy/exports/*');
  });

  it("makes the privacy function the audit table's one redactor: it may update entries, nobody else may, and nobody may delete them", () => {
    // Arrange
    const policy = auditPolicy();
    const redact = policy.find((s) => s.Sid === 'OnlyTheRedactorChanges');
    const never = policy.find((s) => s.Sid === 'EntriesAreNeverChanged');
    const appends = policy.find((s) => s.Sid === 'OnlyTheWriterAppends');
    // Assert
    expect(actionsOf(redact as Statement)).toEqual(['dynamodb:UpdateItem']);
    expect(JSON.stringify(redact?.Condition)).toContain(idOf('AWS::IAM::Role', 'PrivacyJobRole'));
    expect(JSON.stringify(redact?.Condition)).not.toContain('AdminApiHandlerRole');
    expect(actionsOf(never as Statement)).toEqual(expect.arrayContaining(['dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']));
    expect(never?.Condition).toBeUndefined();
    expect(JSON.stringify(appends?.Condition)).toContain('PrivacyJobRole');
    expect(JSON.stringify(appends?.Condition)).toContain('AdminApiHandlerRole');
  });

  it('expires export archives after a week, and leaves no cdk-nag finding of its own unacknowledged', () => {
    // Arrange
    const bucket = resources('AWS::S3::Bucket')[idOf('AWS::S3::Bucket', 'MailStorageBucket')];
    const rules = (bucket?.Properties.LifecycleConfiguration as { Rules: { Id?: string; Prefix?: string; ExpirationInDays?: number }[] }).Rules;
    // Assert
    expect(rules).toEqual(expect.arrayContaining([expect.objectContaining({ Id: 'privacy-exports', Prefix: 'privacy/', ExpirationInDays: 7 })]));
    expect(nag.violations.filter((v) => v.violatingConstructs.some((c) => c.constructPath.includes('Privacy')))).toEqual([]);
  });

  it('has one redactor: a second one is refused at synthesis', () => {
    // Arrange
    const stack = new Stack();
    const audit = new AuditTable(stack, 'Audit');
    const role = (id: string) => new iam.Role(stack, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    audit.allowRedactor(role('First'));
    // Act + Assert
    expect(() => audit.allowRedactor(role('Second'))).toThrow('the audit table has a redactor already');
  });
});
