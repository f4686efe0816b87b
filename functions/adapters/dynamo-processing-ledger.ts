import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ZodType } from 'zod';
import { BusyError } from '../core/errors.ts';
import { FINAL_STATES, InboundRecordSchema, type InboundRecord } from '../core/model/inbound-record.ts';
import { OUTBOUND_FINAL_STATES, OutboundRecordSchema, type OutboundRecord } from '../core/model/outbound-job.ts';
import type { LeasedRecord } from '../core/model/processing-record.ts';
import type { AcquireOptions, LedgerEntry, ProcessingLedger } from '../core/ports/processing-ledger.ts';
import { type LeaseRules, leaseUntil, nextLease } from '../core/processing/lease.ts';
import { itemKeys, type ItemKey } from './dynamo-schema.ts';
import { isConditionFailed, key, withoutKeys } from './dynamo-util.ts';

/** What the ledger needs to know of one kind of processing record. */
export interface RecordKind<R extends LeasedRecord> extends LeaseRules<R> {
  /** Human name, for errors: `inbound record`, `outbound job`. */
  readonly name: string;
  readonly keyOf: (record: R) => ItemKey;
  /** Validates an item read back. */
  readonly schema: ZodType<R>;
  /** Names the record in errors (never anything secret). */
  readonly describe: (record: R) => string;
}

/** Inbound records: one per (SES message id, channel). */
export const INBOUND_RECORDS: RecordKind<InboundRecord> = {
  name: 'inbound record',
  keyOf: (r) => itemKeys.inbound(r.sesMessageId, r.channelId),
  schema: InboundRecordSchema,
  finalStates: FINAL_STATES,
  firstState: 'received',
  describe: (r) => r.sesMessageId,
};

/** Outbound records: one per outbound message. */
export const OUTBOUND_RECORDS: RecordKind<OutboundRecord> = {
  name: 'outbound record',
  keyOf: (r) => itemKeys.outbound(r.messageId),
  schema: OutboundRecordSchema,
  finalStates: OUTBOUND_FINAL_STATES,
  firstState: 'queued',
  describe: (r) => r.messageId,
};

/**
 * Processing records in the Postroom table. The lease (`leaseUntil`) fences attempts: a record is
 * created with a lease, a stale lease is taken over with a conditional update on its old value,
 * and every save is conditional on the lease still being the caller's.
 */
export class DynamoProcessingLedger<R extends LeasedRecord> implements ProcessingLedger<R> {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly kind: RecordKind<R>,
  ) {}

  async acquire(record: R, options: AcquireOptions): Promise<LedgerEntry<R>> {
    const k = this.kind.keyOf(record);
    const fresh: R = { ...record, leaseUntil: leaseUntil(options), attempts: 1 };
    try {
      await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...k, ...fresh }, ConditionExpression: 'attribute_not_exists(pk)' }));
      return { kind: 'acquired', record: fresh };
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key(k), ConsistentRead: true }));
    const stored = this.kind.schema.parse(withoutKeys(out.Item ?? {}));
    const step = nextLease(stored, options, this.kind);
    if (step.kind !== 'take') return { kind: step.kind, record: stored };
    // Counted with the lease, so an attempt that crashes before its first save still counts.
    const taken = step.record;
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(k),
          UpdateExpression: 'SET leaseUntil = :lease, #state = :state, attempts = :attempts',
          ConditionExpression: stored.leaseUntil === null ? 'attribute_type(leaseUntil, :null)' : 'leaseUntil = :old',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':lease': taken.leaseUntil,
            ':state': taken.state,
            ':attempts': taken.attempts,
            ...(stored.leaseUntil === null ? { ':null': 'NULL' } : { ':old': stored.leaseUntil }),
          },
        }),
      );
    } catch (error) {
      if (isConditionFailed(error)) return { kind: 'busy', record: stored };
      throw error;
    }
    return { kind: 'acquired', record: taken };
  }

  async release(record: R): Promise<void> {
    await this.client
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(this.kind.keyOf(record)),
          UpdateExpression: 'SET leaseUntil = :null',
          ConditionExpression: 'leaseUntil = :lease',
          ExpressionAttributeValues: { ':null': null, ':lease': record.leaseUntil },
        }),
      )
      .catch((error: unknown) => {
        if (!isConditionFailed(error)) throw error; // taken over: the lease is someone else's now
      });
  }

  async save(record: R): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...this.kind.keyOf(record), ...record },
          ConditionExpression: 'leaseUntil = :lease',
          ExpressionAttributeValues: { ':lease': record.leaseUntil },
        }),
      );
    } catch (error) {
      if (isConditionFailed(error)) throw new BusyError(`${this.kind.name} ${this.kind.describe(record)} was taken over by another attempt`, { cause: error });
      throw error;
    }
  }
}
