import { AppError, NotFoundError, PolicyError } from '../errors.ts';
import type { ChannelSettings } from '../model/channel.ts';
import { type ImportJob, MAX_JOB_FAILURES } from '../model/import-job.ts';
import type { IdGenerator } from '../ports/clock.ts';
import type { ArchiveUploadForm, ImportArchives, ImportJobStore } from '../ports/import-jobs.ts';
import { type ArchivedMail, type ImportDeps, importMail } from './import-mail.ts';

/** One message of an archive with where to resume after it. */
export type PositionedMail = ArchivedMail & { readonly position: Readonly<Record<string, unknown>> };

/** Reads an archive from a local path, from a resume position. */
export type ArchiveReader = (
  path: string,
  options: { readonly startAt?: Readonly<Record<string, unknown>>; readonly maxMessageBytes: number },
) => AsyncIterable<PositionedMail>;

export interface ImportJobDeps {
  readonly jobs: ImportJobStore;
  readonly archives: ImportArchives;
  readonly ids: IdGenerator;
  readonly now: () => Date;
}

export interface RunImportDeps extends ImportJobDeps {
  readonly importing: ImportDeps;
  readonly read: ArchiveReader;
}

/** A new job and the form its archive is uploaded with. */
export async function createImportJob(
  deps: ImportJobDeps,
  channel: ChannelSettings,
  createdBy: string,
): Promise<{ readonly job: ImportJob; readonly upload: ArchiveUploadForm }> {
  const id = deps.ids.next().toLowerCase();
  const job: ImportJob = {
    id,
    channelId: channel.id,
    status: 'awaiting-upload',
    objectKey: `imports/${channel.id}/${id}/archive`,
    createdAt: deps.now().toISOString(),
    createdBy,
    startedAt: null,
    finishedAt: null,
    position: null,
    counts: { processed: 0, imported: 0, duplicates: 0, failed: 0 },
    failures: [],
    error: null,
    version: 1,
  };
  await deps.jobs.put(job);
  return { job, upload: await deps.archives.uploadForm(job.objectKey) };
}

export async function importJobOf(deps: Pick<ImportJobDeps, 'jobs'>, channelId: string, id: string): Promise<ImportJob> {
  const job = await deps.jobs.get(channelId, id);
  if (!job) throw new NotFoundError(`no import ${id} on channel ${channelId}`);
  return job;
}

/** Queues the job once its archive is uploaded; starting it again is harmless. */
export async function startImportJob(deps: ImportJobDeps, channelId: string, id: string): Promise<ImportJob> {
  const job = await importJobOf(deps, channelId, id);
  if (job.status !== 'awaiting-upload') return job;
  if (!(await deps.archives.exists(job.objectKey)))
    throw new PolicyError('policy', `import ${id}: upload the archive with the form first (nothing arrived yet)`);
  const queued: ImportJob = { ...job, status: 'queued', version: job.version + 1 };
  return (await deps.jobs.put(queued)) ? queued : importJobOf(deps, channelId, id);
}

/**
 * Runs a queued (or interrupted) job for at most `budgetMs`, from its saved position: each
 * message through `importMail` (closed conversations, no queue, no acknowledgement, nothing
 * twice), the position and counts saved every few messages. Returns the job; `running` when the
 * budget ran out first (run it again to go on), `done` at the end of the archive.
 */
export async function runImportJob(deps: RunImportDeps, channel: ChannelSettings, start: ImportJob, budgetMs: number): Promise<ImportJob> {
  if (start.status === 'done' || start.status === 'failed' || start.status === 'awaiting-upload') return start;
  const began = Date.now();
  let job = await save(deps, { ...start, status: 'running', startedAt: start.startedAt ?? deps.now().toISOString() });
  let copy: Awaited<ReturnType<ImportArchives['localCopy']>>;
  try {
    copy = await deps.archives.localCopy(job.objectKey);
  } catch (error) {
    return save(deps, {
      ...job,
      status: 'failed',
      error: `the archive could not be read: ${(error as Error).message}`.slice(0, 500),
      finishedAt: deps.now().toISOString(),
    });
  }
  try {
    let unsaved = 0;
    const reading = deps.read(copy.path, { maxMessageBytes: channel.maxMessageBytes, ...(job.position ? { startAt: job.position } : {}) });
    for await (const mail of reading) {
      const result = await importMail(deps.importing, channel, mail);
      const counts = { ...job.counts, processed: job.counts.processed + 1 };
      if (result.outcome === 'imported') counts.imported += 1;
      else if (result.outcome === 'duplicate') counts.duplicates += 1;
      else counts.failed += 1;
      const failures = result.reason && job.failures.length < MAX_JOB_FAILURES ? [...job.failures, result.reason] : job.failures;
      job = { ...job, counts, failures, position: { ...mail.position } };
      unsaved += 1;
      if (unsaved >= 25) {
        job = await save(deps, job);
        unsaved = 0;
      }
      if (Date.now() - began > budgetMs) return save(deps, job);
    }
    return save(deps, { ...job, status: 'done', finishedAt: deps.now().toISOString() });
  } catch (error) {
    // An archive that stops being readable midway: what was imported stays, the reason is kept.
    if (!(error instanceof AppError) || error.retryable) throw error;
    return save(deps, { ...job, status: 'failed', error: error.message.slice(0, 500), finishedAt: deps.now().toISOString() });
  } finally {
    await copy.release().catch(() => undefined);
  }
}

async function save(deps: Pick<ImportJobDeps, 'jobs'>, job: ImportJob): Promise<ImportJob> {
  const next = { ...job, version: job.version + 1 };
  if (!(await deps.jobs.put(next))) throw new PolicyError('policy', `import ${job.id} is being run elsewhere`);
  return next;
}
