import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BusyError } from '../core/errors.ts';
import { messageTime, OutboundStoredMessageSchema, type OutboundStoredMessage } from '../core/model/stored-message.ts';
import type { OutboundMessageStore } from '../core/ports/outbound-messages.ts';
import { itemKeys, type ItemKey } from './dynamo-schema.ts';
import { batchPut, isConditionFailed, key, withoutKeys } from './dynamo-util.ts';
import { bareMessageId } from '../core/model/outbound-mail.ts';

/** Lookups are keyed by the bare id, however a report or a header wrote it. */
const bare = (id: string): string => bareMessageId(id.trim());

/**
 * Outbound messages in the Postroom table: the message item where the message store keeps it
 * (under its conversation, sorted by time), plus small lookup items that point at it, one per
 * provider id (`OUTMSG#`) and one per Message-ID (`OUTMID#`). Lookups are written without
 * conditions (the same message writes the same pointers); feedback updates of the message are
 * conditional on the `updatedAt` they read, so two reports on one message never lose a recipient.
 */
export class DynamoOutboundMessages implements OutboundMessageStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  findBySesMessageId(sesMessageId: string): Promise<OutboundStoredMessage | null> {
    return this.follow(itemKeys.outboundByProviderId(sesMessageId));
  }

  findByInternetMessageId(channelId: string, internetMessageId: string): Promise<OutboundStoredMessage | null> {
    return this.follow(itemKeys.outboundByMessageId(channelId, bare(internetMessageId)));
  }

  async put(message: OutboundStoredMessage, options: { readonly expectedUpdatedAt?: string } = {}): Promise<void> {
    const parsed = OutboundStoredMessageSchema.parse(message);
    const target = messageKey(parsed);
    const item = { ...target, kind: 'message', ...parsed };
    if (options.expectedUpdatedAt === undefined) {
      await batchPut(this.client, this.tableName, [item, ...lookups(parsed, target)]);
      return;
    }
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'updatedAt = :expected',
          ExpressionAttributeValues: { ':expected': options.expectedUpdatedAt },
        }),
      );
    } catch (error) {
      if (isConditionFailed(error)) throw new BusyError(`outbound message ${parsed.messageId} changed since it was read`, { cause: error });
      throw error;
    }
  }

  private async follow(pointer: ItemKey): Promise<OutboundStoredMessage | null> {
    const found = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key(pointer), ConsistentRead: true }));
    const pk = found.Item?.targetPk;
    const sk = found.Item?.targetSk;
    if (typeof pk !== 'string' || typeof sk !== 'string') return null;
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk, sk }, ConsistentRead: true }));
    return out.Item ? OutboundStoredMessageSchema.parse(withoutKeys(out.Item)) : null;
  }
}

function messageKey(message: OutboundStoredMessage): ItemKey {
  return itemKeys.message(message.channelId, message.conversationId, messageTime(message), message.messageId);
}

function lookups(message: OutboundStoredMessage, target: ItemKey): Record<string, unknown>[] {
  const pointer = { targetPk: target.pk, targetSk: target.sk, messageId: message.messageId };
  const ids = new Set([message.internetMessageId, ...message.threadIds].filter((id): id is string => Boolean(id)).map(bare));
  return [
    ...(message.providerMessageId ? [{ ...itemKeys.outboundByProviderId(message.providerMessageId), kind: 'outbound-lookup', ...pointer }] : []),
    ...[...ids].map((id) => ({ ...itemKeys.outboundByMessageId(message.channelId, id), kind: 'outbound-lookup', ...pointer })),
  ];
}
