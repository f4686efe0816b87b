import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConflictError, NotFoundError } from '../core/errors.ts';
import { MAX_MERGE_HOPS } from '../core/conversation/merge-chain.ts';
import { NoteSchema, type Note } from '../core/model/admin-resources.ts';
import { LegalHoldSchema } from '../core/model/retention.ts';
import { StoredMessageSchema, type StoredMessage } from '../core/model/stored-message.ts';
import type { ConversationAdmin, ConversationFilter, ConversationSummary, Page, PageRequest } from '../core/ports/admin.ts';
import { decodeCursor, encodeCursor } from './dynamo-cursor.ts';
import { CONVERSATION_LIST_PARTITION, TABLE_SCHEMA, itemKeys } from './dynamo-schema.ts';
import { isConditionFailed, key, queryAll, withoutKeys } from './dynamo-util.ts';
import { SLA_ANSWER, slaStateOf } from './dynamo-sla-attributes.ts';
import { slaView } from '../core/sla/sla-clock.ts';

/** Queries one list page may run before it hands back a cursor (filters can skip many items). */
const MAX_QUERIES_PER_PAGE = 10;

/**
 * The admin side of conversations in the Postroom table: the list through the sparse `gsi1`
 * entry each conversation gets when created (`CONVERSATIONS`, newest first), filtered by
 * channel, status, participant and skill; history from the conversation's partition.
 */
