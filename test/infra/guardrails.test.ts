import { Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthPostroom, synthWithNag, type NagReport } from './synth-postroom.ts';

let template: Template;
let nag: NagReport;

beforeAll(() => {
  ({ template, nag } = synthPostroom());
});

type Resources = Record<string, { Properties?: Record<string, unknown> }>;

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged finding, error or warning', () => {
    expect(nag.violations.map((v) => `${v.ruleName} ${v.violatingConstructs.map((c) => c.constructPath).join(',')}`)).toEqual([]);
  });

  it('has exactly the acknowledgements we decided on, each with a specific reason', () => {
    // Arrange
    const acknowledged = nag.suppressedViolations.map((v) => v.ruleName).sort();
    // Assert
    // Unique findings (X-Ray's PutTraceSegments has no resource: acknowledged once per function).
    expect([...new Set(acknowledged)]).toEqual([
      // Graph's webhook, the API's one route without authorization (Graph cannot sign in).
      'AwsSolutions-APIG4',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::<MailStorageBucketF6CFF9AD.Arn>/attachments/*]',
      // Import archives: the admin function signs their uploads, the mailbox function reads them.
      'AwsSolutions-IAM5[Resource::<MailStorageBucketF6CFF9AD.Arn>/imports/*]',
      'AwsSolutions-IAM5[Resource::<MailStorageBucketF6CFF9AD.Arn>/inbound/raw/*]',
      // The outbound function reads plans; the inbound (acknowledgements) and admin (replies) functions write them.
      'AwsSolutions-IAM5[Resource::<MailStorageBucketF6CFF9AD.Arn>/outbound/plans/*]',
      'AwsSolutions-IAM5[Resource::<MailStorageBucketF6CFF9AD.Arn>/outbound/uploads/*]',
      // Export archives and staged findings: the privacy function's own prefix; the admin function presigns downloads.
      'AwsSolutions-IAM5[Resource::<MailStorageBucketF6CFF9AD.Arn>/privacy/*]',
      'AwsSolutions-IAM5[Resource::<MailStorageBucketF6CFF9AD.Arn>/privacy/exports/*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:receipt-rule-set/<ReceivingRuleSet9CD12539>:receipt-rule/api-channel-*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sqs:<AWS::Region>:<AWS::AccountId>:postroom-skill-*]',
      'AwsSolutions-SQS3',
    ]);
    for (const v of nag.suppressedViolations) expect(v.reason?.length ?? 0).toBeGreaterThan(40);
  });

  it('catches a violation when there is one (the check can fail)', () => {
    // Act
    const { nag: bad } = synthWithNag((app) => {
      const stack = new Stack(app, 'Bad');
      new sqs.Queue(stack, 'Plain');
      return stack;
    });
    // Assert
    expect(bad.violations.map((v) => v.ruleName)).toEqual(expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']));
  });
});

describe('guardrails', () => {
  it("gives every queue a dead-letter queue, except dead-letter queues, the failed-mail destination and the expiry stream's", () => {
    // Arrange
    const queues = template.findResources('AWS::SQS::Queue') as Resources;
    const dlqIds = new Set(
      Object.values(queues).flatMap((q) => {
        const target = (q.Properties?.RedrivePolicy as { deadLetterTargetArn?: { 'Fn::GetAtt': [string] } } | undefined)?.deadLetterTargetArn;
        return target ? [target['Fn::GetAtt'][0]] : [];
      }),
    );
    // The mailbox function's schedule invocations have no destination: the next tick replaces a failed one.
    const destinations = new Set(
      Object.values(template.findResources('AWS::Lambda::EventInvokeConfig') as Resources).flatMap((c) => {
        const onFailure = (c.Properties?.DestinationConfig as { OnFailure?: { Destination: { 'Fn::GetAtt': [string] } } } | undefined)?.OnFailure;
        return onFailure ? [onFailure.Destination['Fn::GetAtt'][0]] : [];
      }),
    );
    // A stream's event source mapping (retention's expiry) sends what failed every retry to its on-failure queue.
    const streamDestinations = new Set(
      Object.values(template.findResources('AWS::Lambda::EventSourceMapping') as Resources).flatMap((m) => {
        const onFailure = (m.Properties?.DestinationConfig as { OnFailure?: { Destination: { 'Fn::GetAtt': [string] } } } | undefined)?.OnFailure;
        return onFailure ? [onFailure.Destination['Fn::GetAtt'][0]] : [];
      }),
    );
    // Act
    const withoutDlq = Object.entries(queues).filter(
      ([id, q]) => !q.Properties?.RedrivePolicy && !dlqIds.has(id) && !destinations.has(id) && !streamDestinations.has(id),
    );
    // Assert
    expect(withoutDlq.map(([id]) => id)).toEqual([]);
    expect(destinations.size).toBe(1);
    expect(streamDestinations.size).toBe(1);
  });

  it('gives every function a log group with retention', () => {
    // Arrange
    const groups = template.findResources('AWS::Logs::LogGroup') as Resources;
    const functions = Object.values(template.findResources('AWS::Lambda::Function') as Resources);
    // Assert
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) {
      const ref = (fn.Properties?.LoggingConfig as { LogGroup?: { Ref: string } } | undefined)?.LogGroup?.Ref;
      expect(ref, 'function without its own log group').toBeDefined();
      expect(groups[ref ?? '']?.Properties?.RetentionInDays).toBeGreaterThan(0);
    }
  });

  it('rotates every KMS key', () => {
    for (const key of Object.values(template.findResources('AWS::KMS::Key') as Resources)) {
      expect(key.Properties?.EnableKeyRotation).toBe(true);
    }
  });

  it('blocks public access to every bucket and denies requests without TLS', () => {
    // Arrange
    const buckets = template.findResources('AWS::S3::Bucket') as Resources;
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy') as Resources);
    // Assert
    for (const [id, bucket] of Object.entries(buckets)) {
      expect(bucket.Properties?.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      const policy = policies.find((p) => (p.Properties?.Bucket as { Ref: string }).Ref === id);
      expect(JSON.stringify(policy?.Properties?.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('allows no principal "*" except in TLS-deny statements', () => {
    const statements = [
      ...Object.values(template.findResources('AWS::S3::BucketPolicy') as Resources),
      ...Object.values(template.findResources('AWS::SQS::QueuePolicy') as Resources),
    ].flatMap((p) => (p.Properties?.PolicyDocument as { Statement: { Effect: string; Principal?: unknown }[] }).Statement);
    const openAllows = statements.filter((s) => s.Effect === 'Allow' && JSON.stringify(s.Principal ?? '').includes('"*"'));
    expect(openAllows).toEqual([]);
  });
});
