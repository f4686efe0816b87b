import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { WindowCounter } from '../core/ports/window-counter.ts';
import { itemKeys, TTL_ATTRIBUTE } from './dynamo-schema.ts';

/**
 * Sliding-window counts in the Postroom table: one small item per event under `HITS#<key>`,
 * sorted by time, expiring by TTL a day after it leaves the window. A hit is an unconditional
 * put (the same event writes the same item) and a count query over the window: no counters to
 * reset, no read-modify-write race.
 */
export class DynamoWindowCounter implements WindowCounter {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async hit(key: string, event: { readonly id: string; readonly at: Date }, windowMs: number): Promise<number> {
    const at = event.at.toISOString();
    const k = itemKeys.hit(key, at, event.id);
    const expiresAt = Math.ceil((event.at.getTime() + windowMs) / 1000) + 86_400;
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...k, kind: 'hit', at, [TTL_ATTRIBUTE]: expiresAt } }));
    const from = new Date(event.at.getTime() - windowMs + 1).toISOString();
    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': k.pk, ':from': from, ':to': `${at}#\uffff` },
          Select: 'COUNT',
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      count += out.Count ?? 0;
      start = out.LastEvaluatedKey;
    } while (start);
    return count;
  }
}
