import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { bareMessageId, type SubjectMatcher } from '../core/governance/address-match.ts';
import { redactValue } from '../core/governance/redact-records.ts';
import { NoteSchema, type Note } from '../core/model/admin-resources.ts';
import { SettledKeySchema } from '../core/model/source-state.ts';
import { messageTime, StoredMessageSchema, type OutboundStoredMessage, type StoredMessage } from '../core/model/stored-message.ts';
import type { SuppressionEntry } from '../core/model/suppression.ts';
import { UPLOAD_PREFIX } from '../core/outbound/compose/upload-keys.ts';
import type { ConversationBundle, ItemRef, SubjectData, SubjectEraser } from '../core/ports/privacy.ts';
import { TTL_ATTRIBUTE, itemKeys, type ItemKey } from './dynamo-schema.ts';
import { DynamoSuppressionList } from './dynamo-suppression-list.ts';
import { chunks, isConditionFailed, key, queryAll, withoutKeys } from './dynamo-util.ts';
import { sha256Hex } from './node-digests.ts';
import { INBOUND_ATTACHMENT_PREFIX } from './s3-attachment-links.ts';
import { outboundPlanKey } from './s3-outbound-plan-store.ts';
import { isMissing } from './s3-raw-mail-store.ts';

/** Attributes of an item that are its key or index key: never redacted, never written as data. */
const KEY_ATTRIBUTES = ['pk', 'sk', 'gsi1pk', 'gsi1sk'];

/**
 * What an export reads and an erasure writes, on the Postroom table and the mail bucket, laid out
 * as `dynamo-schema.ts` and the S3 adapters say. Deletes that depend on something else are made
 * after it, so a run that stops midway finds what it needs again: the content hash before the raw
 * copy it is the hash of, the source key before the processing record naming it, the records
 * last; the caller deletes a message's item after all of this.
 */
