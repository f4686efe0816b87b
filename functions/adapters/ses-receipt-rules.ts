import { CreateReceiptRuleCommand, DeleteReceiptRuleCommand, UpdateReceiptRuleCommand, type ReceiptRule, type SESClient } from '@aws-sdk/client-ses';
import type { ChannelSettings } from '../core/model/channel.ts';
import type { ReceiptRules } from '../core/ports/admin.ts';

export interface SesReceiptRulesOptions {
  /** The stack's receipt rule set (the one activated for receiving). */
  readonly ruleSetName: string;
  readonly bucketName: string;
  readonly objectKeyPrefix: string;
  /** ARN of the inbound function, invoked as an `Event`. */
  readonly functionArn: string;
  readonly scanEnabled: boolean;
  readonly requireTls: boolean;
}

/** Name of the rule the admin API manages for a channel (the deploy's own rules have generated names). */
export function receiptRuleName(channelId: string): string {
  return `api-channel-${channelId}`;
}

/**
 * Receipt rules of channels created or re-addressed through the admin API, in the stack's rule
 * set, with the actions of the deploy's rules: raw copy to S3 under the prefix, then the inbound
 * function as an `Event`. An address no rule names is still refused by SES, so mail for an
 * address no channel owns never becomes a ticket.
 */
export class SesReceiptRules implements ReceiptRules {
  constructor(
    private readonly client: SESClient,
    private readonly options: SesReceiptRulesOptions,
  ) {}

  async put(channel: ChannelSettings): Promise<void> {
    const rule = this.ruleOf(channel);
    try {
      await this.client.send(new UpdateReceiptRuleCommand({ RuleSetName: this.options.ruleSetName, Rule: rule }));
    } catch (error) {
      if (!(error instanceof Error && error.name === 'RuleDoesNotExistException')) throw error;
      await this.client.send(new CreateReceiptRuleCommand({ RuleSetName: this.options.ruleSetName, Rule: rule }));
    }
  }

  async remove(channelId: string): Promise<void> {
    try {
      await this.client.send(new DeleteReceiptRuleCommand({ RuleSetName: this.options.ruleSetName, RuleName: receiptRuleName(channelId) }));
    } catch (error) {
      if (!(error instanceof Error && error.name === 'RuleDoesNotExistException')) throw error;
    }
  }

  private ruleOf(channel: ChannelSettings): ReceiptRule {
    return {
      Name: receiptRuleName(channel.id),
      Enabled: true,
      Recipients: [channel.address, ...channel.aliases],
      ScanEnabled: this.options.scanEnabled,
      TlsPolicy: this.options.requireTls ? 'Require' : 'Optional',
      Actions: [
        { S3Action: { BucketName: this.options.bucketName, ObjectKeyPrefix: this.options.objectKeyPrefix } },
        { LambdaAction: { FunctionArn: this.options.functionArn, InvocationType: 'Event' } },
      ],
    };
  }
}
