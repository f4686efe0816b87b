import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as ses from 'aws-cdk-lib/aws-ses';
import type { IConstruct } from 'constructs';

export interface RawMailActionProps {
  readonly bucket: s3.IBucket;
  readonly objectKeyPrefix: string;
  /** Name of the receipt rule set whose rules may write: the bucket policy's `aws:SourceArn`. */
  readonly ruleSetName: string;
}

/**
 * The SES S3 action, like `aws-ses-actions.S3` but with a narrower bucket policy: SES may put
 * objects under the prefix only for this account (`aws:SourceAccount`) and only for the rules of
 * this rule set (`aws:SourceArn`), so no other rule set in the account can write raw mail here.
 */
export class RawMailAction implements ses.IReceiptRuleAction {
  constructor(private readonly props: RawMailActionProps) {}

  bind(rule: IConstruct): ses.ReceiptRuleActionConfig {
    const { bucket, objectKeyPrefix, ruleSetName } = this.props;
    const stack = Stack.of(rule);
    bucket.addToResourcePolicy(new iam.PolicyStatement({
      actions: ['s3:PutObject'],
      principals: [new iam.ServicePrincipal('ses.amazonaws.com')],
      resources: [bucket.arnForObjects(`${objectKeyPrefix}*`)],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:ses:${stack.region}:${stack.account}:receipt-rule-set/${ruleSetName}:receipt-rule/*` },
      },
    }));
    const policy = bucket.node.tryFindChild('Policy');
    if (policy) rule.node.addDependency(policy);
    return { s3Action: { bucketName: bucket.bucketName, objectKeyPrefix } };
  }
}