export class DynamoConversationAdmin implements ConversationAdmin {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async list(filter: ConversationFilter, page: PageRequest): Promise<Page<ConversationSummary>> {
    const { indexName, partitionKey, sortKey } = TABLE_SCHEMA.failedIndex;
    const names: Record<string, string> = { '#pk': partitionKey, '#visibility': 'visibility' };
    const values: Record<string, unknown> = { ':list': CONVERSATION_LIST_PARTITION, ':published': 'published' };
    const filters = ['#visibility = :published'];
    let range = '';
    if (filter.from || filter.to) names['#sk'] = sortKey;
    if (filter.from && filter.to) {
      range = ' AND #sk BETWEEN :from AND :to';
      Object.assign(values, { ':from': filter.from, ':to': `${filter.to}\uffff` });
    } else if (filter.from) {
      range = ' AND #sk >= :from';
      values[':from'] = filter.from;
    } else if (filter.to) {
      range = ' AND #sk <= :to';
      values[':to'] = `${filter.to}\uffff`;
    }
    if (filter.channelId) {
      filters.push('channelId = :channel');
      values[':channel'] = filter.channelId;
    }
    if (filter.status) {
      filters.push('#status = :status');
      names['#status'] = 'status';
      values[':status'] = filter.status;
    }
    if (filter.participant) {
      filters.push('contains(participants, :participant)');
      values[':participant'] = filter.participant.toLowerCase();
    }
    if (filter.skill) {
      filters.push('lastSkill = :skill');
      values[':skill'] = filter.skill;
    }
    const items: ConversationSummary[] = [];
    let start = decodeCursor(page.cursor);
    for (let i = 0; i < MAX_QUERIES_PER_PAGE && items.length < page.limit; i++) {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: indexName,
          KeyConditionExpression: `#pk = :list${range}`,
          FilterExpression: filters.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          // Limit counts items read before the filter: the cursor is where reading stopped.
          Limit: page.limit - items.length,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(out.Items ?? []).map((i) => summaryOf(i)));
      start = out.LastEvaluatedKey as Record<string, string> | undefined;
      if (!start) break;
    }
    return { items, cursor: encodeCursor(start) };
  }

  async get(id: string): Promise<ConversationSummary | null> {
    let current = id;
    for (let hop = 0; hop <= MAX_MERGE_HOPS; hop++) {
      const item = await this.item(current);
      if (!item) return null;
      if (item.visibility === 'published') return summaryOf(item);
      if (item.visibility !== 'merged' || typeof item.mergedInto !== 'string') return null;
      current = item.mergedInto;
    }
    return null;
  }

  async findByTicketNumber(channelId: string, ticketNumber: string): Promise<ConversationSummary | null> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key(itemKeys.ticket(channelId, ticketNumber)), ConsistentRead: true }));
    return out.Item ? this.get(String(out.Item.conversationId)) : null;
  }

  async messages(id: string): Promise<StoredMessage[]> {
    const items = await this.partition(id, 'MSG#');
    return items.map((i) => {
      const { kind: _kind, ...rest } = withoutKeys(i);
      return StoredMessageSchema.parse(rest);
    });
  }

  async notes(id: string): Promise<Note[]> {
    return (await this.partition(id, 'NOTE#')).map((i) => NoteSchema.parse(withoutKeys(i)));
  }

  async addNote(note: Note): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...itemKeys.note(note.conversationId, note.at, note.id), ...note } }));
  }

  async update(
    id: string,
    change: { readonly status?: 'open' | 'closed'; readonly agent?: string },
    at: string,
    expectedUpdatedAt?: string,
  ): Promise<ConversationSummary> {
    const sets = ['updatedAt = :at'];
    const values: Record<string, unknown> = { ':at': at, ':published': 'published' };
    const names: Record<string, string> = { '#visibility': 'visibility' };
    if (change.status) {
      sets.push('#status = :status');
      names['#status'] = 'status';
      values[':status'] = change.status;
    }
    if (change.agent !== undefined) {
      sets.push('lastAgent = :agent');
      values[':agent'] = change.agent;
    }
    // Closing stops the SLA clocks: the solution target is met (or was missed) now; nothing more is owed.
    const closing = change.status === 'closed';
    if (closing) {
      sets.push('slaPausedSince = if_not_exists(slaPausedSince, :at)', 'slaRev = if_not_exists(slaRev, :zero) + :one');
      Object.assign(values, SLA_ANSWER.values);
    }
    let condition = '#visibility = :published';
    if (expectedUpdatedAt !== undefined) {
      condition += ' AND updatedAt = :expected';
      values[':expected'] = expectedUpdatedAt;
    }
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(itemKeys.conversation(id)),
          UpdateExpression: `SET ${sets.join(', ')}${closing ? ` REMOVE ${SLA_ANSWER.remove}` : ''}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return summaryOf(out.Attributes ?? {});
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
    const item = await this.item(id);
    if (item?.visibility !== 'published') throw new NotFoundError(`conversation ${id} not found`);
    throw new ConflictError(`conversation ${id} changed at ${String(item.updatedAt)}: read it again`);
  }

  private async item(id: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key(itemKeys.conversation(id)), ConsistentRead: true }));
    return out.Item;
  }

  private async partition(id: string, prefix: string): Promise<Record<string, unknown>[]> {
    return queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': itemKeys.conversation(id).pk, ':prefix': prefix },
      ConsistentRead: true,
    });
  }
}

export function summaryOf(item: Record<string, unknown>, now: string = new Date().toISOString()): ConversationSummary {
  const sla = slaStateOf(item);
  const participants = item.participants instanceof Set ? [...(item.participants as Set<string>)] : [];
  return {
    id: String(item.id),
    channelId: String(item.channelId),
    ticketNumber: String(item.ticketNumber),
    participants: participants.sort(),
    externalParties: item.externalParties instanceof Set ? [...(item.externalParties as Set<string>)].sort() : [],
    status: item.status === 'closed' ? 'closed' : 'open',
    lastAgent: typeof item.lastAgent === 'string' ? item.lastAgent : null,
    replyToken: typeof item.replyToken === 'string' ? item.replyToken : null,
    createdAt: String(item.createdAt ?? ''),
    updatedAt: String(item.updatedAt ?? ''),
    lastSkill: typeof item.lastSkill === 'string' ? item.lastSkill : null,
    // The retention attributes (`legalHold`, TTL `expiresAt` in epoch seconds), as the API shows them.
    legalHold: LegalHoldSchema.safeParse(item.legalHold).data ?? null,
    expiresAt: typeof item.expiresAt === 'number' ? new Date(item.expiresAt * 1000).toISOString() : null,
    sla: sla ? slaView(sla, now) : null,
  };
}
