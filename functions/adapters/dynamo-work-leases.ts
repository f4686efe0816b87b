import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { WorkLeaseSchema, type WorkLease } from '../core/work/work-item.ts';
import type { LeaseStore } from '../core/work/work-ports.ts';
import { itemKeys, TTL_ATTRIBUTE } from './dynamo-schema.ts';
import { batchGet, isConditionFailed, key, queryAll } from './dynamo-util.ts';

/**
 * How long the by-conversation entry outlives any lease: SQS keeps a received message invisible
 * for at most 12 hours in all, so no lease can end later than that after its take.
 */
const INDEX_TTL_SECONDS = 12 * 3600;

/** An entry without its lease this long after the take is an orphan: the lease's put follows the entry's within moments. */
const ORPHAN_AFTER_MS = 60_000;

const ttlOf = (iso: string, extraSeconds = 0): number => Math.ceil(Date.parse(iso) / 1000) + extraSeconds;

/**
 * Leases in the Postroom table: the lease item (`LEASE#<id>`, its JSON with the receipt handle)
 * and an entry under its conversation (`LEASES#<conversationId>`) that a reply or close finds it
 * by. Two plain writes, no transaction (the local stand-in has none): the entry first, so a lease
 * that exists is always findable; an entry whose lease is gone is skipped on read and removed.
 * Both carry the table's TTL; reads return expired leases as well, for the use cases to judge.
 */
export class DynamoWorkLeases implements LeaseStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(lease: WorkLease): Promise<void> {
    if (lease.conversationId) {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...itemKeys.conversationLease(lease.conversationId, lease.id),
            kind: 'conversation-lease',
            agentId: lease.agentId,
            takenAt: lease.takenAt,
            [TTL_ATTRIBUTE]: ttlOf(lease.takenAt, INDEX_TTL_SECONDS),
          },
        }),
      );
    }
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: this.item(lease), ConditionExpression: 'attribute_not_exists(pk)' }));
  }

  async get(id: string): Promise<WorkLease | null> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key(itemKeys.lease(id)), ConsistentRead: true }));
    return this.parse(out.Item);
  }

  async replace(lease: WorkLease): Promise<boolean> {
    try {
      await this.client.send(new PutCommand({ TableName: this.tableName, Item: this.item(lease), ConditionExpression: 'attribute_exists(pk)' }));
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  async remove(lease: WorkLease): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: key(itemKeys.lease(lease.id)) }));
    if (lease.conversationId)
      await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: key(itemKeys.conversationLease(lease.conversationId, lease.id)) }));
  }

  async onConversation(conversationId: string): Promise<WorkLease[]> {
    const entries = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': itemKeys.conversationLease(conversationId, '').pk },
      ConsistentRead: true,
    });
    const found = (
      await batchGet(
        this.client,
        this.tableName,
        entries.map((e) => itemKeys.lease(String(e.sk))),
      )
    )
      .map((item) => this.parse(item))
      .filter((lease): lease is WorkLease => lease !== null);
    // Entries whose lease is gone (a remove cut short, a put that never came); not a young one, whose lease may be being written.
    const settled = Date.now() - ORPHAN_AFTER_MS;
    const orphans = entries.filter((e) => !found.some((l) => l.id === e.sk) && Date.parse(String(e.takenAt)) < settled);
    for (const e of orphans)
      await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: key(itemKeys.conversationLease(conversationId, String(e.sk))) }));
    return found;
  }

  private item(lease: WorkLease): Record<string, unknown> {
    return { ...itemKeys.lease(lease.id), kind: 'lease', lease: JSON.stringify(lease), [TTL_ATTRIBUTE]: ttlOf(lease.expiresAt) };
  }

  private parse(item: Record<string, unknown> | undefined): WorkLease | null {
    return typeof item?.lease === 'string' ? WorkLeaseSchema.parse(JSON.parse(item.lease)) : null;
  }
}
