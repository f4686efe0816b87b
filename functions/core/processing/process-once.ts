import { AppError, BusyError, describeFailure } from '../errors.ts';
import type { ErrorInfo, LeasedRecord } from '../model/processing-record.ts';
import type { Clock } from '../ports/clock.ts';
import type { ProcessingLedger } from '../ports/processing-ledger.ts';

export interface ProcessOnceDeps<R extends LeasedRecord> {
  readonly ledger: ProcessingLedger<R>;
  readonly clock: Clock;
  /** How long one attempt owns a record; longer than the function timeout. */
  readonly leaseMs: number;
  /** Attempts (counted by the ledger with the lease) after which any error fails the record. @default 3 */
  readonly maxAttempts?: number;
}

/**
 * Saves the next state of the record the step works on (the wrapper holds the lease). With
 * `{ write: false }` the step has already made that state durable in a write of its own, where a
 * retry finds it: the wrapper only carries it on, into the failed record or the next save.
 */
export type Checkpoint<R> = (next: R, options?: { readonly write?: boolean }) => Promise<R>;

/**
 * The business step guarded by `processOnce`: it gets the record as stored (a retry resumes from
 * the state the last checkpoint left), saves progress through `checkpoint`, and returns the
 * record in its final state. It knows nothing of leases, attempts, replays or failure records.
 */
export type ProcessingStep<R> = (record: R, checkpoint: Checkpoint<R>) => Promise<R>;

export interface ProcessOnceOptions<R> {
  /** Process a `failed` record again (an operator's replay) instead of reporting it done. */
  readonly replay?: boolean;
  /** Called before the failed record is saved, e.g. to list the failure for operators; gets the latest record. */
  readonly onFailed?: (record: R, error: ErrorInfo) => Promise<void>;
}

/** What became of one record: processed now, found final (done or failed) from an earlier attempt, or failed now. */
export type ProcessResult<R> =
  | { readonly kind: 'processed'; readonly record: R }
  | { readonly kind: 'done'; readonly record: R }
  | { readonly kind: 'failed'; readonly record: R; readonly error: ErrorInfo };

export const DEFAULT_MAX_ATTEMPTS = 3;

/**
 * Runs `step` at most once to completion per record, however often it is delivered, the way
 * Powertools' idempotency handler guards a function.
 *
 * - The ledger creates the record with a lease, or hands back the stored one: a final one is
 *   `done` (a duplicate delivery), one whose lease another attempt holds is a `BusyError` (a
 *   race the caller retries), one whose lease expired (a crashed attempt) is taken over.
 * - A permanent error (an `AppError` that is not retryable) fails the record at once: retrying
 *   cannot help. A retryable or unknown error gives the lease back and is thrown for the caller
 *   to retry, until the attempt `maxAttempts`: then it fails the record too, so an error that never
 *   goes away ends in the failed state instead of a dead-letter queue.
 * - A failed record moves again only on `replay`.
 */
export async function processOnce<R extends LeasedRecord>(
  deps: ProcessOnceDeps<R>,
  fresh: R,
  step: ProcessingStep<R>,
  options: ProcessOnceOptions<R> = {},
): Promise<ProcessResult<R>> {
  const entry = await deps.ledger.acquire(fresh, { now: deps.clock.now(), leaseMs: deps.leaseMs, replay: options.replay ?? false });
  if (entry.kind === 'busy') throw new BusyError('the record is being processed by another attempt');
  if (entry.kind === 'done') return { kind: 'done', record: entry.record };

  // Every save goes through `checkpoint`, so the error path writes the latest record.
  let record: R = { ...entry.record, error: null };
  const checkpoint: Checkpoint<R> = async (next, options) => (record = options?.write === false ? next : await save(deps, next));
  try {
    const final = await step(record, checkpoint);
    return { kind: 'processed', record: await checkpoint(final) };
  } catch (error) {
    const failure = describeFailure(error);
    const permanent = !failure.retryable;
    if (!permanent && record.attempts < (deps.maxAttempts ?? DEFAULT_MAX_ATTEMPTS)) {
      // The retry need not wait for the lease; a failure to release only makes it wait.
      await deps.ledger.release(record).catch(() => undefined);
      throw error;
    }
    const info = errorInfo(error, failure, permanent ? null : record.attempts);
    await options.onFailed?.(record, info);
    const failed = await save(deps, { ...record, state: 'failed', error: info });
    return { kind: 'failed', record: failed, error: info };
  }
}

async function save<R extends LeasedRecord>(deps: ProcessOnceDeps<R>, record: R): Promise<R> {
  const next = { ...record, updatedAt: deps.clock.now().toISOString() };
  await deps.ledger.save(next);
  return next;
}

/**
 * The record's error: the failure's code and reason (a foreign error's class named, since its
 * message alone may not say what it is), and for a transient one how often it was tried.
 */
function errorInfo(error: unknown, failure: ReturnType<typeof describeFailure>, attempts: number | null): ErrorInfo {
  const reason = error instanceof Error && !(error instanceof AppError) ? `${error.name}: ${failure.reason}` : failure.reason;
  const suffix = attempts === null ? '' : ` (gave up after ${attempts} attempts)`;
  return { code: failure.code, reason: `${reason.slice(0, 500)}${suffix}` };
}
