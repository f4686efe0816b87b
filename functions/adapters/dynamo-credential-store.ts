import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CredentialStore, StoredCredentials } from '../core/ports/credentials.ts';
import type { SecretPurpose } from '../core/ports/outbound.ts';
import { itemKeys } from './dynamo-schema.ts';
import { key } from './dynamo-util.ts';

const PURPOSES: readonly SecretPurpose[] = ['smtp-password', 'oauth-client-secret', 'oauth-refresh-token'];

/** One item per channel holding the ciphertext of each secret (never plaintext) and a health mark. */
export class DynamoCredentialStore implements CredentialStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(channelId: string): Promise<StoredCredentials> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key(itemKeys.credentials(channelId)), ConsistentRead: true }));
    const item = out.Item ?? {};
    const secrets: StoredCredentials['secrets'] = {};
    for (const purpose of PURPOSES) {
      const value = item[purpose] as { ciphertext?: unknown; updatedAt?: unknown } | undefined;
      if (typeof value?.ciphertext === 'string' && typeof value.updatedAt === 'string') secrets[purpose] = { ciphertext: value.ciphertext, updatedAt: value.updatedAt };
    }
    const unhealthy = item.unhealthy as { reason?: unknown; since?: unknown } | undefined;
    return {
      channelId,
      secrets,
      unhealthy: typeof unhealthy?.reason === 'string' && typeof unhealthy.since === 'string' ? { reason: unhealthy.reason, since: unhealthy.since } : null,
    };
  }

  async put(channelId: string, purpose: SecretPurpose, ciphertext: string, at: string): Promise<void> {
    await this.client.send(new UpdateCommand({
      TableName: this.tableName,
      Key: key(itemKeys.credentials(channelId)),
      UpdateExpression: 'SET #purpose = :secret, channelId = :channel REMOVE unhealthy',
      ExpressionAttributeNames: { '#purpose': purpose },
      ExpressionAttributeValues: { ':secret': { ciphertext, updatedAt: at }, ':channel': channelId },
    }));
  }

  async markUnhealthy(channelId: string, reason: string, at: string): Promise<void> {
    await this.client.send(new UpdateCommand({
      TableName: this.tableName,
      Key: key(itemKeys.credentials(channelId)),
      // The first refusal's time stands until an admin stores new credentials.
      UpdateExpression: 'SET unhealthy = if_not_exists(unhealthy, :mark), channelId = :channel',
      ExpressionAttributeValues: { ':mark': { reason: reason.slice(0, 500), since: at }, ':channel': channelId },
    }));
  }
}
