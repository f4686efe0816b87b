import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { StoredMessage } from '../core/model/inbound-record.ts';
import type { MessageStore } from '../core/ports.ts';
import { itemKeys } from './dynamo-schema.ts';
import { isConditionFailed, key } from './dynamo-util.ts';

/** Messages under their conversation's partition (or the channel's loose partition), sorted by time. */
export class DynamoMessageStore implements MessageStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(message: StoredMessage): Promise<void> {
    const k = itemKeys.message(message.channelId, message.conversationId, message.receivedAt, message.messageId);
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...k, kind: 'message', ...message } }));
  }

  async claimOwnId(channelId: string, internetMessageId: string, messageId: string): Promise<string> {
    const k = itemKeys.ownId(channelId, internetMessageId);
    try {
      await this.client.send(new PutCommand({
        TableName: this.tableName,
        Item: { ...k, channelId, internetMessageId, messageId },
        ConditionExpression: 'attribute_not_exists(pk)',
      }));
      return messageId;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key(k), ConsistentRead: true }));
    return String(out.Item?.messageId);
  }
}
