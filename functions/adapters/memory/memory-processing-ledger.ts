import { BusyError } from '../../core/errors.ts';
import type { LeasedRecord } from '../../core/model/processing-record.ts';
import type { AcquireOptions, LedgerEntry, ProcessingLedger } from '../../core/ports/processing-ledger.ts';
import { type LeaseRules, leaseUntil, nextLease } from '../../core/processing/lease.ts';

/**
 * Processing records in memory, with the DynamoDB ledger's semantics: a lease fences attempts,
 * a stale lease is taken over, a save by an attempt whose lease was taken over is a `BusyError`.
 */
export class MemoryProcessingLedger<R extends LeasedRecord> implements ProcessingLedger<R> {
  private readonly records = new Map<string, R>();

  constructor(
    private readonly keyOf: (record: R) => string,
    private readonly options: LeaseRules<R>,
  ) {}

  async acquire(record: R, options: AcquireOptions): Promise<LedgerEntry<R>> {
    const stored = this.records.get(this.keyOf(record));
    if (!stored) {
      const fresh: R = { ...record, leaseUntil: leaseUntil(options), attempts: 1 };
      this.records.set(this.keyOf(record), fresh);
      return { kind: 'acquired', record: fresh };
    }
    const step = nextLease(stored, options, this.options);
    if (step.kind !== 'take') return { kind: step.kind, record: stored };
    this.records.set(this.keyOf(record), step.record);
    return { kind: 'acquired', record: step.record };
  }

  async save(record: R): Promise<void> {
    const stored = this.records.get(this.keyOf(record));
    if (stored && stored.leaseUntil !== record.leaseUntil) throw new BusyError('the record was taken over by another attempt');
    this.records.set(this.keyOf(record), record);
  }

  async release(record: R): Promise<void> {
    const stored = this.records.get(this.keyOf(record));
    if (stored && stored.leaseUntil === record.leaseUntil) this.records.set(this.keyOf(record), { ...stored, leaseUntil: null });
  }

  /** The stored record, for checks. */
  get(key: string): R | undefined {
    return this.records.get(key);
  }
}
