import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { messageTime, type StoredMessage } from '../core/model/stored-message.ts';
import type { MessageStore } from '../core/ports/inbound.ts';
import { itemKeys } from './dynamo-schema.ts';

/** Messages of both directions under their conversation's partition (or the channel's loose partition), sorted by time. */
export class DynamoMessageStore implements MessageStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(message: StoredMessage): Promise<void> {
    const k = itemKeys.message(message.channelId, message.conversationId, messageTime(message), message.messageId);
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...k, kind: 'message', ...message } }));
  }
}
