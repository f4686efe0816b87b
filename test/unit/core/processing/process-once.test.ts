import { describe, expect, it } from 'vitest';
import { MemoryProcessingLedger } from '../../../../functions/adapters/memory/memory-processing-ledger.ts';
import { AppError, BusyError, DependencyError, MailParseError } from '../../../../functions/core/errors.ts';
import type { LeasedRecord } from '../../../../functions/core/model/processing-record.ts';
import { processOnce, type ProcessingStep } from '../../../../functions/core/processing/process-once.ts';
import { TestClock } from '../../../support/clock.ts';

interface Job extends LeasedRecord {
  readonly id: string;
  readonly state: 'new' | 'halfway' | 'done' | 'failed';
  readonly steps: readonly string[];
}

const LEASE_MS = 60_000;

function setup(maxAttempts = 3) {
  const clock = new TestClock();
  const ledger = new MemoryProcessingLedger<Job>((j) => j.id, { finalStates: ['done', 'failed'], firstState: 'new' });
  const deps = { ledger, clock, leaseMs: LEASE_MS, maxAttempts };
  const job = (id = 'job-1'): Job => ({ id, state: 'new', steps: [], leaseUntil: null, attempts: 0, error: null, updatedAt: clock.now().toISOString() });
  return { clock, ledger, deps, job };
}

const finishes: ProcessingStep<Job> = async (record) => ({ ...record, state: 'done', steps: [...record.steps, 'finish'] });

describe('processOnce', () => {
  it('runs the step once and saves its final record; a second delivery finds it done and runs nothing', async () => {
    // Arrange
    const { deps, job, ledger } = setup();
    let runs = 0;
    const step: ProcessingStep<Job> = async (record) => {
      runs += 1;
      return finishes(record, async (r) => r);
    };
    // Act
    const first = await processOnce(deps, job(), step);
    const second = await processOnce(deps, job(), step);
    // Assert
    expect(first).toMatchObject({ kind: 'processed', record: { state: 'done', attempts: 1 } });
    expect(second).toMatchObject({ kind: 'done', record: { state: 'done' } });
    expect(runs).toBe(1);
    expect(ledger.get('job-1')?.steps).toEqual(['finish']);
  });

  it('refuses with a retryable BusyError while another attempt holds a live lease', async () => {
    // Arrange: the first attempt crashed inside the step after a checkpoint, leaving its lease
    const { deps, job } = setup();
    await processOnce(deps, job(), async (record, checkpoint) => {
      await checkpoint({ ...record, state: 'halfway' });
      throw new TypeError('crash');
    }).catch(() => undefined);
    await deps.ledger.acquire(job(), { now: deps.clock.now(), leaseMs: LEASE_MS, replay: false }).catch(() => undefined);
    // Act
    const error = await processOnce(deps, job(), finishes).catch((e: unknown) => e);
    // Assert
    expect(error).toBeInstanceOf(BusyError);
    expect((error as BusyError).retryable).toBe(true);
  });

  it('resumes a crashed attempt from its last checkpoint once the lease expired', async () => {
    // Arrange
    const { deps, job, clock, ledger } = setup();
    const crash = processOnce(deps, job(), async (record, checkpoint) => {
      await checkpoint({ ...record, state: 'halfway', steps: ['first half'] });
      // A crash, as far as the ledger knows: the lease is never given back.
      return new Promise<Job>(() => undefined);
    });
    void crash;
    await new Promise((resolve) => setTimeout(resolve, 0));
    clock.advance(LEASE_MS + 1);
    // Act
    const seen: string[] = [];
    const result = await processOnce(deps, job(), async (record): Promise<Job> => {
      seen.push(record.state);
      return { ...record, state: 'done', steps: [...record.steps, 'second half'] };
    });
    // Assert
    expect(seen).toEqual(['halfway']);
    expect(result).toMatchObject({ kind: 'processed', record: { attempts: 2 } });
    expect(ledger.get('job-1')?.steps).toEqual(['first half', 'second half']);
  });

  it('fails at once on a permanent error, calls onFailed with the latest record, and keeps the reason', async () => {
    // Arrange
    const { deps, job, ledger } = setup();
    const failedWith: string[] = [];
    // Act
    const result = await processOnce(
      deps,
      job(),
      async (record, checkpoint) => {
        await checkpoint({ ...record, state: 'halfway' });
        throw new MailParseError('No header block');
      },
      { onFailed: async (record, error) => void failedWith.push(`${record.state}:${error.code}`) },
    );
    // Assert
    expect(result).toMatchObject({ kind: 'failed', error: { code: 'malformed-mail', reason: 'No header block' } });
    expect(failedWith).toEqual(['halfway:malformed-mail']);
    expect(ledger.get('job-1')).toMatchObject({ state: 'failed', error: { code: 'malformed-mail' } });
  });

  it('carries progress the step wrote elsewhere ({ write: false }) into the failed record without saving it first', async () => {
    // Arrange: the step keeps `halfway` in a store of its own; the ledger sees no save of it
    const { deps, job, ledger } = setup();
    const saved: string[] = [];
    const ledgerSave = ledger.save.bind(ledger);
    ledger.save = async (record: Job) => {
      saved.push(record.state);
      await ledgerSave(record);
    };
    // Act
    const result = await processOnce(deps, job(), async (record, checkpoint) => {
      await checkpoint({ ...record, state: 'halfway', steps: ['stored with the step'] }, { write: false });
      throw new MailParseError('No header block');
    });
    // Assert
    expect(saved).toEqual(['failed']);
    expect(result).toMatchObject({ kind: 'failed', record: { state: 'failed', steps: ['stored with the step'] } });
    expect(ledger.get('job-1')?.steps).toEqual(['stored with the step']);
  });

  it('gives the lease back and rethrows a transient error, then fails the record at the last attempt', async () => {
    // Arrange
    const { deps, job, ledger } = setup(3);
    const flaky: ProcessingStep<Job> = async () => {
      throw new DependencyError('dependency-unavailable', 'throttled');
    };
    // Act
    const thrown: unknown[] = [];
    for (let i = 0; i < 2; i++) thrown.push(await processOnce(deps, job(), flaky).catch((e: unknown) => e));
    const leaseAfterRetry = ledger.get('job-1')?.leaseUntil;
    const last = await processOnce(deps, job(), flaky);
    // Assert
    expect(thrown.every((e) => e instanceof DependencyError)).toBe(true);
    expect(leaseAfterRetry).toBeNull();
    expect(last).toMatchObject({ kind: 'failed', error: { code: 'dependency-unavailable', reason: 'throttled (gave up after 3 attempts)' } });
  });

  it('treats unknown errors as transient and names their class in the reason', async () => {
    // Arrange
    const { deps, job } = setup(1);
    // Act
    const result = await processOnce(deps, job(), async () => {
      throw new RangeError('bad index');
    });
    // Assert
    expect(result).toMatchObject({ kind: 'failed', error: { code: 'unexpected-error', reason: 'RangeError: bad index (gave up after 1 attempts)' } });
  });

  it('reports a failed record as done on a later delivery, and runs it again from the first state on a replay', async () => {
    // Arrange
    const { deps, job } = setup();
    await processOnce(deps, job(), async () => {
      throw new AppError('validation', 'bad input');
    });
    // Act
    const again = await processOnce(deps, job(), finishes);
    const replayed = await processOnce(deps, job(), finishes, { replay: true });
    // Assert
    expect(again).toMatchObject({ kind: 'done', record: { state: 'failed' } });
    expect(replayed).toMatchObject({ kind: 'processed', record: { state: 'done', attempts: 1, error: null } });
  });
});
