import type { LeasedRecord } from '../model/processing-record.ts';

/** Result of trying to take the processing lease of a record. */
export type LedgerEntry<R extends LeasedRecord> =
  /** The caller holds the lease (a new record, or a stale one left by a crashed attempt). */
  | { readonly kind: 'acquired'; readonly record: R }
  /** Another attempt holds a live lease: retry later. */
  | { readonly kind: 'busy'; readonly record: R }
  /** Processing finished before (or failed, and this is no replay). */
  | { readonly kind: 'done'; readonly record: R };

export interface AcquireOptions {
  readonly now: Date;
  readonly leaseMs: number;
  /** Take the lease of a `failed` record too (an operator's replay), restarting it in its first state. */
  readonly replay: boolean;
}

/**
 * Processing records keyed by what they make idempotent (an SES message id and channel, an
 * outbound job): the lease, the attempts and the state, stored with conditional writes.
 */
export interface ProcessingLedger<R extends LeasedRecord> {
  /**
   * Creates the record with a lease, or returns the stored one; takes the lease of a non-final
   * record whose lease expired, and of a `failed` one when `replay` is set. Taking the lease
   * counts an attempt (`attempts`, reset to 1 on a replay), stored with the lease.
   */
  acquire(record: R, options: AcquireOptions): Promise<LedgerEntry<R>>;
  /** Stores the next state while the caller holds the lease; `BusyError` when it was taken over. */
  save(record: R): Promise<void>;
  /** Gives the lease up early (an attempt that failed and will be retried), unless it was taken over. */
  release(record: R): Promise<void>;
}