export class DynamoErasureStore implements SubjectData, SubjectEraser {
  private readonly suppressions: DynamoSuppressionList;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly s3: S3Client,
    private readonly tableName: string,
    private readonly bucket: string,
  ) {
    this.suppressions = new DynamoSuppressionList(db, tableName);
  }

  async conversation(id: string): Promise<ConversationBundle | null> {
    const items = await this.partition(itemKeys.conversation(id).pk);
    const head = items.find((i) => i.sk === 'CONV');
    if (!head) return null;
    const messages = items
      .filter((i) => String(i.sk).startsWith('MSG#'))
      .flatMap((i) => {
        const { kind: _kind, decided: _decided, ...rest } = withoutKeys(i);
        // Messages written before both directions were stored are inbound (as the message store reads them).
        const parsed = StoredMessageSchema.safeParse({ direction: 'inbound', ...rest });
        return parsed.success ? [parsed.data] : [];
      });
    const notes = items
      .filter((i) => String(i.sk).startsWith('NOTE#'))
      .flatMap((i) => {
        const parsed = NoteSchema.safeParse(withoutKeys(i));
        return parsed.success ? [parsed.data] : [];
      });
    const participants = head.participants instanceof Set ? [...(head.participants as Set<string>)] : [];
    return {
      conversation: {
        id,
        channelId: String(head.channelId ?? ''),
        ticketNumber: String(head.ticketNumber ?? ''),
        status: String(head.status ?? 'open'),
        createdAt: String(head.createdAt ?? ''),
        participants,
        legalHold: head.legalHold !== undefined && head.legalHold !== null,
        mergedInto: typeof head.mergedInto === 'string' ? head.mergedInto : null,
      },
      messages,
      notes,
    };
  }

  rawMail(rawKey: string): Promise<Uint8Array | null> {
    return this.object(rawKey);
  }

  async plan(channelId: string, messageId: string): Promise<Record<string, unknown> | null> {
    const bytes = await this.object(outboundPlanKey(channelId, messageId));
    return bytes ? (JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>) : null;
  }

  upload(uploadKey: string): Promise<Uint8Array | null> {
    return this.object(uploadKey);
  }

  async deleteConversation(bundle: ConversationBundle): Promise<number> {
    const { id } = bundle.conversation;
    const head = itemKeys.conversation(id);
    const items = await this.partition(head.pk);
    const item = items.find((i) => i.sk === head.sk);
    let deleted = await this.deleteAll(items.filter((i) => i.sk !== head.sk).map((i) => ({ pk: String(i.pk), sk: String(i.sk) })));
    if (item) {
      const channelId = String(item.channelId ?? '');
      const indexes = [itemKeys.ticket(channelId, String(item.ticketNumber ?? ''))];
      if (typeof item.replyToken === 'string') indexes.push(itemKeys.replyToken(channelId, item.replyToken));
      // An index item is this conversation's only while it points here (a ticket number is never reused, but be sure).
      for (const k of indexes) if (await this.deleteIf(k, 'conversationId = :id', { ':id': id })) deleted += 1;
      // The conversation item last: while it stands, a run that stopped finds the rest again.
      await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: key(head) }));
      deleted += 1;
    }
    return deleted;
  }

  async redactConversation(conversationId: string, m: SubjectMatcher): Promise<boolean> {
    const k = itemKeys.conversation(conversationId);
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: key(k), ConsistentRead: true }));
    if (!out.Item) return false;
    const participants = out.Item.participants instanceof Set ? [...(out.Item.participants as Set<string>)] : [];
    const theirs = participants.filter((p) => m.isAddress(p));
    const { participants: _p, ...rest } = stripKeys(out.Item);
    const redacted = redactValue(rest, m);
    if (theirs.length === 0 && !redacted.changed) return false;
    // DELETE from the set, not a rewrite of it: a mail arriving meanwhile ADDs its participants.
    const sets = redacted.changed ? Object.keys(redacted.value).filter((name) => JSON.stringify(redacted.value[name]) !== JSON.stringify(rest[name])) : [];
    const names: Record<string, string> = Object.fromEntries(sets.map((name, i) => [`#a${i}`, name]));
    const values: Record<string, unknown> = Object.fromEntries(sets.map((name, i) => [`:a${i}`, redacted.value[name]]));
    const clauses: string[] = [];
    if (sets.length > 0) clauses.push(`SET ${sets.map((_, i) => `#a${i} = :a${i}`).join(', ')}`);
    if (theirs.length > 0) {
      clauses.push('DELETE participants :gone');
      values[':gone'] = new Set(theirs);
    }
    await this.db
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(k),
          UpdateExpression: clauses.join(' '),
          ConditionExpression: 'attribute_exists(pk)',
          ...(sets.length > 0 ? { ExpressionAttributeNames: names } : {}),
          ExpressionAttributeValues: values,
        }),
      )
      .catch(ignoreConditionFailed);
    return true;
  }

  async putMessage(message: StoredMessage): Promise<void> {
    const k = messageKey(message);
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...(await this.expiryOf(k)), ...k, kind: 'message', ...message } }));
  }

  async deleteMessage(message: StoredMessage): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: key(messageKey(message)) }));
  }

  async redactMessage(message: StoredMessage, m: SubjectMatcher): Promise<boolean> {
    return this.redactItem(messageKey(message), m);
  }

  async putNote(note: Note): Promise<void> {
    const k = itemKeys.note(note.conversationId, note.at, note.id);
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...(await this.expiryOf(k)), ...k, ...note } }));
  }

  /** The TTL attribute of an item that is about to be replaced: its expiry stays what retention set. */
  private async expiryOf(k: ItemKey): Promise<Record<string, unknown>> {
    const out = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: key(k),
        ConsistentRead: true,
        ProjectionExpression: '#ttl',
        ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
      }),
    );
    return out.Item?.[TTL_ATTRIBUTE] === undefined ? {} : { [TTL_ATTRIBUTE]: out.Item[TTL_ATTRIBUTE] };
  }

  async eraseInboundMail(mail: { readonly sesMessageId: string; readonly rawKey: string | null; readonly messageId: string | null }): Promise<number> {
    const records = await this.partition(`INBOUND#${mail.sesMessageId}`);
    const channels = [...new Set(records.flatMap((r) => (typeof r.channelId === 'string' ? [r.channelId] : [])))];
    let removed = 0;
    const raw = mail.rawKey ? await this.object(mail.rawKey) : null;
    if (raw) {
      const hash = sha256Hex(raw);
      for (const channelId of channels)
        if (await this.deleteIf(itemKeys.sourceHash(channelId, hash), 'mailId = :mail', { ':mail': mail.sesMessageId })) removed += 1;
    }
    for (const record of records) {
      const origin = (record.mail as { origin?: { key?: unknown } } | undefined)?.origin?.key;
      if (typeof origin !== 'string' || typeof record.channelId !== 'string') continue;
      const k = itemKeys.sourceKey(record.channelId, origin);
      const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: key(k), ConsistentRead: true }));
      const entry = typeof out.Item?.entry === 'string' ? SettledKeySchema.safeParse(JSON.parse(out.Item.entry)) : null;
      if (entry?.success && entry.data.mailId === mail.sesMessageId) {
        await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: key(k) }));
        removed += 1;
      }
    }
    if (mail.messageId) removed += await this.deletePrefix(`${INBOUND_ATTACHMENT_PREFIX}${mail.messageId}/`);
    if (mail.rawKey && raw) {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: mail.rawKey }));
      removed += 1;
    }
    return removed + (await this.deleteAll(records.map((r) => ({ pk: String(r.pk), sk: String(r.sk) }))));
  }

  async heldSharers(sesMessageId: string): Promise<readonly string[]> {
    const records = await this.partition(`INBOUND#${sesMessageId}`);
    const ids = [...new Set(records.flatMap((r) => (typeof r.conversationId === 'string' && r.conversationId !== '' ? [r.conversationId] : [])))];
    const held: string[] = [];
    for (const id of ids) {
      const out = await this.db.send(
        new GetCommand({ TableName: this.tableName, Key: key(itemKeys.conversation(id)), ConsistentRead: true, ProjectionExpression: 'legalHold' }),
      );
      if (out.Item?.legalHold !== undefined) held.push(id);
    }
    return held;
  }

  async eraseInboundRecordsOnly(sesMessageId: string, keep: readonly string[]): Promise<number> {
    const records = await this.partition(`INBOUND#${sesMessageId}`);
    return this.deleteAll(records.filter((r) => !keep.includes(String(r.conversationId ?? ''))).map((r) => ({ pk: String(r.pk), sk: String(r.sk) })));
  }

  async redactInboundRecords(sesMessageId: string, m: SubjectMatcher): Promise<number> {
    let changed = 0;
    for (const record of await this.partition(`INBOUND#${sesMessageId}`)) {
      if (await this.redactItem({ pk: String(record.pk), sk: String(record.sk) }, m, record)) changed += 1;
    }
    return changed;
  }

  async eraseOutbound(message: OutboundStoredMessage): Promise<number> {
    const keys: ItemKey[] = [itemKeys.outbound(message.messageId), ...message.threadIds.map((id) => itemKeys.outboundByMessageId(message.channelId, id))];
    if (message.providerMessageId) keys.push(itemKeys.outboundByProviderId(message.providerMessageId));
    let removed = 0;
    const planKey = outboundPlanKey(message.channelId, message.messageId);
    const plan = await this.object(planKey);
    if (plan) {
      const attachments = (JSON.parse(Buffer.from(plan).toString('utf8')) as { attachments?: { source?: unknown; key?: unknown }[] }).attachments ?? [];
      for (const a of attachments) {
        // Only files under the uploads prefix are the reply's own; an inbound attachment's raw copy is another mail's.
        if (a.source !== 's3' || typeof a.key !== 'string' || !a.key.startsWith(UPLOAD_PREFIX)) continue;
        await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: a.key }));
        removed += 1;
      }
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: planKey }));
      removed += 1;
    }
    for (const k of keys) {
      const out = await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: key(k), ReturnValues: 'ALL_OLD' }));
      if (out.Attributes) removed += 1;
    }
    return removed;
  }

  redactOutboundRecord(message: OutboundStoredMessage, m: SubjectMatcher): Promise<boolean> {
    return this.redactItem(itemKeys.outbound(message.messageId), m);
  }

  async releaseClaims(channelId: string, ids: readonly string[], owners: readonly string[]): Promise<number> {
    const bare = [...new Set(ids.map(bareMessageId).filter((id) => id.length > 0))];
    let released = 0;
    for (const id of bare) {
      for (const form of [id, `<${id}>`]) {
        const k = itemKeys.claim(channelId, form);
        const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: key(k), ConsistentRead: true }));
        if (!out.Item) continue;
        const owner = typeof out.Item.ownerMessageId === 'string' ? out.Item.ownerMessageId : null;
        // Another person's message owns the id: the claim threads their mail, and stays.
        if (owner !== null && !owners.includes(owner)) continue;
        const condition = owner === null ? 'attribute_not_exists(ownerMessageId)' : 'ownerMessageId = :owner';
        if (await this.deleteIf(k, condition, owner === null ? undefined : { ':owner': owner })) released += 1;
      }
    }
    return released;
  }

  async putRawMail(rawKey: string, raw: Uint8Array): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: rawKey, Body: raw, ContentType: 'message/rfc822' }));
  }

  async putPlan(channelId: string, messageId: string, plan: Record<string, unknown>): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: outboundPlanKey(channelId, messageId), Body: JSON.stringify(plan), ContentType: 'application/json' }),
    );
  }

  async deleteItem(ref: ItemRef): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: { ...ref } }));
  }

  async replaceItem(ref: ItemRef, attributes: Record<string, unknown>): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...dropEmptySets(stripKeys(attributes)), ...ref } }));
  }

  putSuppression(entry: SuppressionEntry): Promise<void> {
    return this.suppressions.put(entry);
  }

  /** Redacts an item's attributes (never its key) and writes it back when anything changed. */
  private async redactItem(k: ItemKey, m: SubjectMatcher, known?: Record<string, unknown>): Promise<boolean> {
    const item = known ?? (await this.db.send(new GetCommand({ TableName: this.tableName, Key: key(k), ConsistentRead: true }))).Item;
    if (!item) return false;
    const indexKeys = Object.fromEntries(KEY_ATTRIBUTES.filter((a) => a in item).map((a) => [a, item[a]]));
    const redacted = redactValue(stripKeys(item), m);
    if (!redacted.changed) return false;
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...dropEmptySets(redacted.value), ...indexKeys } }));
    return true;
  }

  private partition(pk: string): Promise<Record<string, unknown>[]> {
    return queryAll(this.db, { TableName: this.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ConsistentRead: true });
  }

  private async deleteIf(k: ItemKey, condition: string, values?: Record<string, unknown>): Promise<boolean> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: key(k),
          ConditionExpression: `attribute_exists(pk) AND (${condition})`,
          ...(values ? { ExpressionAttributeValues: values } : {}),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  private async deleteAll(keys: readonly ItemKey[]): Promise<number> {
    for (const batch of chunks(keys, 25)) {
      let pending = batch.map((k) => ({ DeleteRequest: { Key: key(k) } }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
        const out = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }));
        pending = (out.UnprocessedItems?.[this.tableName] ?? []).flatMap((r) =>
          r.DeleteRequest?.Key ? [{ DeleteRequest: { Key: r.DeleteRequest.Key as Record<string, string> } }] : [],
        );
      }
    }
    return keys.length;
  }

  private async deletePrefix(prefix: string): Promise<number> {
    let removed = 0;
    let token: string | undefined;
    do {
      const out = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
      for (const o of out.Contents ?? []) {
        if (!o.Key) continue;
        await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: o.Key }));
        removed += 1;
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return removed;
  }

  private async object(objectKey: string): Promise<Uint8Array | null> {
    if (objectKey === '') return null;
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      return out.Body ? await out.Body.transformToByteArray() : null;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }
}

function messageKey(message: StoredMessage): ItemKey {
  return itemKeys.message(message.channelId, message.conversationId, messageTime(message), message.messageId);
}

function stripKeys(item: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).filter(([name]) => !KEY_ATTRIBUTES.includes(name)));
}

/** DynamoDB stores no empty set: an attribute whose set was emptied goes. */
function dropEmptySets(item: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).filter(([, v]) => !(v instanceof Set && v.size === 0)));
}

function ignoreConditionFailed(error: unknown): void {
  if (!isConditionFailed(error)) throw error;
}
