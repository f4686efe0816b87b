import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CredentialHealthSchema, SECRET_KINDS, type CredentialHealth, type SecretKind } from '../core/model/admin-resources.ts';
import type { CredentialStore, StoredCredentials } from '../core/ports/admin.ts';
import { itemKeys } from './dynamo-schema.ts';
import { key } from './dynamo-util.ts';

/**
 * A channel's credentials as ciphertexts (attributes named as `StoredSmtpSecrets` names them:
 * `smtpPassword`, `oauthClientSecret`, `oauthRefreshToken`), with when each was set and the last
 * health check. Plaintext never reaches this adapter.
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
    await this.client.send(new UpdateCommand({
      TableName: this.tableName,
      Key: key(itemKeys.credentials(channelId)),
      UpdateExpression: 'SET channelId = :channel, #secret = :ciphertext, #setAt = :at, health = :unknown',
      ExpressionAttributeNames: { '#secret': kind, '#setAt': `${kind}SetAt` },
      ExpressionAttributeValues: { ':channel': channelId, ':ciphertext': ciphertext, ':at': at, ':unknown': { status: 'unknown', checkedAt: null, detail: null } },
    }));
  }

  async putHealth(channelId: string, health: CredentialHealth): Promise<void> {
    await this.client.send(new UpdateCommand({
      TableName: this.tableName,
      Key: key(itemKeys.credentials(channelId)),
      UpdateExpression: 'SET channelId = :channel, health = :health',
      ExpressionAttributeValues: { ':channel': channelId, ':health': health },
    }));
  }
}
