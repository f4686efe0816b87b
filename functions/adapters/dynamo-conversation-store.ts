import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AppError, BusyError, NotFoundError } from '../core/errors.ts';
import { MAX_MERGE_HOPS, mergeLoopError, nextHop, rootOf } from '../core/conversation/merge-chain.ts';
import type { ConversationRef } from '../core/model/conversation.ts';
import { RETENTION_DEFAULTS, type RetentionSettings } from '../core/model/retention.ts';
import { epochSeconds, retentionSeconds } from '../core/retention/expiry.ts';
import type { ConversationStore, JoinOptions, MessageIdClaim, NewConversation } from '../core/ports/conversation-store.ts';
import { CONVERSATION_LIST_PARTITION, itemKeys } from './dynamo-schema.ts';
import { batchGet, batchPut, isConditionFailed, key } from './dynamo-util.ts';
import { SLA_ANSWER, SLA_PARTITION, slaNextKey, slaStartParts, slaStateOf } from './dynamo-sla-attributes.ts';
import type { SlaRecord } from '../core/sla/sla-clock.ts';

/** Conversation item attributes besides the key. `visibility` hides candidates until they win. */
interface ConversationItem {
  id: string;
  channelId: string;
  ticketNumber: string;
  createdAt?: string;
  replyToken: string | null;
  status: 'open' | 'closed';
  participants?: Set<string>;
  externalParties?: Set<string>;
  lastAgent: string | null;
  visibility: 'pending' | 'published' | 'merged';
  mergedInto?: string;
  legalHold?: unknown;
}

export interface DynamoConversationStoreOptions {
  /** The account-wide retention: a conversation whose channel has none of its own is kept `mailDays` after its last message. */
  readonly retention?: Pick<RetentionSettings, 'mailDays'>;
}

/**
 * Conversations, Message-ID claims and the ticket/reply-token indexes in the Postroom table.
 * Claims are first-writer-wins updates of the Message-ID's item, which also records the stored
 * message owning the id; visibility moves only `pending → published` or `pending → merged`, by
 * conditional updates; nothing needs a transaction.
 *
 * Retention rides on the same writes: the conversation item carries its retention period
 * (`retentionSeconds`, fixed when it is created) and its TTL (`expiresAt`, epoch seconds), which
 * every publish and join moves to the write's time plus that period, unless a legal hold stands.
 * Its messages and the rest of it go when the conversation item expires (`expireRecord`).
 */
