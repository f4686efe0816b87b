import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NotFoundError } from '../core/errors.ts';
import { messageTime, StoredMessageSchema, type OutboundStoredMessage, type StoredMessage } from '../core/model/stored-message.ts';
import type { MessageStore } from '../core/ports/inbound.ts';
import type { ConversationMessages } from '../core/ports/outbound-store.ts';
import { itemKeys } from './dynamo-schema.ts';
import { key, withoutKeys } from './dynamo-util.ts';

/** Messages of both directions under their conversation's partition (or the channel's loose partition), sorted by time. */
export class DynamoMessageStore implements MessageStore, ConversationMessages {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(message: StoredMessage): Promise<void> {
    const k = itemKeys.message(message.channelId, message.conversationId, messageTime(message), message.messageId);
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...k, kind: 'message', ...message } }));
  }

  async list(conversationId: string): Promise<StoredMessage[]> {
    const messages: StoredMessage[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :msg)',
        ExpressionAttributeValues: { ':pk': `CONV#${conversationId}`, ':msg': 'MSG#' },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }));
      for (const item of out.Items ?? []) messages.push(parseMessage(item));
      start = out.LastEvaluatedKey;
    } while (start);
    return messages;
  }

  async getOutbound(k: { readonly conversationId: string; readonly createdAt: string; readonly messageId: string }): Promise<OutboundStoredMessage> {
    const itemKey = key(itemKeys.message('', k.conversationId, k.createdAt, k.messageId));
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: itemKey, ConsistentRead: true }));
    const message = out.Item ? parseMessage(out.Item) : null;
    if (message?.direction !== 'outbound') throw new NotFoundError(`outbound message ${k.messageId} does not exist`);
    return message;
  }
}

function parseMessage(item: Record<string, unknown>): StoredMessage {
  const { kind: _kind, ...rest } = withoutKeys(item);
  // Messages written before both directions were stored are inbound.
  return StoredMessageSchema.parse({ direction: 'inbound', ...rest });
}
