import { AppError, ConflictError, NotFoundError, PolicyError } from '../errors.ts';
import { HASHED_ADDRESS_PREFIX } from '../model/suppression.ts';
import type { Clock, IdGenerator } from '../ports/clock.ts';
import type { AuditRecords, PrivacyJobStore, SubjectScan } from '../ports/privacy.ts';
import { subjectMatcher, type SubjectMatcher } from './address-match.ts';
import { type ErasureDeps, type ErasureTally, eraseFinding } from './erase-subject.ts';
import { type ExportDeps, type StagedFinding, packExport, stageOf } from './export-subject.ts';
import { MAX_JOB_TERMS, type PrivacyJob } from './privacy-job.ts';
import { redactValue } from './redact-records.ts';

export interface PrivacyRunDeps extends ErasureDeps, Omit<ExportDeps, 'now'> {
  readonly jobs: PrivacyJobStore;
  readonly scan: SubjectScan;
  readonly audit: AuditRecords;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

/** Time a lease outlives a run's budget: a run that dies is taken over after this. */
const LEASE_MARGIN_MS = 60_000;

/**
 * Runs a job for at most about `budgetMs` from where it stands, step by step (a page of the table,
 * a page of the audit log, the packing, the finish), saving after each step. Returns the job:
 * `running` when the budget ran out first (run it again to go on), `done` at the end. A run finds
 * a job another run holds (its lease) and leaves it alone. Every step is idempotent, so a run that
 * dies midway is repeated from its last save without harm. `onStep` sees the job after each step.
 */
export async function runPrivacyJob(deps: PrivacyRunDeps, id: string, budgetMs: number, onStep?: (job: PrivacyJob) => void): Promise<PrivacyJob> {
  const start = await deps.jobs.get(id);
  if (!start) throw new NotFoundError(`no privacy job ${id}`);
  if (start.status === 'done' || start.status === 'failed') return start;
  const began = deps.clock.now().getTime();
  if (start.leaseUntil && Date.parse(start.leaseUntil) > began) return start;
  let job: PrivacyJob;
  try {
    job = await save(deps, {
      ...start,
      status: 'running',
      startedAt: start.startedAt ?? new Date(began).toISOString(),
      leaseUntil: new Date(began + budgetMs + LEASE_MARGIN_MS).toISOString(),
    });
  } catch (error) {
    if (error instanceof ConflictError) return (await deps.jobs.get(id)) ?? start;
    throw error;
  }
  try {
    while (job.status === 'running' && deps.clock.now().getTime() - began < budgetMs) {
      job = await step(deps, job);
      onStep?.(job);
    }
    return job.status === 'running' ? await save(deps, { ...job, leaseUntil: null }) : job;
  } catch (error) {
    // Dependencies that fail for now (and errors of unknown kind) are retried by the caller's
    // queue from the last save; an error that will fail the same way again ends the job.
    if (!(error instanceof AppError) || error.retryable || error instanceof ConflictError) {
      await save(deps, { ...job, leaseUntil: null }).catch(() => undefined);
      throw error;
    }
    return save(deps, { ...job, status: 'failed', error: error.message.slice(0, 500), finishedAt: deps.clock.now().toISOString(), leaseUntil: null });
  }
}

async function step(deps: PrivacyRunDeps, job: PrivacyJob): Promise<PrivacyJob> {
  switch (job.phase) {
    case 'suppress':
      return suppressFirst(deps, job);
    case 'scan':
      return scanPage(deps, job);
    case 'audit':
      return auditPage(deps, job);
    case 'pack':
      return pack(deps, job);
    case 'finish':
      return finishErasure(deps, job);
    case 'done':
      return save(deps, { ...job, status: 'done', leaseUntil: null });
  }
}

function matcherOf(job: PrivacyJob): SubjectMatcher {
  if (job.address === null) throw new PolicyError('policy', `privacy job ${job.id} has no address left to work on`);
  return subjectMatcher({ address: job.address, names: job.terms.names, messageIds: job.terms.messageIds });
}

/** The hashed account-wide suppression before anything else: no mail leaves for the address while the rest runs, or after. */
async function suppressFirst(deps: PrivacyRunDeps, job: PrivacyJob): Promise<PrivacyJob> {
  await deps.eraser.putSuppression({
    address: `${HASHED_ADDRESS_PREFIX}${job.addressHash}`,
    scope: { kind: 'account' },
    reason: 'erasure',
    hashed: true,
    detail: `erased on request (job ${job.id})`,
    messageId: null,
    since: deps.clock.now().toISOString(),
  });
  const estimatedItems = await deps.scan.estimate();
  return save(deps, { ...job, phase: 'scan', estimatedItems, counts: { ...job.counts, hashedSuppressions: 1 } });
}

async function scanPage(deps: PrivacyRunDeps, job: PrivacyJob): Promise<PrivacyJob> {
  const estimatedItems = job.estimatedItems ?? (job.scannedItems === 0 ? await deps.scan.estimate() : null);
  const m = matcherOf(job);
  const page = await deps.scan.page(m, job.cursor);
  let next: PrivacyJob = { ...job, estimatedItems, scannedItems: job.scannedItems + page.scanned, cursor: page.cursor, phase: page.cursor ? 'scan' : 'audit' };
  if (job.kind === 'export') {
    next = await stage(deps, next, page.findings.map(stageOf));
    return save(deps, {
      ...next,
      counts: countFindings(
        next.counts,
        page.findings.map((f) => f.kind),
      ),
    });
  }
  // The cursor moves on only once the whole page is worked: a run that dies reads the page again.
  const tally: ErasureTally = {
    counts: { ...job.counts },
    held: new Set(job.heldConversations),
    configuration: new Set(job.configuration),
    done: new Set(),
    matcher: m,
  };
  for (const finding of page.findings) await eraseFinding(deps, tally, finding);
  return save(deps, { ...next, ...fromTally(tally) });
}

async function auditPage(deps: PrivacyRunDeps, job: PrivacyJob): Promise<PrivacyJob> {
  const m = matcherOf(job);
  const page = await deps.audit.page(job.cursor);
  const naming = page.entries.filter((entry) => m.mentions(JSON.stringify(entry)));
  const after: PrivacyJob['phase'] = page.cursor ? 'audit' : job.kind === 'export' ? 'pack' : 'finish';
  let next: PrivacyJob = { ...job, cursor: page.cursor, phase: after };
  if (job.kind === 'export') {
    next = await stage(
      deps,
      next,
      naming.map((entry) => ({ kind: 'audit', entry })),
    );
    return save(deps, {
      ...next,
      counts: countFindings(
        next.counts,
        naming.map(() => 'audit'),
      ),
    });
  }
  let redacted = 0;
  for (const entry of naming) {
    const out = redactValue(entry, m);
    if (!out.changed) continue;
    await deps.audit.replace(out.value);
    redacted += 1;
  }
  return save(deps, {
    ...next,
    counts: redacted > 0 ? { ...next.counts, auditEntriesRedacted: (next.counts.auditEntriesRedacted ?? 0) + redacted } : next.counts,
  });
}

async function stage(deps: PrivacyRunDeps, job: PrivacyJob, findings: readonly StagedFinding[]): Promise<PrivacyJob> {
  if (findings.length === 0) return job;
  await deps.staging.put(job.id, job.parts, findings);
  return { ...job, parts: job.parts + 1 };
}

async function pack(deps: PrivacyRunDeps, job: PrivacyJob): Promise<PrivacyJob> {
  const packed = await packExport({ ...deps, now: () => deps.clock.now() }, job, matcherOf(job));
  await deps.staging.clear(job.id);
  return save(deps, {
    ...job,
    status: 'done',
    phase: 'done',
    archiveKey: packed.key,
    archiveBytes: packed.bytes,
    counts: packed.counts,
    parts: 0,
    terms: { names: [], messageIds: [] },
    finishedAt: deps.clock.now().toISOString(),
    leaseUntil: null,
  });
}

/**
 * The end of an erasure: earlier exports of the same person deleted (their archives hold what
 * was just erased) and their jobs stripped of the address; one audit record of what was done,
 * by whom, without the address; the address and what was learned of the person dropped from the job.
 */
async function finishErasure(deps: PrivacyRunDeps, job: PrivacyJob): Promise<PrivacyJob> {
  let current = job;
  if (!current.finishedAt) current = await save(deps, { ...current, finishedAt: deps.clock.now().toISOString() });
  let exportsDeleted = 0;
  for (const earlier of await deps.jobs.list()) {
    if (earlier.id === job.id || earlier.addressHash !== job.addressHash) continue;
    if (earlier.archiveKey) await deps.archives.delete(earlier.archiveKey);
    await deps.staging.clear(earlier.id);
    if (earlier.address === null && earlier.archiveKey === null) continue;
    const scrubbed: PrivacyJob = { ...earlier, address: null, archiveKey: null, terms: { names: [], messageIds: [] }, version: earlier.version + 1 };
    // A job still running elsewhere loses its next save and stops; it has no address left to work with.
    if (await deps.jobs.put(scrubbed)) exportsDeleted += earlier.kind === 'export' && earlier.archiveKey ? 1 : 0;
  }
  const counts = exportsDeleted > 0 ? { ...current.counts, exportsDeleted: (current.counts.exportsDeleted ?? 0) + exportsDeleted } : current.counts;
  try {
    // Its id and time are the job's, so a finish that runs twice records once.
    await deps.audit.append({
      id: `${job.id}.erased`,
      at: current.finishedAt ?? deps.clock.now().toISOString(),
      actor: job.requestedBy,
      action: 'privacy.erasure.done',
      resource: { type: 'privacy-erasure', id: job.id },
      fields: [...Object.entries(counts).map(([k, v]) => `${k}=${v}`), `heldConversations=${job.heldConversations.length}`].sort(),
      requestId: job.requestId,
    });
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
  }
  return save(deps, { ...current, counts, address: null, terms: { names: [], messageIds: [] }, status: 'done', phase: 'done', leaseUntil: null });
}

function fromTally(tally: ErasureTally): Pick<PrivacyJob, 'counts' | 'heldConversations' | 'configuration' | 'terms'> {
  return {
    counts: tally.counts,
    heldConversations: [...tally.held].sort(),
    configuration: [...tally.configuration].sort(),
    terms: { names: termsOf(tally.matcher, 'names'), messageIds: termsOf(tally.matcher, 'messageIds') },
  };
}

function termsOf(m: SubjectMatcher, which: 'names' | 'messageIds'): string[] {
  return [...m.terms[which]].slice(0, MAX_JOB_TERMS);
}

/** An export's counts of findings by kind, while it scans. */
function countFindings(counts: Readonly<Record<string, number>>, kinds: readonly string[]): Record<string, number> {
  const out = { ...counts };
  for (const kind of kinds) out[`found.${kind}`] = (out[`found.${kind}`] ?? 0) + 1;
  return out;
}

async function save(deps: Pick<PrivacyRunDeps, 'jobs'>, job: PrivacyJob): Promise<PrivacyJob> {
  const next = { ...job, version: job.version + 1 };
  if (!(await deps.jobs.put(next))) throw new ConflictError(`privacy job ${job.id} was changed by another run`);
  return next;
}
