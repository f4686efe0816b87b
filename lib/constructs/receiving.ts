import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as actions from 'aws-cdk-lib/aws-ses-actions';
import { Construct } from 'constructs';
import type { ChannelSettings } from '../../functions/core/model/channel.ts';
import { RAW_MAIL_PREFIX } from '../../functions/runtime/ses-event.ts';
import { RawMailAction, receiptRulesArn } from './raw-mail-action.ts';

export interface ReceivingProps {
  readonly channels: readonly ChannelSettings[];
  readonly bucket: s3.IBucket;
  readonly handler: lambda.IFunction;
  /**
   * SES spam and virus scanning.
   * @default true
   */
  readonly scanEnabled?: boolean;
  /**
   * Reject mail not delivered over TLS.
   * @default true
   */
  readonly requireTls?: boolean;
}

/**
 * The SES receipt rule set: one rule per channel, matching its address and aliases (SES also
 * matches their `+tag` forms), with the actions S3 (raw copy at `RAW_MAIL_PREFIX` + SES message
 * id; the S3 action adds the bucket policy for SES with `aws:SourceAccount` and `aws:SourceArn`), then
 * the inbound function as an `Event` invocation (it reads the raw copy the first action wrote).
 * No Stop action: a mail to two channels runs both rules, and SES tells each invocation which of
 * its recipients that rule matched. No rule matches any other address, so SES rejects unknown
 * recipients instead of turning them into tickets on some channel. SES may invoke the function
 * for this account's rules of this rule set only (`aws:SourceAccount`, `aws:SourceArn`), the
 * ones the admin API adds included.
 *
 * CloudFormation cannot activate a rule set: activate it once after the first deploy
 * (`aws ses set-active-receipt-rule-set --rule-set-name <RuleSetName output>`).
 */
export class Receiving extends Construct {
  readonly ruleSet: ses.ReceiptRuleSet;
  readonly rules: ReadonlyMap<string, ses.ReceiptRule>;

  constructor(scope: Construct, id: string, props: ReceivingProps) {
    super(scope, id);
    this.ruleSet = new ses.ReceiptRuleSet(this, 'RuleSet');
    // The Lambda action adds a permission with `aws:SourceAccount` only, unless one with its id exists.
    props.handler.addPermission('AllowSes', {
      action: 'lambda:InvokeFunction',
      principal: new iam.ServicePrincipal('ses.amazonaws.com'),
      sourceAccount: Stack.of(this).account,
      sourceArn: receiptRulesArn(this, this.ruleSet.receiptRuleSetName),
    });
    const rules = new Map<string, ses.ReceiptRule>();
    let previous: ses.IReceiptRule | undefined;
    for (const channel of props.channels) {
      const rule = this.ruleSet.addRule(`Channel-${channel.id}`, {
        recipients: [channel.address, ...channel.aliases],
        scanEnabled: props.scanEnabled ?? true,
        tlsPolicy: (props.requireTls ?? true) ? ses.TlsPolicy.REQUIRE : ses.TlsPolicy.OPTIONAL,
        // Rules run in order; chaining keeps the order of the config deterministic.
        ...(previous ? { after: previous } : {}),
        actions: [
          new RawMailAction({ bucket: props.bucket, objectKeyPrefix: RAW_MAIL_PREFIX, ruleSetName: this.ruleSet.receiptRuleSetName }),
          new actions.Lambda({ function: props.handler, invocationType: actions.LambdaInvocationType.EVENT }),
        ],
      });
      rules.set(channel.id, rule);
      previous = rule;
    }
    this.rules = rules;
  }
}
