import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NotFoundError } from '../core/errors.ts';
import type { LegalHold } from '../core/model/retention.ts';
import type { ConversationSummary } from '../core/ports/admin.ts';
import { retentionSeconds } from '../core/retention/expiry.ts';
import type { LegalHolds } from '../core/retention/ports.ts';
import { summaryOf } from './dynamo-conversation-admin.ts';
import { itemKeys, TTL_ATTRIBUTE } from './dynamo-schema.ts';
import { isConditionFailed, key, queryAll } from './dynamo-util.ts';

/**
 * Legal holds on the conversation item (`legalHold`: since, by, reason), the attribute the
 * erasure and the expiry both read. Placing one removes the item's TTL in the same write, so
 * DynamoDB never deletes a held conversation (TTL deletes only what is still expired when it
 * gets to it); joins leave a held conversation without one (`DynamoConversationStore.join`).
 */
export class DynamoLegalHolds implements LegalHolds {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async place(conversationId: string, hold: LegalHold): Promise<ConversationSummary> {
    const held = await this.update(conversationId, {
      UpdateExpression: 'SET legalHold = :hold REMOVE #ttl',
      ConditionExpression: '#visibility = :published',
      ExpressionAttributeNames: { '#visibility': 'visibility', '#ttl': TTL_ATTRIBUTE },
      ExpressionAttributeValues: { ':published': 'published', ':hold': { since: hold.since, by: hold.by, reason: hold.reason } },
    });
    if (!held) throw new NotFoundError(`conversation ${conversationId} not found`);
    // Messages go with their conversation and carry no TTL of their own; any item of the
    // conversation that has one anyway (written by an older version) loses it too.
    const stray = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      FilterExpression: 'attribute_exists(#ttl)',
      ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
      ExpressionAttributeValues: { ':pk': itemKeys.conversation(conversationId).pk },
      ConsistentRead: true,
    });
    for (const item of stray.filter((i) => i.sk !== itemKeys.conversation(conversationId).sk)) {
      await this.client
        .send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: String(item.pk), sk: String(item.sk) },
            UpdateExpression: 'REMOVE #ttl',
            ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
            ConditionExpression: 'attribute_exists(pk)',
          }),
        )
        .catch(ignoreConditionFailed);
    }
    return held;
  }

  async release(conversationId: string, expiry: { readonly expiresAt: number; readonly retentionDays: number }): Promise<ConversationSummary> {
    const released = await this.update(conversationId, {
      UpdateExpression: 'REMOVE legalHold SET #ttl = :expiresAt, retentionSeconds = :seconds',
      ConditionExpression: '#visibility = :published AND attribute_exists(legalHold)',
      ExpressionAttributeNames: { '#visibility': 'visibility', '#ttl': TTL_ATTRIBUTE },
      ExpressionAttributeValues: { ':published': 'published', ':expiresAt': expiry.expiresAt, ':seconds': retentionSeconds(expiry.retentionDays) },
    });
    if (released) return released;
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key(itemKeys.conversation(conversationId)), ConsistentRead: true }));
    if (out.Item?.visibility !== 'published') throw new NotFoundError(`conversation ${conversationId} not found`);
    throw new NotFoundError(`conversation ${conversationId} has no legal hold`);
  }

  /** The conditional update of the conversation item; null when its condition failed. */
  private async update(
    conversationId: string,
    expression: Pick<
      ConstructorParameters<typeof UpdateCommand>[0],
      'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    >,
  ): Promise<ConversationSummary | null> {
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(itemKeys.conversation(conversationId)),
          ...expression,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return summaryOf(out.Attributes ?? {});
    } catch (error) {
      if (isConditionFailed(error)) return null;
      throw error;
    }
  }
}

function ignoreConditionFailed(error: unknown): void {
  if (!isConditionFailed(error)) throw error;
}
