import { DeleteCommand, QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { bareMessageId } from '../core/model/outbound-mail.ts';
import type { ExpiredConversation, ExpiredRecord, ExpiringItems, ExpiringMessage, ExpiryCandidate, RetentionRecords } from '../core/retention/ports.ts';
import { epochSeconds } from '../core/retention/expiry.ts';
import { decodeCursor, encodeCursor } from './dynamo-cursor.ts';
import { CLAIM_IDS } from './dynamo-message-store.ts';
import { itemKeys, TTL_ATTRIBUTE, type ItemKey } from './dynamo-schema.ts';
import { isConditionFailed, key, queryAll } from './dynamo-util.ts';

/*
 * Expiry in the Postroom table: what an expired item (its image, as DynamoDB's TTL deleted it or
 * the sandbox's sweep takes it) is, and the deletes that follow it. The item layout is
 * `dynamo-schema.ts`'s; every delete is conditional where another conversation or message may
 * own the item, so expiry never takes what is not its own.
 */

/**
 * Leading key prefixes the expiry reads and deletes (its IAM `dynamodb:LeadingKeys` condition): a
 * conversation's partition and its index entries, messages outside any conversation, Message-ID
 * claims, processing and sending records, and the lookups delivery feedback finds a message by.
 */
export const RETENTION_KEY_PREFIXES = [
  'CONV#',
  'LOOSE#',
  'MSGID#',
  'MSGIDH#',
  'TICKET#',
  'TOKEN#',
  'INBOUND#',
  'OUTBOUND#',
  'OUTMSG#',
  'OUTMID#',
  'OUTMIDH#',
] as const;

/**
 * Leading key prefixes of the items whose expiry leaves something behind (conversations, messages
 * outside any, failed mail): the stream passes the expiry only these. The rest that TTL deletes
 * (window events, acknowledgement claims) was all there was.
 */
export const EXPIRY_TRIGGER_PREFIXES = ['CONV#', 'LOOSE#', 'INBOUND#'] as const;

const str = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null);
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v.length > 0) : []);

/** What an expired item was, from its attributes (read leniently: an item of an older version still goes). */
export function expiredRecordOf(item: Record<string, unknown>): ExpiredRecord {
  const pk = str(item.pk) ?? '';
  const sk = str(item.sk) ?? '';
  if (pk.startsWith('CONV#') && sk === 'CONV') {
    const conversation: ExpiredConversation = {
      id: str(item.id) ?? pk.slice('CONV#'.length),
      channelId: str(item.channelId) ?? '',
      ticketNumber: str(item.ticketNumber) ?? '',
      replyToken: str(item.replyToken),
    };
    return { kind: 'conversation', conversation };
  }
  if ((pk.startsWith('CONV#') || pk.startsWith('LOOSE#')) && sk.startsWith('MSG#')) return { kind: 'message', message: expiringMessageOf(item) };
  if (pk.startsWith('INBOUND#') && sk.startsWith('FAILED#')) {
    const sesMessageId = str(item.sesMessageId) ?? pk.slice('INBOUND#'.length);
    return { kind: 'failed-mail', sesMessageId, channelId: str(item.channelId), rawKey: str(item.rawKey) ?? '' };
  }
  return { kind: 'other' };
}

/** A stored message item as expiry needs it. */
export function expiringMessageOf(item: Record<string, unknown>): ExpiringMessage {
  const outbound = item.direction === 'outbound';
  const own = str(item.internetMessageId);
  // Inbound: its own id and the ids it refers to (a new conversation claims those it did not know);
  // outbound: ours and the one the provider rewrote it to. An outbound `inReplyTo` is a Postroom id.
  const ids = outbound ? [own, ...strings(item.threadIds)] : [own, str(item.inReplyTo), ...strings(item.references), ...strings(item[CLAIM_IDS])];
  return {
    messageId: str(item.messageId) ?? '',
    channelId: str(item.channelId) ?? '',
    conversationId: str(item.conversationId),
    direction: outbound ? 'outbound' : 'inbound',
    at: str(outbound ? item.createdAt : item.receivedAt) ?? '',
    sesMessageId: outbound ? null : str(item.sesMessageId),
    rawKey: outbound ? null : str(item.rawKey),
    attachmentCount: Array.isArray(item.attachments) ? item.attachments.length : 0,
    messageIds: [
      ...new Set(
        ids
          .filter((id): id is string => id !== null)
          .map((id) => bareMessageId(id.trim()))
          .filter((id) => id.length > 0),
      ),
    ],
    providerMessageId: outbound ? str(item.providerMessageId) : null,
  };
}

