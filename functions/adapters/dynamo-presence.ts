import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PresenceRecordSchema, type PresenceRecord } from '../core/work/work-item.ts';
import type { PresenceStore } from '../core/work/work-ports.ts';
import { itemKeys, TTL_ATTRIBUTE } from './dynamo-schema.ts';
import { key, queryAll } from './dynamo-util.ts';

/**
 * Presence in the Postroom table, one item per agent under the conversation
 * (`PRESENCE#<conversationId>`, sk the agent id), overwritten by each heartbeat. The table's TTL
 * removes lapsed entries eventually (the local stand-in never does): reads return them too, and the
 * use cases leave out what lapsed by `until`.
 */
export class DynamoPresence implements PresenceStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(conversationId: string, agentId: string): Promise<PresenceRecord | null> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: key(itemKeys.presence(conversationId, agentId)), ConsistentRead: true }),
    );
    return parse(out.Item);
  }

  async put(record: PresenceRecord): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...itemKeys.presence(record.conversationId, record.agentId),
          kind: 'presence',
          presence: JSON.stringify(record),
          [TTL_ATTRIBUTE]: Math.ceil(Date.parse(record.until) / 1000),
        },
      }),
    );
  }

  async remove(conversationId: string, agentId: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: key(itemKeys.presence(conversationId, agentId)) }));
  }

  async list(conversationId: string): Promise<PresenceRecord[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': itemKeys.presence(conversationId, '').pk },
      ConsistentRead: true,
    });
    return items.map(parse).filter((p): p is PresenceRecord => p !== null);
  }
}

function parse(item: Record<string, unknown> | undefined): PresenceRecord | null {
  return typeof item?.presence === 'string' ? PresenceRecordSchema.parse(JSON.parse(item.presence)) : null;
}
