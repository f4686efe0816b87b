import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as ses from 'aws-cdk-lib/aws-ses';
import type { IConstruct } from 'constructs';

export interface RawMailActionProps {
  readonly bucket: s3.IBucket;
  readonly objectKeyPrefix: string;
  /** Name of the receipt rule set whose rules may write: the bucket and key policies' `aws:SourceArn`. */
  readonly ruleSetName: string;
}

/**
 * The ARN pattern of every receipt rule of a rule set (`…:receipt-rule-set/<name>:receipt-rule/*`):
 * what SES presents as `aws:SourceArn` when a rule writes to S3 or invokes a function. It covers the
 * rules the admin API adds at runtime too.
 */
export function receiptRulesArn(scope: IConstruct, ruleSetName: string): string {
  const stack = Stack.of(scope);
  return `arn:${stack.partition}:ses:${stack.region}:${stack.account}:receipt-rule-set/${ruleSetName}:receipt-rule/*`;
}

/** The conditions of every statement that lets SES use a resource for the rules of a rule set. */
export function receiptRuleConditions(scope: IConstruct, ruleSetName: string): Record<string, Record<string, string>> {
  return {
    StringEquals: { 'aws:SourceAccount': Stack.of(scope).account },
    ArnLike: { 'aws:SourceArn': receiptRulesArn(scope, ruleSetName) },
  };
}

/**
 * The SES S3 action, like `aws-ses-actions.S3` but with narrower policies: SES may put objects
 * under the prefix only for this account (`aws:SourceAccount`) and only for the rules of this
 * rule set (`aws:SourceArn`), so no other rule set in the account can write raw mail here. The
 * bucket's default SSE-KMS key gets the same statement for SES: the PutObject needs a data key.
 * (Giving the S3 action a key instead would make SES encrypt client-side, readable only with the
 * S3 Encryption Client.)
 */
export class RawMailAction implements ses.IReceiptRuleAction {
  constructor(private readonly props: RawMailActionProps) {}

  bind(rule: IConstruct): ses.ReceiptRuleActionConfig {
    const { bucket, objectKeyPrefix, ruleSetName } = this.props;
    const ses = new iam.ServicePrincipal('ses.amazonaws.com');
    const conditions = receiptRuleConditions(rule, ruleSetName);
    // Every rule binds the same statements; the policy documents keep one of each.
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        principals: [ses],
        resources: [bucket.arnForObjects(`${objectKeyPrefix}*`)],
        conditions,
      }),
    );
    bucket.encryptionKey?.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        principals: [ses],
        resources: ['*'],
        conditions,
      }),
    );
    const policy = bucket.node.tryFindChild('Policy');
    if (policy) rule.node.addDependency(policy);
    return { s3Action: { bucketName: bucket.bucketName, objectKeyPrefix } };
  }
}
