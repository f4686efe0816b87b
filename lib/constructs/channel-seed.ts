import { Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { channelItem } from '../../functions/adapters/dynamo-channel-directory.ts';
import type { ChannelSettings } from '../../functions/core/model/channel.ts';

export interface ChannelSeedProps {
  readonly table: dynamodb.ITable;
  readonly channels: readonly ChannelSettings[];
  /**
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Writes the configured channels' settings into the table on deploy (one item each, the shape
 * `DynamoChannelDirectory` reads), again whenever a channel's config changes, and deletes a
 * channel's item when it leaves the config. Uses one custom-resource function with a role that
 * may only put and delete items in this table.
 */
export class ChannelSeed extends Construct {
  constructor(scope: Construct, id: string, props: ChannelSeedProps) {
    super(scope, id);
    const role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS });
    logGroup.grantWrite(role);
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
      resources: [props.table.tableArn],
    }));

    for (const channel of props.channels) {
      const item = channelItem(channel);
      const key = { pk: { S: item.pk }, sk: { S: item.sk } };
      const put: cr.AwsSdkCall = {
        service: 'DynamoDB',
        action: 'PutItem',
        parameters: { TableName: props.table.tableName, Item: { ...key, settings: { S: item.settings } } },
        physicalResourceId: cr.PhysicalResourceId.of(`${Stack.of(this).stackName}-channel-${channel.id}`),
      };
      new cr.AwsCustomResource(this, `Channel-${channel.id}`, {
        onCreate: put,
        onUpdate: put,
        onDelete: { service: 'DynamoDB', action: 'DeleteItem', parameters: { TableName: props.table.tableName, Key: key } },
        role,
        logGroup,
        installLatestAwsSdk: false,
      });
    }
  }
}
