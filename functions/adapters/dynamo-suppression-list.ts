import { DeleteCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { HASHED_ADDRESS_PREFIX, SuppressionEntrySchema, type SuppressionEntry, type SuppressionScope } from '../core/model/suppression.ts';
import type { SuppressionList } from '../core/ports/suppression.ts';
import { itemKeys } from './dynamo-schema.ts';
import { batchGet, key, withoutKeys } from './dynamo-util.ts';
import { sha256Hex } from './node-digests.ts';

/** The partition part of a scope: the channel id, or `*` for the account-wide list. */
export function suppressionScopeKey(scope: SuppressionScope): string {
  return scope.kind === 'account' ? '*' : scope.channelId;
}

const normal = (address: string): string => address.trim().toLowerCase();

/** The account-wide key of an erased address's hashed entry (`sha256:<hex>`: no address has no `@`, so the two never meet). */
export function hashedSuppressionAddress(address: string): string {
  return `${HASHED_ADDRESS_PREFIX}${sha256Hex(normal(address))}`;
}

/**
 * The suppression list in the Postroom table: one item per (scope, address) under
 * `SUPP#<channelId>` or `SUPP#*`, sorted by address, so a scope lists with one query and a send
 * checks the channel's and the account's entry with one BatchGetItem.
 */
export class DynamoSuppressionList implements SuppressionList {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async find(channelId: string, address: string): Promise<SuppressionEntry | null> {
    const wanted = normal(address);
    const own = itemKeys.suppression(channelId, wanted);
    // The hashed entry an erasure left rides in the same BatchGetItem: no extra call per send.
    const hashed = itemKeys.suppression('*', hashedSuppressionAddress(wanted));
    const items = await batchGet(this.client, this.tableName, [own, itemKeys.suppression('*', wanted), hashed]);
    // The channel's own entry first: it says more (which channel's mail bounced) than the account's.
    const item = items.find((i) => i.pk === own.pk) ?? items.find((i) => i.sk === wanted) ?? items[0];
    if (!item) return null;
    const entry = SuppressionEntrySchema.parse(withoutKeys(item));
    // A hashed entry names the address it was found for, so a refusal says whom it refused.
    return entry.hashed ? { ...entry, address: wanted } : entry;
  }

  async put(entry: SuppressionEntry): Promise<void> {
    const parsed = SuppressionEntrySchema.parse({ ...entry, address: normal(entry.address) });
    const k = itemKeys.suppression(suppressionScopeKey(parsed.scope), parsed.address);
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...k, kind: 'suppression', ...parsed } }));
  }

  async remove(scope: SuppressionScope, address: string): Promise<boolean> {
    const k = itemKeys.suppression(suppressionScopeKey(scope), normal(address));
    const out = await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: key(k), ReturnValues: 'ALL_OLD' }));
    return out.Attributes !== undefined;
  }

  async list(
    scope: SuppressionScope,
    options: { readonly limit: number; readonly cursor?: string },
  ): Promise<{ entries: SuppressionEntry[]; cursor: string | null }> {
    const pk = itemKeys.suppression(suppressionScopeKey(scope), '').pk;
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        Limit: Math.max(1, Math.min(options.limit, 1000)),
        ConsistentRead: true,
        ...(options.cursor ? { ExclusiveStartKey: { pk, sk: normal(options.cursor) } } : {}),
      }),
    );
    const entries = (out.Items ?? []).map((i) => SuppressionEntrySchema.parse(withoutKeys(i)));
    const last = out.LastEvaluatedKey?.sk;
    return { entries, cursor: typeof last === 'string' ? last : null };
  }
}
