import { describe, expect, it } from 'vitest';
import { newPrivacyJob, type PrivacyJob } from '../../../functions/core/governance/privacy-job.ts';
import { type PrivacyRunDeps, runPrivacyJob } from '../../../functions/core/governance/run-privacy-job.ts';
import { DependencyError } from '../../../functions/core/errors.ts';
import type { Finding, PrivacyJobStore, ScanCursor } from '../../../functions/core/ports/privacy.ts';
import type { AuditEntry } from '../../../functions/core/model/admin-resources.ts';
import { privacyJobIds } from '../../../functions/runtime/privacy-queue.ts';

class MemoryJobs implements PrivacyJobStore {
  readonly jobs = new Map<string, PrivacyJob>();
  async get(id: string) {
    return this.jobs.get(id) ?? null;
  }
  async put(job: PrivacyJob) {
    const stored = this.jobs.get(job.id);
    if ((stored?.version ?? 0) !== job.version - 1) return false;
    this.jobs.set(job.id, job);
    return true;
  }
  async list() {
    return [...this.jobs.values()];
  }
}

/** A table of `pages` pages, each naming the person in one keyed item; a clock that moves `tickMs` per reading. */
function world(options: { pages: number; tickMs?: number; failOnPage?: number; failure?: Error }) {
  let now = Date.parse('2026-12-08T10:00:00.000Z');
  const jobs = new MemoryJobs();
  const deleted: string[] = [];
  const appended: AuditEntry[] = [];
  const eraser = new Proxy(
    {},
    {
      get: (_t, name) => async (arg: unknown) => {
        if (name === 'deleteItem') deleted.push(String((arg as { sk: string }).sk));
        return name.toString().startsWith('redact') ? false : 0;
      },
    },
  );
  const deps = {
    jobs,
    clock: {
      now: () => {
        now += options.tickMs ?? 0;
        return new Date(now);
      },
    },
    ids: { next: () => 'id' },
    scan: {
      estimate: async () => options.pages,
      page: async (_m: unknown, cursor: ScanCursor | null) => {
        const n = cursor ? Number(cursor.n) : 0;
        if (options.failOnPage === n && options.failure) throw options.failure;
        const findings: Finding[] = [{ kind: 'keyed', what: 'window event', ref: { pk: 'HITS#x', sk: `p${n}` }, item: {} }];
        return { findings, scanned: 1, cursor: n + 1 < options.pages ? { n: String(n + 1) } : null };
      },
    },
    audit: { page: async () => ({ entries: [], cursor: null }), replace: async () => undefined, append: async (e: AuditEntry) => void appended.push(e) },
    eraser,
    data: eraser,
    mail: { redact: (raw: Uint8Array) => ({ value: raw, changed: false }) },
    contents: { read: async () => ({ from: [], subject: '', text: '', attachments: [] }) },
    staging: { put: async () => undefined, get: async () => [], clear: async () => undefined },
    archives: {
      create: async () => ({ add: async () => undefined, close: async () => ({ key: 'k', bytes: 1 }), abort: async () => undefined }),
      downloadUrl: async () => ({ url: '', expiresAt: '' }),
      delete: async () => undefined,
    },
  } as unknown as PrivacyRunDeps;
  const job = newPrivacyJob({
    id: 'j1',
    kind: 'erasure',
    address: 'alice@customer.example',
    hash: 'h',
    at: '2026-12-08T10:00:00.000Z',
    requestedBy: { kind: 'token', id: 'admin' },
    requestId: null,
  });
  jobs.jobs.set(job.id, job);
  return { deps, jobs, deleted, appended };
}

describe('running a privacy job', () => {
  it('stops when its budget is spent, saving where the scan stands, and goes on from there in the next run', async () => {
    // Arrange: every clock reading takes a second; a run's budget is three
    const w = world({ pages: 5, tickMs: 1000 });
    // Act
    const first = await runPrivacyJob(w.deps, 'j1', 3000);
    let last = first;
    for (let i = 0; i < 20 && last.status === 'running'; i++) last = await runPrivacyJob(w.deps, 'j1', 3000);
    // Assert
    expect(first).toMatchObject({ status: 'running', leaseUntil: null });
    expect(first.scannedItems).toBeLessThan(5);
    expect(last).toMatchObject({ status: 'done', phase: 'done', address: null, counts: { itemsDeleted: 5, hashedSuppressions: 1 } });
    expect(w.deleted).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect(w.appended).toHaveLength(1);
    expect(w.appended[0]).toMatchObject({ id: 'j1.erased', action: 'privacy.erasure.done', fields: expect.arrayContaining(['itemsDeleted=5']) });
  });

  it('leaves a job another run holds alone, and finishes a done one at once', async () => {
    // Arrange
    const w = world({ pages: 1 });
    const held = { ...(w.jobs.jobs.get('j1') as PrivacyJob), status: 'running' as const, leaseUntil: '2099-01-01T00:00:00.000Z' };
    w.jobs.jobs.set('j1', held);
    // Act
    const out = await runPrivacyJob(w.deps, 'j1', 60_000);
    // Assert
    expect(out).toBe(held);
    expect(w.deleted).toEqual([]);
  });

  it('fails the job on an error that would fail again, and hands back one that may pass later with the lease let go', async () => {
    // Arrange
    const rejected = world({ pages: 3, failOnPage: 1, failure: new DependencyError('dependency-rejected', 'ValidationException: item too large') });
    const unavailable = world({ pages: 3, failOnPage: 1, failure: new DependencyError('dependency-unavailable', 'ThrottlingException') });
    // Act
    const failed = await runPrivacyJob(rejected.deps, 'j1', 60_000);
    const thrown = await runPrivacyJob(unavailable.deps, 'j1', 60_000).catch((e: unknown) => e);
    // Assert
    expect(failed).toMatchObject({ status: 'failed', error: 'ValidationException: item too large', leaseUntil: null });
    expect(thrown).toBeInstanceOf(DependencyError);
    expect(unavailable.jobs.jobs.get('j1')).toMatchObject({ status: 'running', leaseUntil: null, cursor: { n: '1' } });
  });
});

describe('the privacy queue', () => {
  it('reads job ids from SQS records and skips anything else', () => {
    const event = { Records: [{ body: '{"privacyJob":"0b6c-1"}' }, { body: 'not json' }, { body: '{"privacyJob":"../x"}' }, { body: '{"other":1}' }] };
    expect(privacyJobIds(event)).toEqual(['0b6c-1']);
    expect(privacyJobIds({})).toEqual([]);
  });
});
