import type { LeasedRecord } from '../model/processing-record.ts';
import type { AcquireOptions } from '../ports/processing-ledger.ts';

/** What a ledger keeps of a kind of record to decide on its leases. */
export interface LeaseRules<R extends LeasedRecord> {
  /** States after which nothing is left to do (`failed` among them). */
  readonly finalStates: readonly string[];
  /** The state a replayed failed record starts over in. */
  readonly firstState: R['state'];
}

/** What to do with a stored record someone wants the lease of. */
export type LeaseStep<R> =
  | { readonly kind: 'done' }
  | { readonly kind: 'busy' }
  /** Take the lease: the record as it is to be stored, with the new lease and the attempt counted. */
  | { readonly kind: 'take'; readonly record: R };

/** ISO end of a lease taken now. */
export function leaseUntil(options: AcquireOptions): string {
  return new Date(options.now.getTime() + options.leaseMs).toISOString();
}

/**
 * The lease rules every ledger applies to a stored record: a final one is done (a failed one
 * moves again only on a replay, from the first state, attempts counted from 1); a live lease is
 * another attempt's; an expired one (a crashed attempt) is taken over, one more attempt counted.
 */
export function nextLease<R extends LeasedRecord>(stored: R, options: AcquireOptions, rules: LeaseRules<R>): LeaseStep<R> {
  const replaying = options.replay && stored.state === 'failed';
  if (rules.finalStates.includes(stored.state) && !replaying) return { kind: 'done' };
  if (!replaying && stored.leaseUntil !== null && stored.leaseUntil > options.now.toISOString()) return { kind: 'busy' };
  return {
    kind: 'take',
    record: { ...stored, leaseUntil: leaseUntil(options), state: replaying ? rules.firstState : stored.state, attempts: replaying ? 1 : stored.attempts + 1 },
  };
}
