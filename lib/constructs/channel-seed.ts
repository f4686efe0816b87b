import { Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import {
  SEED_CONDITION,
  SEED_DELETE_CONDITION,
  SEED_UPDATE_EXPRESSION,
  agentSeedItem,
  channelSeedItem,
  type SeedItem,
} from '../../functions/adapters/dynamo-config-seed.ts';
import { AGENT_PARTITION, CHANNEL_PARTITION, SKILL_PARTITION, itemKeys, type ItemKey } from '../../functions/adapters/dynamo-schema.ts';
import type { Agent } from '../../functions/core/model/agent.ts';
import type { ChannelSettings } from '../../functions/core/model/channel.ts';
import type { SkillQueue } from './skill-queues.ts';

export interface ChannelSeedProps {
  readonly table: dynamodb.ITable;
  readonly channels: readonly ChannelSettings[];
  /** The config's skills with their queues: seeded as `SKILL` items, so the API lists and protects them. */
  readonly skills?: ReadonlyMap<string, SkillQueue & { readonly description: string }>;
  /** The config's first agents (`users`): seeded as `AGENT` items, so the API knows who may sign in. */
  readonly agents?: readonly Agent[];
  /**
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Seeds the configured channels (the item `DynamoChannelDirectory` reads), skills and agents into the
 * table on deploy, again whenever their config changes, and deletes an item that leaves the
 * config. The config wins only until the admin API changes an item: from then on the API owns
 * it (`managedBy = api`), and a redeploy neither overwrites nor deletes it
 * (`functions/adapters/dynamo-config-seed.ts`; a failed condition is expected, not an error).
 */
export class ChannelSeed extends Construct {
  constructor(scope: Construct, id: string, props: ChannelSeedProps) {
    super(scope, id);
    const role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS });
    logGroup.grantWrite(role);
    // Only the partitions it seeds: channels, skills and agents.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [props.table.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [CHANNEL_PARTITION, SKILL_PARTITION, AGENT_PARTITION] } },
      }),
    );

    const seed = (resourceId: string, itemKey: ItemKey, attribute: SeedItem['attribute'], value: string): void => {
      const key = { pk: { S: itemKey.pk }, sk: { S: itemKey.sk } };
      const update: cr.AwsSdkCall = {
        service: 'DynamoDB',
        action: 'UpdateItem',
        parameters: {
          TableName: props.table.tableName,
          Key: key,
          UpdateExpression: SEED_UPDATE_EXPRESSION,
          ConditionExpression: SEED_CONDITION,
          ExpressionAttributeNames: { '#value': attribute },
          ExpressionAttributeValues: { ':value': { S: value }, ':config': { S: 'config' }, ':at': { S: new Date(0).toISOString() }, ':one': { N: '1' } },
        },
        physicalResourceId: cr.PhysicalResourceId.of(`${Stack.of(this).stackName}-${resourceId}`),
        ignoreErrorCodesMatching: 'ConditionalCheckFailedException',
      };
      new cr.AwsCustomResource(this, resourceId, {
        onCreate: update,
        onUpdate: update,
        onDelete: {
          service: 'DynamoDB',
          action: 'DeleteItem',
          parameters: {
            TableName: props.table.tableName,
            Key: key,
            ConditionExpression: SEED_DELETE_CONDITION,
            ExpressionAttributeValues: { ':config': { S: 'config' } },
          },
          ignoreErrorCodesMatching: 'ConditionalCheckFailedException',
        },
        role,
        logGroup,
        installLatestAwsSdk: false,
      });
    };

    for (const channel of props.channels) {
      const item = channelSeedItem(channel);
      seed(`Channel-${channel.id}`, item.key, item.attribute, item.value);
    }
    for (const [name, skill] of props.skills ?? new Map()) {
      const value = Stack.of(this).toJsonString({
        name,
        description: skill.description,
        queueUrl: skill.queue.queueUrl,
        deadLetterQueueUrl: skill.deadLetterQueue.queueUrl,
      });
      seed(`Skill-${name}`, itemKeys.skill(name), 'skill', value);
    }
    for (const agent of props.agents ?? []) {
      const item = agentSeedItem(agent);
      seed(`Agent-${agent.id}`, item.key, item.attribute, item.value);
    }
  }
}
