import { QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SlaEventKey } from '../core/sla/sla-clock.ts';
import type { SlaDueConversation, SlaSchedule } from '../core/sla/ports.ts';
import { itemKeys } from './dynamo-schema.ts';
import { SLA_INDEX, SLA_PARTITION, slaNextKey, slaStateOf } from './dynamo-sla-attributes.ts';
import { isConditionFailed, key } from './dynamo-util.ts';

/** Items one index query reads. */
const PAGE = 100;

/**
 * The SLA schedule in the Postroom table: the sparse `sla` index holds only conversations that owe
 * an event, sorted by when the next falls due (`<ISO time>#<id>`), so a check reads what is due
 * and nothing else, never the table. Marks are conditional updates of the conversation item.
 */
export class DynamoSlaSchedule implements SlaSchedule {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async due(now: string, limit: number): Promise<SlaDueConversation[]> {
    const found: SlaDueConversation[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: SLA_INDEX.indexName,
          KeyConditionExpression: '#pk = :pk AND #next <= :now',
          ExpressionAttributeNames: { '#pk': SLA_INDEX.partitionKey, '#next': SLA_INDEX.sortKey },
          // `\uffff` sorts after any id: every entry due at `now` itself is in.
          ExpressionAttributeValues: { ':pk': SLA_PARTITION, ':now': `${now}#\uffff` },
          Limit: Math.min(PAGE, limit - found.length),
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) {
        const sla = slaStateOf(item);
        if (sla) found.push({ conversationId: String(item.id), channelId: String(item.channelId), ticketNumber: String(item.ticketNumber), sla });
      }
      start = out.LastEvaluatedKey;
    } while (start && found.length < limit);
    return found;
  }

  async markPublished(conversationId: string, eventKey: SlaEventKey, rev: number, next: string | null): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(itemKeys.conversation(conversationId)),
          UpdateExpression: `ADD slaEvents :event ${next === null ? 'REMOVE slaPk, slaNext' : 'SET slaPk = :pk, slaNext = :next'}`,
          ConditionExpression: 'slaRev = :rev AND NOT contains(slaEvents, :key)',
          ExpressionAttributeValues: { ':event': new Set([eventKey]), ':key': eventKey, ':rev': rev, ...this.place(conversationId, next) },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  async unmarkPublished(conversationId: string, eventKey: SlaEventKey, at: string): Promise<void> {
    await this.client
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(itemKeys.conversation(conversationId)),
          UpdateExpression: 'DELETE slaEvents :event SET slaPk = :pk, slaNext = :next',
          ConditionExpression: 'attribute_exists(sla)',
          ExpressionAttributeValues: { ':event': new Set([eventKey]), ...this.place(conversationId, at) },
        }),
      )
      .catch((error: unknown) => {
        if (!isConditionFailed(error)) throw error;
      });
  }

  async reschedule(conversationId: string, rev: number, next: string | null): Promise<void> {
    await this.client
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(itemKeys.conversation(conversationId)),
          UpdateExpression: next === null ? 'REMOVE slaPk, slaNext' : 'SET slaPk = :pk, slaNext = :next',
          ConditionExpression: 'slaRev = :rev',
          ExpressionAttributeValues: { ':rev': rev, ...this.place(conversationId, next) },
        }),
      )
      .catch((error: unknown) => {
        if (!isConditionFailed(error)) throw error;
      });
  }

  private place(conversationId: string, next: string | null): Record<string, string> {
    return next === null ? {} : { ':pk': SLA_PARTITION, ':next': slaNextKey(next, conversationId) };
  }
}
