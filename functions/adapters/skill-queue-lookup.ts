import { GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { itemKeys } from './dynamo-schema.ts';
import { key } from './dynamo-util.ts';
import { skillQueueNames } from './sqs-skill-queues.ts';
import type { SkillQueueLookup } from './sqs-routed-queue.ts';

/**
 * The queue of a skill created through the admin API: its `SKILL` item's queue URL, else
 * `GetQueueUrl` by the naming convention the admin API creates queues with (when a prefix is set).
 */
export function skillQueueLookup(deps: {
  readonly db: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly sqs: SQSClient;
  readonly prefix: string;
}): SkillQueueLookup {
  return async (skill) => {
    const out = await deps.db.send(new GetCommand({ TableName: deps.tableName, Key: key(itemKeys.skill(skill)), ConsistentRead: true }));
    const stored = typeof out.Item?.skill === 'string' ? (JSON.parse(out.Item.skill) as { queueUrl?: unknown }).queueUrl : undefined;
    if (typeof stored === 'string' && stored.length > 0) return stored;
    if (!deps.prefix) return null;
    try {
      const found = await deps.sqs.send(new GetQueueUrlCommand({ QueueName: skillQueueNames(deps.prefix, skill).queue }));
      return found.QueueUrl ?? null;
    } catch (error) {
      if (error instanceof Error && /NonExistentQueue|QueueDoesNotExist/.test(error.name)) return null;
      throw error;
    }
  };
}