export class DynamoConversationStore implements ConversationStore {
  /** The period of a conversation created before periods were stored on it. */
  private readonly fallbackSeconds: number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: DynamoConversationStoreOptions = {},
  ) {
    this.fallbackSeconds = retentionSeconds(options.retention?.mailDays ?? RETENTION_DEFAULTS.mailDays);
  }

  async findByMessageIds(channelId: string, messageIds: readonly string[]): Promise<Map<string, ConversationRef>> {
    const claims = await this.findClaims(channelId, messageIds);
    const conversations = await this.getMany([...new Set([...claims.values()].flatMap((c) => (c.conversationId ? [c.conversationId] : [])))]);
    const found = new Map<string, ConversationRef>();
    for (const [messageId, claim] of claims) {
      const conversation = claim.conversationId ? conversations.get(claim.conversationId) : undefined;
      if (conversation) found.set(messageId, conversation);
    }
    return found;
  }

  async findClaims(channelId: string, messageIds: readonly string[]): Promise<Map<string, MessageIdClaim>> {
    const items = await batchGet(
      this.client,
      this.tableName,
      messageIds.map((id) => itemKeys.claim(channelId, id)),
    );
    return new Map(items.map((item) => [String(item.messageId), claimOf(item)]));
  }

  async getConversations(ids: readonly string[]): Promise<Map<string, ConversationRef>> {
    return this.getMany([...new Set(ids)]);
  }

  async findByTicketNumber(channelId: string, ticketNumber: string): Promise<ConversationRef | null> {
    return this.viaIndex(itemKeys.ticket(channelId, ticketNumber));
  }

  async findByReplyToken(channelId: string, token: string): Promise<ConversationRef | null> {
    return this.viaIndex(itemKeys.replyToken(channelId, token));
  }

  async create(input: NewConversation): Promise<NewConversation> {
    const { retentionDays, ...c } = input;
    const seconds = retentionDays === undefined ? this.fallbackSeconds : retentionSeconds(retentionDays);
    const item = {
      ...itemKeys.conversation(c.id),
      ...c,
      status: c.status ?? 'open',
      lastAgent: null,
      visibility: 'pending',
      updatedAt: c.createdAt,
      // The admin API's list entry (sparse gsi1, newest first); a pending one is filtered out there.
      gsi1pk: CONVERSATION_LIST_PARTITION,
      gsi1sk: `${c.createdAt}#${c.id}`,
      // A candidate that never wins its race expires too: nothing pending stays forever.
      retentionSeconds: seconds,
      expiresAt: epochSeconds(c.createdAt) + seconds,
    };
    try {
      await this.client.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
      return c;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
    // Exists already: written by an earlier attempt with the same id, whose ticket number stands.
    const stored = await this.item(c.id);
    if (!stored) throw new BusyError(`conversation ${c.id} vanished while being created`);
    return {
      id: stored.id,
      channelId: stored.channelId,
      ticketNumber: stored.ticketNumber,
      replyToken: stored.replyToken ?? null,
      createdAt: stored.createdAt ?? c.createdAt,
    };
  }

  async claim(channelId: string, messageId: string, conversationId: string): Promise<string> {
    const k = itemKeys.claim(channelId, messageId);
    try {
      // An update, not a put: the item may exist with only its owner (an unattached message's own id).
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(k),
          UpdateExpression: 'SET channelId = :channel, messageId = :id, conversationId = :conversation',
          ConditionExpression: 'attribute_not_exists(conversationId)',
          ExpressionAttributeValues: { ':channel': channelId, ':id': messageId, ':conversation': conversationId },
        }),
      );
      return conversationId;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key(k), ConsistentRead: true }));
    return String(out.Item?.conversationId);
  }

  async claimOwn(
    channelId: string,
    messageId: string,
    owner: string,
    conversationId: string | null,
    receipt?: string,
    options: { readonly external?: boolean } = {},
  ): Promise<MessageIdClaim> {
    const k = key(itemKeys.claim(channelId, messageId));
    const sets = ['channelId = :channel', 'messageId = :id', 'ownerMessageId = :owner'];
    const values: Record<string, string | boolean> = { ':channel': channelId, ':id': messageId, ':owner': owner };
    // `external` is a reserved word of DynamoDB's expressions: named through a placeholder.
    if (options.external) {
      sets.push('#external = :external');
      values[':external'] = true;
    }
    if (receipt !== undefined) {
      sets.push('ownerReceipt = :receipt');
      values[':receipt'] = receipt;
    }
    if (conversationId !== null) {
      sets.push('conversationId = if_not_exists(conversationId, :conversation)');
      values[':conversation'] = conversationId;
    }
    try {
      // Only while no other message owns the id: a second copy must not claim it for a conversation of its own.
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: k,
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: 'attribute_not_exists(ownerMessageId) OR ownerMessageId = :owner',
          ...(options.external ? { ExpressionAttributeNames: { '#external': 'external' } } : {}),
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return claimOf(out.Attributes ?? {});
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
    // Owned by another message: the item as it stands tells the caller where that copy is.
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: k, ConsistentRead: true }));
    return claimOf(out.Item ?? {});
  }

  async moveClaim(channelId: string, messageId: string, from: string, to: string): Promise<void> {
    await this.client
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(itemKeys.claim(channelId, messageId)),
          UpdateExpression: 'SET conversationId = :to',
          ConditionExpression: 'conversationId = :from',
          ExpressionAttributeValues: { ':to': to, ':from': from },
        }),
      )
      .catch(ignoreConditionFailed);
  }

  async join(conversationId: string, participants: readonly string[], at: string, options: JoinOptions): Promise<ConversationRef> {
    const add = participants.length > 0;
    // A forward's recipients are external parties, kept apart from the participants.
    const addTo = options.external ? 'externalParties' : 'participants';
    const agent = options.agent !== undefined;
    const skill = options.skill !== undefined;
    // An agent's answer meets the first response and pauses the SLA clocks in the same write.
    const answer = options.answer === true;
    const seen = new Set<string>();
    let id = conversationId;
    // A held conversation gets no expiry: its join is written again without one (held ones are few).
    let held = false;
    for (;;) {
      try {
        const out = await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key(itemKeys.conversation(id)),
            UpdateExpression: `SET updatedAt = :at${held ? '' : `, ${EXPIRY_MOVES}`}${options.reopen ? ', #status = :open' : ''}${agent ? ', lastAgent = :agent' : ''}${skill ? ', lastSkill = :skill' : ''}${answer ? `, ${SLA_ANSWER.set}` : ''}${add ? ` ADD ${addTo} :p` : ''}${answer ? ` REMOVE ${SLA_ANSWER.remove}` : ''}`,
            // Only a published conversation: a merged one is followed, a pending one may yet lose.
            ConditionExpression: held ? '#visibility = :published' : '#visibility = :published AND attribute_not_exists(legalHold)',
            ExpressionAttributeNames: { '#visibility': 'visibility', ...(options.reopen ? { '#status': 'status' } : {}) },
            ExpressionAttributeValues: {
              ':published': 'published',
              ':at': at,
              ...(held ? {} : this.expiryValues(at)),
              ...(options.reopen ? { ':open': 'open' } : {}),
              ...(add ? { ':p': new Set(participants) } : {}),
              ...(agent ? { ':agent': options.agent } : {}),
              ...(skill ? { ':skill': options.skill } : {}),
              ...(answer ? SLA_ANSWER.values : {}),
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return toRef(out.Attributes as unknown as ConversationItem);
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
      const item = await this.item(id);
      if (!item) throw new NotFoundError(`conversation ${id} not found`);
      if (item.visibility === 'pending') throw new BusyError(`conversation ${id} is another attempt's pending candidate`);
      if (item.visibility === 'merged' && item.mergedInto) id = nextHop(seen, id, item.mergedInto);
      else if (item.visibility === 'published' && item.legalHold !== undefined && !held) held = true;
      else if (item.visibility !== 'published') throw new AppError('conversation-state', `conversation ${id} is ${String(item.visibility)}`);
    }
  }

  async publish(c: NewConversation, participants: readonly string[], at: string, options: JoinOptions): Promise<ConversationRef> {
    const index = { conversationId: c.id, channelId: c.channelId };
    // Neither index item needs a condition (the conversation's own ids): one batch writes both.
    await batchPut(this.client, this.tableName, [
      { ...itemKeys.ticket(c.channelId, c.ticketNumber), ...index },
      ...(c.replyToken ? [{ ...itemKeys.replyToken(c.channelId, c.replyToken), ...index }] : []),
    ]);
    const add = participants.length > 0;
    // A person's new mail starts the SLA clocks in the same write.
    const sla = options.sla ? slaStartParts(c.id, options.sla) : { sets: [], values: {} };
    try {
      // Publication and the first message's join in one write.
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(itemKeys.conversation(c.id)),
          UpdateExpression: `SET #visibility = :published, updatedAt = :at, ${EXPIRY_MOVES}${options.reopen ? ', #status = :open' : ''}${options.skill ? ', lastSkill = :skill' : ''}${sla.sets.map((s) => `, ${s}`).join('')}${add ? ' ADD participants :p' : ''}`,
          // Holds are placed on published conversations only: a retry that finds one held joins as `join` does, without an expiry.
          ConditionExpression: '#visibility <> :merged AND attribute_not_exists(legalHold)',
          ExpressionAttributeNames: { '#visibility': 'visibility', ...(options.reopen ? { '#status': 'status' } : {}) },
          ExpressionAttributeValues: {
            ':published': 'published',
            ':merged': 'merged',
            ':at': at,
            ...this.expiryValues(at),
            ...(options.reopen ? { ':open': 'open' } : {}),
            ...(add ? { ':p': new Set(participants) } : {}),
            ...(options.skill ? { ':skill': options.skill } : {}),
            ...sla.values,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toRef(out.Attributes as unknown as ConversationItem);
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
    // Merged after all (the join follows the pointer to where it ended), or held since an earlier attempt published it.
    return this.join(c.id, participants, at, options);
  }

  async writeSla(conversationId: string, expectedRev: number | null, record: SlaRecord, next: string | null): Promise<ConversationRef | null> {
    const start = expectedRev === null;
    const sets = ['sla = :sla', 'slaRev = if_not_exists(slaRev, :zero) + :one'];
    // A start forgets what an answer wrote before there were clocks.
    const removes = ['slaPausedSince', ...(start ? ['slaRespondedAt', 'slaEvents'] : [])];
    const values: Record<string, unknown> = { ':sla': record, ':zero': 0, ':one': 1, ':published': 'published' };
    if (next === null) removes.push('slaPk', 'slaNext');
    else {
      sets.push('slaPk = :slaPk', 'slaNext = :slaNext');
      Object.assign(values, { ':slaPk': SLA_PARTITION, ':slaNext': slaNextKey(next, conversationId) });
    }
    if (!start) values[':rev'] = expectedRev;
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(itemKeys.conversation(conversationId)),
          UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
          ConditionExpression: `#visibility = :published AND ${start ? 'attribute_not_exists(sla)' : 'slaRev = :rev'}`,
          ExpressionAttributeNames: { '#visibility': 'visibility' },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toRef(out.Attributes as unknown as ConversationItem);
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      return null;
    }
  }

  async markMerged(conversationId: string, into: string, at: string): Promise<string> {
    const root = await this.rootOf(into);
    if (root === conversationId) return conversationId;
    try {
      await this.leavePending(conversationId, 'merged', { mergedInto: root, updatedAt: at });
      return root;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
    const item = await this.item(conversationId);
    return item?.visibility === 'merged' && item.mergedInto ? this.rootOf(item.mergedInto) : conversationId;
  }

  /** The values `EXPIRY_MOVES` reads: the write's time in epoch seconds, and the period of a conversation that carries none. */
  private expiryValues(at: string): Record<string, number> {
    return { ':atSeconds': epochSeconds(at), ':fallbackSeconds': this.fallbackSeconds };
  }

  /** The conversation `id` ends in after following merge pointers. */
  private rootOf(id: string): Promise<string> {
    return rootOf((current) => this.item(current), id);
  }

  private async item(id: string): Promise<ConversationItem | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key(itemKeys.conversation(id)), ConsistentRead: true }));
    return out.Item as ConversationItem | undefined;
  }

  private async viaIndex(k: { pk: string; sk: string }): Promise<ConversationRef | null> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key(k), ConsistentRead: true }));
    if (!out.Item) return null;
    const id = String(out.Item.conversationId);
    return (await this.getMany([id])).get(id) ?? null;
  }

  /**
   * Conversations by id; a merged one resolves to the conversation it was merged into. A pending
   * one is returned as it is: it may be the caller's own candidate (a retry after a crash), and
   * joining refuses another attempt's.
   */
  private async getMany(ids: readonly string[], hops = 0): Promise<Map<string, ConversationRef>> {
    if (hops > MAX_MERGE_HOPS) throw mergeLoopError(ids.join(', '));
    const items = (await batchGet(this.client, this.tableName, ids.map(itemKeys.conversation))) as unknown as ConversationItem[];
    const merged = items.filter((i) => i.visibility === 'merged' && i.mergedInto);
    const targets =
      merged.length > 0
        ? await this.getMany(
            merged.map((i) => i.mergedInto ?? ''),
            hops + 1,
          )
        : new Map<string, ConversationRef>();
    const result = new Map<string, ConversationRef>();
    for (const item of items) {
      const ref = item.visibility === 'merged' ? targets.get(item.mergedInto ?? '') : toRef(item);
      if (ref) result.set(item.id, ref);
    }
    return result;
  }

  /** Moves a pending conversation to `visibility`; fails its condition unless it is pending. */
  private async leavePending(id: string, visibility: ConversationItem['visibility'], extra: Record<string, string> = {}): Promise<void> {
    const names = Object.keys(extra);
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key(itemKeys.conversation(id)),
        UpdateExpression: `SET #visibility = :visibility${names.map((n) => `, #${n} = :${n}`).join('')}`,
        ConditionExpression: '#visibility = :pending',
        ExpressionAttributeNames: Object.fromEntries(['visibility', ...names].map((n) => [`#${n}`, n])),
        ExpressionAttributeValues: { ':visibility': visibility, ':pending': 'pending', ...Object.fromEntries(names.map((n) => [`:${n}`, extra[n]])) },
      }),
    );
  }
}

