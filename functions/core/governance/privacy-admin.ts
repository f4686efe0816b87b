import { type AdminRequest, type AuditDeps, recordChange } from '../admin/admin-context.ts';
import { NotFoundError } from '../errors.ts';
import type { ExportArchives, PrivacyJobStore } from '../ports/privacy.ts';
import { normalAddress } from './address-match.ts';
import { newPrivacyJob, type PrivacyJob, type PrivacyJobKind, progressOf } from './privacy-job.ts';

export interface PrivacyAdminDeps extends AuditDeps {
  readonly privacyJobs: PrivacyJobStore;
  readonly exportArchives: Pick<ExportArchives, 'downloadUrl'>;
  /** SHA-256 (hex) of text: `node:crypto` in the adapters. */
  readonly digest: (text: string) => string;
  /** Hands a queued job to what runs it: the privacy queue in AWS, a background task in the sandbox. */
  readonly runPrivacyJob: (job: PrivacyJob) => Promise<void>;
}

/** A job as an admin sees it: where it stands, what it found or did, and for a finished export a short-lived download. */
export interface PrivacyJobView {
  readonly id: string;
  readonly kind: PrivacyJobKind;
  readonly status: PrivacyJob['status'];
  /** The address; null once an erasure is done (the job keeps only its hash). */
  readonly address: string | null;
  readonly progress: ReturnType<typeof progressOf>;
  readonly counts: Readonly<Record<string, number>>;
  readonly heldConversations: readonly string[];
  readonly configuration: readonly string[];
  readonly requestedBy: string;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly error: string | null;
  readonly download: { readonly url: string; readonly expiresAt: string; readonly bytes: number | null } | null;
}

/**
 * Creates an export or erasure job for one address, records who asked (the audit record names
 * the job, never the address) and hands the job to its runner. The address arrives validated
 * and lowercase.
 */
export async function requestPrivacyJob(deps: PrivacyAdminDeps, request: AdminRequest, kind: PrivacyJobKind, address: string): Promise<PrivacyJob> {
  const normal = normalAddress(address);
  const job = newPrivacyJob({
    id: deps.ids.next().toLowerCase(),
    kind,
    address: normal,
    hash: deps.digest(normal),
    at: deps.clock.now().toISOString(),
    requestedBy: request.actor,
    requestId: request.requestId,
  });
  await deps.privacyJobs.put(job);
  await recordChange(deps, request, `privacy.${kind}.request`, { type: `privacy-${kind}`, id: job.id });
  await deps.runPrivacyJob(job);
  return job;
}

/** Where a job stands; a finished export comes with its download link (the link is recorded in the audit log). */
export async function privacyJobStatus(deps: PrivacyAdminDeps, request: AdminRequest, kind: PrivacyJobKind, id: string): Promise<PrivacyJobView> {
  const job = await deps.privacyJobs.get(id);
  if (!job || job.kind !== kind) throw new NotFoundError(`no ${kind} ${id}`);
  let download: PrivacyJobView['download'] = null;
  if (job.kind === 'export' && job.status === 'done' && job.archiveKey) {
    download = { ...(await deps.exportArchives.downloadUrl(job.archiveKey)), bytes: job.archiveBytes };
    await recordChange(deps, request, 'privacy.export.download-link', { type: 'privacy-export', id: job.id });
  }
  return viewOf(job, download);
}

export function viewOf(job: PrivacyJob, download: PrivacyJobView['download'] = null): PrivacyJobView {
  return {
    id: job.id,
    kind: job.kind,
    status: job.status,
    address: job.address,
    progress: progressOf(job),
    counts: { ...job.counts },
    heldConversations: [...job.heldConversations],
    configuration: [...job.configuration],
    requestedBy: job.requestedBy.id,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    error: job.error,
    download,
  };
}
