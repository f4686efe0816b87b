import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BusyError } from '../core/errors.ts';
import { FINAL_STATES, InboundRecordSchema, type InboundRecord } from '../core/model/inbound-record.ts';
import type { InboundLedger, LedgerEntry } from '../core/ports.ts';
import { itemKeys } from './dynamo-schema.ts';
import { isConditionFailed, key, withoutKeys } from './dynamo-util.ts';

/**
 * Inbound records in the Postroom table. The lease (`leaseUntil`) fences attempts: a record is
 * created with a lease, a stale lease is taken over with a conditional update on its old value,
 * and every save is conditional on the lease still being the caller's.
 */
export class DynamoInboundLedger implements InboundLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async acquire(record: InboundRecord, options: { now: Date; leaseMs: number; replay: boolean }): Promise<LedgerEntry> {
    const leaseUntil = new Date(options.now.getTime() + options.leaseMs).toISOString();
    const k = itemKeys.inbound(record.sesMessageId, record.channelId);
    const fresh = { ...record, leaseUntil, attempts: 1 };
    try {
      await this.client.send(new PutCommand({
        TableName: this.tableName,
        Item: { ...k, ...fresh },
        ConditionExpression: 'attribute_not_exists(pk)',
      }));
      return { kind: 'acquired', record: fresh };
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key(k), ConsistentRead: true }));
    const stored = InboundRecordSchema.parse(withoutKeys(out.Item ?? {}));
    const replaying = options.replay && stored.state === 'failed';
    if (FINAL_STATES.includes(stored.state) && !replaying) return { kind: 'done', record: stored };
    if (!replaying && stored.leaseUntil !== null && stored.leaseUntil > options.now.toISOString()) {
      return { kind: 'busy', record: stored };
    }
    // Counted with the lease, so an attempt that crashes before its first save still counts.
    const taken = { ...stored, leaseUntil, state: replaying ? ('received' as const) : stored.state, attempts: replaying ? 1 : stored.attempts + 1 };
    try {
      await this.client.send(new UpdateCommand({
        TableName: this.tableName,
        Key: key(k),
        UpdateExpression: 'SET leaseUntil = :lease, #state = :state, attempts = :attempts',
        ConditionExpression: stored.leaseUntil === null ? 'attribute_type(leaseUntil, :null)' : 'leaseUntil = :old',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':lease': leaseUntil,
          ':state': taken.state,
          ':attempts': taken.attempts,
          ...(stored.leaseUntil === null ? { ':null': 'NULL' } : { ':old': stored.leaseUntil }),
        },
      }));
    } catch (error) {
      if (isConditionFailed(error)) return { kind: 'busy', record: stored };
      throw error;
    }
    return { kind: 'acquired', record: taken };
  }

  async release(record: InboundRecord): Promise<void> {
    await this.client
      .send(new UpdateCommand({
        TableName: this.tableName,
        Key: key(itemKeys.inbound(record.sesMessageId, record.channelId)),
        UpdateExpression: 'SET leaseUntil = :null',
        ConditionExpression: 'leaseUntil = :lease',
        ExpressionAttributeValues: { ':null': null, ':lease': record.leaseUntil },
      }))
      .catch((error: unknown) => {
        if (!isConditionFailed(error)) throw error; // taken over: the lease is someone else's now
      });
  }

  async save(record: InboundRecord): Promise<void> {
    try {
      await this.client.send(new PutCommand({
        TableName: this.tableName,
        Item: { ...itemKeys.inbound(record.sesMessageId, record.channelId), ...record },
        ConditionExpression: 'leaseUntil = :lease',
        ExpressionAttributeValues: { ':lease': record.leaseUntil },
      }));
    } catch (error) {
      if (isConditionFailed(error)) {
        throw new BusyError(`inbound record ${record.sesMessageId} was taken over by another attempt`, { cause: error });
      }
      throw error;
    }
  }
}