/**
 * Moves a conversation's TTL to the write's time plus its retention period, in the write that
 * joins a message anyway (no call of its own; see `expiryAfter`, the same rule in the core).
 */
const EXPIRY_MOVES = 'expiresAt = :atSeconds + if_not_exists(retentionSeconds, :fallbackSeconds)';

function claimOf(item: Record<string, unknown>): MessageIdClaim {
  const claim = {
    conversationId: typeof item.conversationId === 'string' ? item.conversationId : null,
    owner: typeof item.ownerMessageId === 'string' ? item.ownerMessageId : null,
  };
  return {
    ...claim,
    ...(typeof item.ownerReceipt === 'string' ? { receipt: item.ownerReceipt } : {}),
    ...(item.external === true ? { external: true as const } : {}),
  };
}

function toRef(item: ConversationItem): ConversationRef {
  return {
    id: item.id,
    channelId: item.channelId,
    ticketNumber: item.ticketNumber,
    participants: [...(item.participants ?? [])].sort(),
    status: item.status,
    lastAgent: item.lastAgent ?? null,
    replyToken: item.replyToken ?? null,
    ...slaOf(item),
    ...(item.externalParties && item.externalParties.size > 0 ? { externalParties: [...item.externalParties].sort() } : {}),
  };
}

/** The SLA state, only on a conversation that has clocks (so refs without stay as they were). */
function slaOf(item: ConversationItem): { sla?: NonNullable<ConversationRef['sla']> } {
  const sla = slaStateOf(item as unknown as Record<string, unknown>);
  return sla ? { sla } : {};
}

function ignoreConditionFailed(error: unknown): void {
  if (!isConditionFailed(error)) throw error;
}