/** The deletes that follow an expired item, in the Postroom table. */
export class DynamoRetentionRecords implements RetentionRecords {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async messagesOf(conversationId: string): Promise<ExpiringMessage[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :msg)',
      ExpressionAttributeValues: { ':pk': itemKeys.conversation(conversationId).pk, ':msg': 'MSG#' },
      ConsistentRead: true,
    });
    return items.map(expiringMessageOf);
  }

  async forgetMessage(message: ExpiringMessage): Promise<{ readonly rawUnused: boolean }> {
    const { channelId, conversationId } = message;
    for (const id of message.messageIds) {
      // A claim for this conversation, or (outside any) the ownership of this message alone: another's stays.
      await this.deleteIf(
        itemKeys.claim(channelId, id),
        conversationId
          ? { condition: 'conversationId = :conversation', values: { ':conversation': conversationId } }
          : { condition: 'ownerMessageId = :owner AND attribute_not_exists(conversationId)', values: { ':owner': message.messageId } },
      );
    }
    if (message.direction === 'outbound') {
      await this.delete(itemKeys.outbound(message.messageId));
      const lookups = [
        ...(message.providerMessageId ? [itemKeys.outboundByProviderId(message.providerMessageId)] : []),
        ...message.messageIds.map((id) => itemKeys.outboundByMessageId(channelId, id)),
      ];
      for (const lookup of lookups) await this.deleteIf(lookup, { condition: 'messageId = :message', values: { ':message': message.messageId } });
      return { rawUnused: false };
    }
    if (!message.sesMessageId) return { rawUnused: false };
    await this.delete(itemKeys.inbound(message.sesMessageId, channelId));
    return { rawUnused: await this.nothingLeftOf(message.sesMessageId) };
  }

  async deleteMessage(message: ExpiringMessage): Promise<void> {
    await this.delete(itemKeys.message(message.channelId, message.conversationId, message.at, message.messageId));
  }

  async deleteConversation(conversation: ExpiredConversation): Promise<void> {
    const index = { condition: 'conversationId = :conversation', values: { ':conversation': conversation.id } };
    if (conversation.channelId && conversation.ticketNumber) await this.deleteIf(itemKeys.ticket(conversation.channelId, conversation.ticketNumber), index);
    if (conversation.channelId && conversation.replyToken) await this.deleteIf(itemKeys.replyToken(conversation.channelId, conversation.replyToken), index);
    // Notes, and the conversation item when the sweep deletes it last; messages are gone by now.
    const rest = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': itemKeys.conversation(conversation.id).pk },
      ProjectionExpression: 'pk, sk',
      ConsistentRead: true,
    });
    for (const item of rest) await this.delete({ pk: String(item.pk), sk: String(item.sk) });
  }

  async forgetFailedMail(sesMessageId: string, channelId: string | null): Promise<{ readonly rawUnused: boolean }> {
    // Its processing record, while it still says failed: a replay that succeeded since keeps it (and its message).
    if (channelId)
      await this.deleteIf(itemKeys.inbound(sesMessageId, channelId), {
        condition: '#state = :failed',
        values: { ':failed': 'failed' },
        names: { '#state': 'state' },
      });
    return { rawUnused: await this.nothingLeftOf(sesMessageId) };
  }

  /** True when no record of the mail remains on any channel (processing record or failed entry). */
  private async nothingLeftOf(sesMessageId: string): Promise<boolean> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': itemKeys.inbound(sesMessageId, '').pk },
        ProjectionExpression: 'pk',
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? []).length === 0;
  }

  private async delete(k: ItemKey): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: key(k) }));
  }

  private async deleteIf(
    k: ItemKey,
    when: { readonly condition: string; readonly values: Record<string, string>; readonly names?: Record<string, string> },
  ): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: key(k),
          ConditionExpression: when.condition,
          ExpressionAttributeValues: when.values,
          ...(when.names ? { ExpressionAttributeNames: when.names } : {}),
        }),
      );
    } catch (error) {
      // Absent, or another's: nothing of this record to delete.
      if (!isConditionFailed(error)) throw error;
    }
  }
}

/** Items a scan of one page reads at most. */
const SCAN_PAGE = 200;

/**
 * The sandbox's stand-in for TTL on one table (the main table, or the audit table): a scan for
 * items whose `expiresAt` has passed, and the delete TTL makes, conditional on the item still being
 * due. In AWS nothing scans: DynamoDB's TTL deletes the items and the table's stream runs the rest.
 */
export class DynamoExpiringItems implements ExpiringItems {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async scan(before: Date, cursor: string | null): Promise<{ readonly items: readonly ExpiryCandidate[]; readonly cursor: string | null }> {
    const out = await this.client.send(
      new ScanCommand({
        TableName: this.tableName,
        FilterExpression: '#ttl < :before',
        ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ':before': epochSeconds(before) },
        Limit: SCAN_PAGE,
        ExclusiveStartKey: decodeCursor(cursor ?? undefined),
      }),
    );
    const items = (out.Items ?? []).map((item) => ({
      expiresAt: item[TTL_ATTRIBUTE],
      legalHold: item.legalHold,
      record: expiredRecordOf(item),
      ref: { pk: String(item.pk), sk: String(item.sk) } satisfies ItemKey,
    }));
    return { items, cursor: encodeCursor(out.LastEvaluatedKey) };
  }

  async take(candidate: ExpiryCandidate, now: Date): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: key(candidate.ref as ItemKey),
          // As TTL: only while it is still due; a hold or a new message since the scan keeps it.
          ConditionExpression: '#ttl < :now AND attribute_not_exists(legalHold)',
          ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':now': epochSeconds(now) },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }
}

/** A DynamoDB stream image (`AttributeValue` JSON) as the plain item the document client would read. */
export function imageItem(image: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, attributeValue(value)]));
}

function attributeValue(value: unknown): unknown {
  const v = (value ?? {}) as Record<string, unknown>;
  if ('S' in v) return v.S;
  if ('N' in v) return Number(v.N);
  if ('BOOL' in v) return v.BOOL;
  if ('NULL' in v) return null;
  if ('M' in v) return imageItem((v.M ?? {}) as Record<string, unknown>);
  if ('L' in v) return ((v.L ?? []) as unknown[]).map(attributeValue);
  if ('SS' in v) return new Set(v.SS as string[]);
  if ('NS' in v) return new Set((v.NS as string[]).map(Number));
  if ('B' in v) return v.B;
  if ('BS' in v) return new Set(v.BS as unknown[]);
  return undefined;
}
