import { DeleteCommand, GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import { ConflictError, NotFoundError } from '../core/errors.ts';
import type { ManagedBy } from '../core/model/admin-resources.ts';
import type { Page, PageRequest, Versioned, VersionedStore } from '../core/ports/admin.ts';
import { decodeCursor, encodeCursor } from './dynamo-cursor.ts';
import { isConditionFailed } from './dynamo-util.ts';

export interface VersionedItemFormat<T> {
  /** Partition holding every item of this kind (and scope). */
  readonly partition: string;
  /** Attribute holding the value as a JSON string (`settings` for channels, as the inbound function reads them). */
  readonly attribute: string;
  /** Validates what is read back: the shape the API writes (its write limits may be left out, so older values still load). */
  readonly schema: z.ZodType<T>;
}

/**
 * Versioned items of one partition, one item per id: `{ pk, sk: id, <attribute>: JSON, version,
 * updatedAt, managedBy }`. Writes are conditional on the version the caller read, so a stale
 * write fails (`ConflictError`) instead of overwriting. Items the deploy seeded before versions
 * existed read as version 0, owned by the config.
 */
export class DynamoVersionedStore<T> implements VersionedStore<T> {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly format: VersionedItemFormat<T>,
  ) {}

  async get(id: string): Promise<Versioned<T> | null> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: this.key(id), ConsistentRead: true }));
    return out.Item ? this.parse(out.Item) : null;
  }

  async list(page: PageRequest): Promise<Page<Versioned<T>>> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': this.format.partition },
        ConsistentRead: true,
        Limit: page.limit,
        ExclusiveStartKey: decodeCursor(page.cursor),
      }),
    );
    return { items: (out.Items ?? []).map((i) => this.parse(i)), cursor: encodeCursor(out.LastEvaluatedKey) };
  }

  async create(id: string, value: T, at: string): Promise<Versioned<T>> {
    const stored: Versioned<T> = { value, version: 1, updatedAt: at, managedBy: 'api' };
    try {
      await this.client.send(new PutCommand({ TableName: this.tableName, Item: this.item(id, stored), ConditionExpression: 'attribute_not_exists(pk)' }));
    } catch (error) {
      if (isConditionFailed(error)) throw new ConflictError(`${id} exists already`, { cause: error });
      throw error;
    }
    return stored;
  }

  async replace(id: string, value: T, expectedVersion: number, at: string): Promise<Versioned<T>> {
    const stored: Versioned<T> = { value, version: expectedVersion + 1, updatedAt: at, managedBy: 'api' };
    try {
      await this.client.send(new PutCommand({ TableName: this.tableName, Item: this.item(id, stored), ...this.atVersion(expectedVersion) }));
    } catch (error) {
      throw await this.whyFailed(id, expectedVersion, error);
    }
    return stored;
  }

  async delete(id: string, expectedVersion: number): Promise<void> {
    try {
      await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: this.key(id), ...this.atVersion(expectedVersion) }));
    } catch (error) {
      throw await this.whyFailed(id, expectedVersion, error);
    }
  }

  private atVersion(version: number): { ConditionExpression: string; ExpressionAttributeValues?: Record<string, number> } {
    // Version 0: an item seeded before versions existed.
    if (version === 0) return { ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(version)' };
    return { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': version } };
  }

  private async whyFailed(id: string, expectedVersion: number, error: unknown): Promise<unknown> {
    if (!isConditionFailed(error)) return error;
    const current = await this.get(id);
    if (!current) return new NotFoundError(`${id} not found`);
    return new ConflictError(`${id} is at version ${current.version}, not ${expectedVersion}: read it again`, { cause: error });
  }

  private key(id: string): { pk: string; sk: string } {
    return { pk: this.format.partition, sk: id };
  }

  private item(id: string, stored: Versioned<T>): Record<string, unknown> {
    return {
      ...this.key(id),
      [this.format.attribute]: JSON.stringify(stored.value),
      version: stored.version,
      updatedAt: stored.updatedAt,
      managedBy: stored.managedBy,
    };
  }

  private parse(item: Record<string, unknown>): Versioned<T> {
    return {
      value: this.format.schema.parse(JSON.parse(String(item[this.format.attribute]))),
      version: typeof item.version === 'number' ? item.version : 0,
      updatedAt: typeof item.updatedAt === 'string' ? item.updatedAt : '',
      managedBy: (item.managedBy === 'api' ? 'api' : 'config') satisfies ManagedBy,
    };
  }
}
