import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  DeleteCommand,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { SettledKeySchema, SourceStateSchema, type SettledKey, type SourceState } from '../core/model/source-state.ts';
import type { SourceKeys, SourceStateStore } from '../core/ports/source-state.ts';
import { itemKeys } from './dynamo-schema.ts';
import { isConditionFailed } from './dynamo-util.ts';

/** Mailbox source state, one item per channel (`state` JSON, `version`, the poll lease `leaseUntil`). */
export class DynamoSourceStateStore implements SourceStateStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(channelId: string): Promise<SourceState | null> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: itemKeys.sourceState(channelId), ConsistentRead: true }));
    const state = out.Item?.state;
    return typeof state === 'string' ? SourceStateSchema.parse(JSON.parse(state)) : null;
  }

  async put(state: SourceState): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: itemKeys.sourceState(state.channelId),
          UpdateExpression: 'SET #state = :state, version = :version',
          ConditionExpression: state.version === 1 ? 'attribute_not_exists(version) OR version = :previous' : 'version = :previous',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':state': JSON.stringify(state), ':version': state.version, ':previous': state.version - 1 },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  async lease(channelId: string, now: string, until: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: itemKeys.sourceState(channelId),
          UpdateExpression: 'SET leaseUntil = :until',
          ConditionExpression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now',
          ExpressionAttributeValues: { ':until': until, ':now': now },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  async release(channelId: string): Promise<void> {
    await this.client.send(new UpdateCommand({ TableName: this.tableName, Key: itemKeys.sourceState(channelId), UpdateExpression: 'REMOVE leaseUntil' }));
  }

  async delete(channelId: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: itemKeys.sourceState(channelId) }));
  }
}

/** BatchGetItem takes at most 100 keys. */
const BATCH = 100;

/** Settled message keys and content hashes of mailbox sources and imports. */
export class DynamoSourceKeys implements SourceKeys {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async settled(channelId: string, keys: readonly string[]): Promise<ReadonlyMap<string, SettledKey>> {
    const found = new Map<string, SettledKey>();
    for (let i = 0; i < keys.length; i += BATCH) {
      let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean }> | undefined = {
        [this.tableName]: { Keys: keys.slice(i, i + BATCH).map((k) => ({ ...itemKeys.sourceKey(channelId, k) })), ConsistentRead: true },
      };
      // Unprocessed keys come back under load; ask again for them.
      for (let round = 0; request && round < 5; round += 1) {
        const out: BatchGetCommandOutput = await this.client.send(new BatchGetCommand({ RequestItems: request }));
        for (const item of out.Responses?.[this.tableName] ?? []) {
          const entry = SettledKeySchema.parse(JSON.parse(String(item.entry)));
          found.set(entry.key, entry);
        }
        const left: { Keys?: Record<string, unknown>[] } | undefined = out.UnprocessedKeys?.[this.tableName];
        request = left?.Keys?.length ? { [this.tableName]: { Keys: left.Keys, ConsistentRead: true } } : undefined;
      }
    }
    return found;
  }

  async markSettled(channelId: string, entry: SettledKey): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...itemKeys.sourceKey(channelId, entry.key), entry: JSON.stringify(entry) } }));
  }

  async claimHash(channelId: string, sha256: string, mailId: string): Promise<string> {
    const Key = itemKeys.sourceHash(channelId, sha256);
    try {
      await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...Key, mailId }, ConditionExpression: 'attribute_not_exists(pk)' }));
      return mailId;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key, ConsistentRead: true }));
    return String(out.Item?.mailId ?? mailId);
  }
}
