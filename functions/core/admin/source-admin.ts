import { PolicyError } from '../errors.ts';
import type { ChannelResource } from '../model/admin-resources.ts';
import { isMailboxSource } from '../model/mail-source.ts';
import { EMPTY_COUNTS, type SourceCounts, type SourceHealth } from '../model/source-state.ts';
import type { ChannelStore } from '../ports/admin.ts';
import type { SourceStateStore } from '../ports/source-state.ts';
import type { PollReport } from '../sources/poll-source.ts';
import type { ImportJob } from '../model/import-job.ts';
import type { ArchiveUploadForm, ImportArchives, ImportJobStore } from '../ports/import-jobs.ts';
import { createImportJob, importJobOf, startImportJob } from '../sources/import-job.ts';
import { recordChange, type AdminRequest, type AuditDeps } from './admin-context.ts';
import { channelOf } from './rule-admin.ts';

export interface SourceAdminDeps extends AuditDeps {
  readonly channels: ChannelStore;
  readonly sourceStates: SourceStateStore;
  /** Polls a channel's mailbox now (the same poll the schedule runs). */
  readonly pollSource: (channel: ChannelResource) => Promise<PollReport>;
  readonly importJobs: ImportJobStore;
  readonly importArchives: ImportArchives;
  /** Hands a queued import to whatever runs it (the mailbox function's queue in AWS, a background task in the sandbox). */
  readonly runImport: (job: ImportJob) => Promise<void>;
}

/** Creates an import job for an archive the caller uploads with the returned form. */
export async function createImport(
  deps: SourceAdminDeps,
  request: AdminRequest,
  channelId: string,
): Promise<{ readonly job: ImportJob; readonly upload: ArchiveUploadForm }> {
  const channel = (await channelOf(deps, channelId)).value;
  const created = await createImportJob(
    { jobs: deps.importJobs, archives: deps.importArchives, ids: deps.ids, now: () => deps.clock.now() },
    channel,
    request.caller.agentId,
  );
  await recordChange(deps, request, 'import.create', { type: 'import-job', id: created.job.id }, ['channelId']);
  return created;
}

/** Starts an import whose archive is uploaded; starting it again changes nothing. */
export async function startImport(deps: SourceAdminDeps, request: AdminRequest, channelId: string, importId: string): Promise<ImportJob> {
  await channelOf(deps, channelId);
  const before = await importJobOf({ jobs: deps.importJobs }, channelId, importId);
  const job = await startImportJob({ jobs: deps.importJobs, archives: deps.importArchives, ids: deps.ids, now: () => deps.clock.now() }, channelId, importId);
  if (before.status === 'awaiting-upload' && job.status === 'queued') {
    await deps.runImport(job);
    await recordChange(deps, request, 'import.start', { type: 'import-job', id: importId }, ['status']);
  }
  return job;
}

export async function importStatus(deps: Pick<SourceAdminDeps, 'channels' | 'importJobs'>, channelId: string, importId: string): Promise<ImportJob> {
  await channelOf(deps, channelId);
  return importJobOf({ jobs: deps.importJobs }, channelId, importId);
}

/** What `GET /channels/{id}/source` answers: the source's kind, health, last poll, cursor and counts; never a secret. */
export interface SourceStatus {
  readonly channelId: string;
  readonly type: ChannelResource['source']['type'];
  readonly health: SourceHealth;
  readonly lastPollAt: string | null;
  readonly lastSuccessAt: string | null;
  /** No scheduled poll before this time (the server asked to wait). */
  readonly notBefore: string | null;
  /** Where the next poll starts, as the mailbox names it (UIDVALIDITY and last UID, UIDLs kept, a delta link's presence). */
  readonly cursor: Record<string, unknown> | null;
  /** True once the first connection applied `initialSync`. */
  readonly initialized: boolean;
  readonly counts: SourceCounts;
}

const SES_HEALTH: SourceHealth = { status: 'healthy', reason: 'SES receiving: nothing to poll', since: null, unreachablePolls: 0 };

/** The status of a channel's source. */
export async function sourceStatus(deps: Pick<SourceAdminDeps, 'channels' | 'sourceStates'>, channelId: string): Promise<SourceStatus> {
  const channel = (await channelOf(deps, channelId)).value;
  if (!isMailboxSource(channel.source)) {
    return {
      channelId,
      type: 'ses',
      health: SES_HEALTH,
      lastPollAt: null,
      lastSuccessAt: null,
      notBefore: null,
      cursor: null,
      initialized: true,
      counts: EMPTY_COUNTS,
    };
  }
  const state = await deps.sourceStates.get(channelId);
  return {
    channelId,
    type: channel.source.type,
    health: state?.health ?? { status: 'unknown', reason: 'not polled yet', since: null, unreachablePolls: 0 },
    lastPollAt: state?.lastPollAt ?? null,
    lastSuccessAt: state?.lastSuccessAt ?? null,
    notBefore: state?.notBefore ?? null,
    cursor: state?.cursor ? summarize(state.cursor) : null,
    initialized: state?.initialized ?? false,
    counts: state?.counts ?? EMPTY_COUNTS,
  };
}

/** A cursor as the API shows it: small values as they are, long lists and links by their size. */
function summarize(cursor: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cursor)) {
    if (Array.isArray(v)) out[k] = { count: v.length };
    else if (typeof v === 'string' && v.length > 80) out[k] = { set: true };
    else out[k] = v;
  }
  return out;
}

/** Polls the channel's mailbox now and returns what the poll fetched; recorded in the audit log. */
export async function pollNow(deps: SourceAdminDeps, request: AdminRequest, channelId: string): Promise<PollReport> {
  const channel = (await channelOf(deps, channelId)).value;
  if (!isMailboxSource(channel.source)) throw new PolicyError('policy', `channel ${channelId} receives through SES: it has no mailbox to poll`);
  const report = await deps.pollSource(channel);
  await recordChange(deps, request, 'source.poll', { type: 'channel-source', id: channelId }, ['cursor']);
  return report;
}
