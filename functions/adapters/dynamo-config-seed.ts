import { DeleteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Agent } from '../core/model/agent.ts';
import type { ChannelSettings } from '../core/model/channel.ts';
import type { SkillRecord } from '../core/model/admin-resources.ts';
import { itemKeys, type ItemKey } from './dynamo-schema.ts';
import { isConditionFailed, key } from './dynamo-util.ts';

/**
 * How the deploy config and the admin API share channels and skills: the config seeds them,
 * and rewrites an item on a later deploy only while the API has not changed it. An item the API
 * created or changed (`managedBy = api`) is the API's from then on; a redeploy never overwrites
 * it, and removing it from the config does not delete it. The CDK seed and the sandbox send
 * these same expressions.
 */
export const SEED_UPDATE_EXPRESSION = 'SET #value = :value, managedBy = :config, updatedAt = :at ADD version :one';
export const SEED_CONDITION = 'attribute_not_exists(pk) OR attribute_not_exists(managedBy) OR managedBy = :config';
export const SEED_DELETE_CONDITION = 'attribute_not_exists(managedBy) OR managedBy = :config';

/** One seeded item: where it goes, the attribute its JSON goes into, and the value. */
export interface SeedItem {
  readonly key: ItemKey;
  readonly attribute: 'settings' | 'skill' | 'agent';
  readonly value: string;
}

export function channelSeedItem(channel: ChannelSettings): SeedItem {
  return { key: itemKeys.channel(channel.id), attribute: 'settings', value: JSON.stringify(channel) };
}

export function agentSeedItem(agent: Agent): SeedItem {
  return { key: itemKeys.agent(agent.id), attribute: 'agent', value: JSON.stringify(agent) };
}

export function skillSeedItem(skill: SkillRecord): SeedItem {
  return { key: itemKeys.skill(skill.name), attribute: 'skill', value: JSON.stringify(skill) };
}

/** The UpdateItem of one seeded item (the CDK custom resource sends the same, marshalled). */
export function seedUpdate(tableName: string, item: SeedItem, at: string) {
  return {
    TableName: tableName,
    Key: key(item.key),
    UpdateExpression: SEED_UPDATE_EXPRESSION,
    ConditionExpression: SEED_CONDITION,
    ExpressionAttributeNames: { '#value': item.attribute },
    ExpressionAttributeValues: { ':value': item.value, ':config': 'config', ':at': at, ':one': 1 },
  };
}

/** Writes the seed items, leaving alone every item the API owns; returns the keys left alone. */
export async function seedItems(client: DynamoDBDocumentClient, tableName: string, items: readonly SeedItem[], at: string): Promise<ItemKey[]> {
  const kept: ItemKey[] = [];
  for (const item of items) {
    try {
      await client.send(new UpdateCommand(seedUpdate(tableName, item, at)));
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      kept.push(item.key);
    }
  }
  return kept;
}

/** Removes a seeded item that left the config, unless the API owns it by now. */
export async function unseedItem(client: DynamoDBDocumentClient, tableName: string, itemKey: ItemKey): Promise<boolean> {
  try {
    await client.send(
      new DeleteCommand({
        TableName: tableName,
        Key: key(itemKey),
        ConditionExpression: SEED_DELETE_CONDITION,
        ExpressionAttributeValues: { ':config': 'config' },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}
