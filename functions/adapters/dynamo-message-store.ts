import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { BusyError, NotFoundError } from '../core/errors.ts';
import { AcknowledgementRecordSchema } from '../core/model/inbound-record.ts';
import { StoredRoutedMessageSchema } from '../core/model/routed-message.ts';
import { messageTime, StoredMessageSchema, type InboundStoredMessage, type OutboundStoredMessage, type StoredMessage } from '../core/model/stored-message.ts';
import type { DecidedCheckpoint, DecidedMessage, DecidedMessages, InboundMessageKey, MessageRetention, MessageStore } from '../core/ports/inbound.ts';
import type { ConversationMessages } from '../core/ports/outbound-store.ts';
import { RETENTION_DEFAULTS, type RetentionSettings } from '../core/model/retention.ts';
import { expiryAfter } from '../core/retention/expiry.ts';
import { itemKeys } from './dynamo-schema.ts';
import { isConditionFailed, key, withoutKeys } from './dynamo-util.ts';

/**
 * Messages of both directions under their conversation's partition (or the channel's loose
 * partition), sorted by time. An inbound message may carry its mail's decided checkpoint
 * (`decided`, first writer wins), which reads of the message leave out.
 */
export class DynamoMessageStore implements MessageStore, DecidedMessages, ConversationMessages {
  private readonly mailDays: number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** The account-wide retention: a message outside any conversation is kept `mailDays` after it arrived, unless its channel says otherwise. */
    options: { readonly retention?: Pick<RetentionSettings, 'mailDays'> } = {},
  ) {
    this.mailDays = options.retention?.mailDays ?? RETENTION_DEFAULTS.mailDays;
  }

  async put(message: InboundStoredMessage, options: MessageRetention = {}): Promise<void> {
    const at = messageTime(message);
    const k = itemKeys.message(message.channelId, message.conversationId, at, message.messageId);
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...k, kind: 'message', ...message, ...this.retention(message, options) } }));
  }

  async putDecided(
    message: InboundStoredMessage,
    decided: DecidedCheckpoint,
    options: { readonly replace: boolean } & MessageRetention,
  ): Promise<DecidedMessage> {
    const k = { channelId: message.channelId, conversationId: message.conversationId, receivedAt: message.receivedAt, messageId: message.messageId };
    const item = {
      ...itemKeys.message(k.channelId, k.conversationId, k.receivedAt, k.messageId),
      kind: 'message',
      ...message,
      ...this.retention(message, options),
      [DECIDED]: decided,
    };
    const firstOnly = { ConditionExpression: 'attribute_not_exists(#decided)', ExpressionAttributeNames: { '#decided': DECIDED } };
    try {
      await this.client.send(new PutCommand({ TableName: this.tableName, Item: item, ...(options.replace ? {} : firstOnly) }));
      return { message, decided };
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
    // Another attempt of the mail stored it first: its checkpoint stands.
    const stands = await this.findDecided(k);
    if (!stands) throw new BusyError(`message ${message.messageId} lost its checkpoint while being stored`);
    return stands;
  }

  /**
   * What the expiry reads of the item (never read back as the message): only a message outside any
   * conversation carries a TTL, the others go when their conversation does; `claimIds`, the claims
   * to delete with it.
   */
  private retention(message: StoredMessage, options: MessageRetention): Record<string, unknown> {
    const ids = options.claimIds && options.claimIds.length > 0 ? { [CLAIM_IDS]: [...new Set(options.claimIds)] } : {};
    if (message.conversationId !== null) return ids;
    return { ...ids, expiresAt: expiryAfter(messageTime(message), options.retentionDays ?? this.mailDays) };
  }

  async findDecided(k: InboundMessageKey): Promise<DecidedMessage | null> {
    const itemKey = key(itemKeys.message(k.channelId, k.conversationId, k.receivedAt, k.messageId));
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: itemKey, ConsistentRead: true }));
    if (!out.Item?.[DECIDED]) return null;
    const message = parseMessage(out.Item);
    if (message.direction !== 'inbound') return null;
    return { message, decided: DecidedCheckpointSchema.parse(out.Item[DECIDED]) };
  }

  async list(conversationId: string): Promise<StoredMessage[]> {
    const messages: StoredMessage[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :msg)',
          ExpressionAttributeValues: { ':pk': `CONV#${conversationId}`, ':msg': 'MSG#' },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
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

/** The attribute holding the decided checkpoint of an inbound message (processing state, not part of the message). */
const DECIDED = 'decided';
/** The attribute listing the Message-IDs an inbound message's threading claimed (`expiringMessageOf` reads it). */
export const CLAIM_IDS = 'claimIds';

const DecidedCheckpointSchema = z.object({ routed: StoredRoutedMessageSchema.nullable(), acknowledgement: AcknowledgementRecordSchema.nullable() });

function parseMessage(item: Record<string, unknown>): StoredMessage {
  const { kind: _kind, [DECIDED]: _decided, [CLAIM_IDS]: _claims, ...rest } = withoutKeys(item);
  // Messages written before both directions were stored are inbound.
  return StoredMessageSchema.parse({ direction: 'inbound', ...rest });
}
