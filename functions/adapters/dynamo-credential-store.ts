import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CredentialHealthSchema, SECRET_KINDS, type CredentialHealth, type SecretKind } from '../core/model/admin-resources.ts';
import type { CredentialStore, StoredCredentials } from '../core/ports/admin.ts';
import { itemKeys } from './dynamo-schema.ts';
import { isConditionFailed, key } from './dynamo-util.ts';

/** Most consent `state`s pending per channel; the oldest goes first. */
const MAX_OAUTH_STATES = 10;

/**
 * A channel's credentials as ciphertexts (attributes named as `StoredSmtpSecrets` names them:
 * `smtpPassword`, `oauthClientSecret`, `oauthRefreshToken`), with when each was set, the last
 * health check and the pending OAuth consent states (`oauthStates`: state → expiry; not a
 * secret). Plaintext never reaches this adapter.
 */
export class DynamoCredentialStore implements CredentialStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(channelId: string): Promise<StoredCredentials | null> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key(itemKeys.credentials(channelId)), ConsistentRead: true }));
    const item = out.Item;
    if (!item) return null;
    const ciphertexts: Partial<Record<SecretKind, string>> = {};
    const setAt: Partial<Record<SecretKind, string>> = {};
    for (const kind of SECRET_KINDS) {
      if (typeof item[kind] === 'string') ciphertexts[kind] = item[kind];
      if (typeof item[`${kind}SetAt`] === 'string') setAt[kind] = item[`${kind}SetAt`];
    }
    const health = CredentialHealthSchema.safeParse(item.health);
    return { ciphertexts, setAt, health: health.success ? health.data : { status: 'unknown', checkedAt: null, detail: null } };
  }

  async putSecret(channelId: string, kind: SecretKind, ciphertext: string, at: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key(itemKeys.credentials(channelId)),
        UpdateExpression: 'SET channelId = :channel, #secret = :ciphertext, #setAt = :at, health = :unknown',
        ExpressionAttributeNames: { '#secret': kind, '#setAt': `${kind}SetAt` },
        ExpressionAttributeValues: {
          ':channel': channelId,
          ':ciphertext': ciphertext,
          ':at': at,
          ':unknown': { status: 'unknown', checkedAt: null, detail: null },
        },
      }),
    );
  }

  async clear(channelId: string, health: CredentialHealth): Promise<SecretKind[]> {
    const attributes = [...SECRET_KINDS.flatMap((k) => [k, `${k}SetAt`]), 'oauthStates'];
    const names = Object.fromEntries(attributes.map((a, i) => [`#a${i}`, a]));
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(itemKeys.credentials(channelId)),
          UpdateExpression: `SET health = :health REMOVE ${Object.keys(names).join(', ')}`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':health': health },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return SECRET_KINDS.filter((kind) => typeof out.Attributes?.[kind] === 'string');
    } catch (error) {
      if (isConditionFailed(error)) return [];
      throw error;
    }
  }

  async putOAuthState(channelId: string, state: string, expiresAt: string, now: string): Promise<void> {
    const k = key(itemKeys.credentials(channelId));
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: k, ConsistentRead: true, ProjectionExpression: 'oauthStates' }));
    const pending = Object.entries(statesOf(out.Item?.oauthStates))
      .filter(([s]) => s !== state)
      .sort(([, a], [, b]) => (a < b ? 1 : -1));
    const keep = pending
      .filter(([, at]) => at > now)
      .slice(0, MAX_OAUTH_STATES - 1)
      .map(([s]) => s);
    const drop = pending.map(([s]) => s).filter((s) => !keep.includes(s));
    // A map must exist before one of its entries can be set.
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: k,
        UpdateExpression: 'SET channelId = :channel, oauthStates = if_not_exists(oauthStates, :empty)',
        ExpressionAttributeValues: { ':channel': channelId, ':empty': {} },
      }),
    );
    const names: Record<string, string> = { '#new': state, ...Object.fromEntries(drop.map((s, i) => [`#d${i}`, s])) };
    const remove = drop.length ? ` REMOVE ${drop.map((_, i) => `oauthStates.#d${i}`).join(', ')}` : '';
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: k,
        UpdateExpression: `SET oauthStates.#new = :expires${remove}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':expires': expiresAt },
      }),
    );
  }

  async takeOAuthState(channelId: string, state: string, now: string): Promise<boolean> {
    try {
      // Removed only while unexpired, in one conditional write: two exchanges cannot both use it.
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(itemKeys.credentials(channelId)),
          UpdateExpression: 'REMOVE oauthStates.#state',
          ConditionExpression: 'oauthStates.#state > :now',
          ExpressionAttributeNames: { '#state': state },
          ExpressionAttributeValues: { ':now': now },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  async putHealth(channelId: string, health: CredentialHealth): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key(itemKeys.credentials(channelId)),
        UpdateExpression: 'SET channelId = :channel, health = :health',
        ExpressionAttributeValues: { ':channel': channelId, ':health': health },
      }),
    );
  }
}

function statesOf(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object') return {};
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
}
