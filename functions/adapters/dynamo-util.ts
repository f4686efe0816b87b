import { BatchGetCommand, BatchWriteCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { ItemKey } from './dynamo-schema.ts';

/** True for a failed `ConditionExpression` (the loser of a first-writer-wins write). */
export function isConditionFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** An item without its key attributes, ready for schema parsing. */
export function withoutKeys(item: Record<string, unknown>): Record<string, unknown> {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, ...rest } = item;
  return rest;
}

/** `ItemKey` as a plain key map for the document client. */
export function key(k: ItemKey): Record<string, string> {
  return { pk: k.pk, sk: k.sk };
}

/** Splits a list into chunks (BatchGetItem takes at most 100 keys). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Reads many items by key with BatchGetItem (strongly consistent), retrying unprocessed keys.
 * Returns the items found, in no particular order.
 */
export async function batchGet(client: DynamoDBDocumentClient, tableName: string, keys: readonly ItemKey[]): Promise<Record<string, unknown>[]> {
  const unique = [...new Map(keys.map((k) => [`${k.pk}\u0000${k.sk}`, key(k)])).values()];
  const found: Record<string, unknown>[] = [];
  for (const batch of chunks(unique, 100)) {
    let pending: Record<string, unknown>[] = batch;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
      const out = await client.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }));
      found.push(...(out.Responses?.[tableName] ?? []));
      pending = out.UnprocessedKeys?.[tableName]?.Keys ?? [];
    }
  }
  return found;
}

/** Every item a query matches, following `LastEvaluatedKey` page by page. */
export async function queryAll(client: DynamoDBDocumentClient, input: Omit<QueryCommandInput, 'ExclusiveStartKey'>): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Writes items without conditions with BatchWriteItem (25 per request), retrying unprocessed ones. */
export async function batchPut(client: DynamoDBDocumentClient, tableName: string, items: readonly Record<string, unknown>[]): Promise<void> {
  for (const batch of chunks(items, 25)) {
    let pending = batch.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
      const out = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
      pending = (out.UnprocessedItems?.[tableName] ?? []).flatMap((r) => (r.PutRequest?.Item ? [{ PutRequest: { Item: r.PutRequest.Item } }] : []));
    }
  }
}

/**
 * Saves an item whose `version` counts its saves (a job's): version 1 only where there is none
 * yet, every later one only over the version before it. False when another writer came first.
 */
export async function putNextVersion(
  client: DynamoDBDocumentClient,
  tableName: string,
  item: Record<string, unknown> & { readonly version: number },
): Promise<boolean> {
  try {
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: item,
        ConditionExpression: item.version === 1 ? 'attribute_not_exists(pk)' : 'version = :previous',
        ...(item.version === 1 ? {} : { ExpressionAttributeValues: { ':previous': item.version - 1 } }),
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}
