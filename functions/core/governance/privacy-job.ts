import { z } from 'zod';
import { ActorSchema, type Actor } from '../model/admin-resources.ts';

export const PRIVACY_JOB_KINDS = ['export', 'erasure'] as const;
export type PrivacyJobKind = (typeof PRIVACY_JOB_KINDS)[number];

/**
 * The steps of a job, in order. An erasure: `suppress` (the hashed suppression first, so nothing
 * is sent to the address while the rest runs), `scan` (the table, page by page), `audit` (the
 * audit log), `finish` (earlier exports, the audit record, the address dropped from the job).
 * An export: `scan`, `audit`, then `pack` (the archive from what the scan staged).
 */
export const PRIVACY_PHASES = ['suppress', 'scan', 'audit', 'pack', 'finish', 'done'] as const;
export type PrivacyPhase = (typeof PRIVACY_PHASES)[number];

/** Display names and Message-IDs of the person a job keeps while it runs (the matcher learns them on the way). */
export const MAX_JOB_TERMS = 200;

export const PrivacyJobSchema = z.object({
  id: z.string(),
  kind: z.enum(PRIVACY_JOB_KINDS),
  /** The address, lowercase; null once an erasure is done, so the job itself keeps none. */
  address: z.string().nullable(),
  /** SHA-256 of the lowercase address: finds earlier jobs of the same person after the address is gone. */
  addressHash: z.string(),
  status: z.enum(['queued', 'running', 'done', 'failed']),
  phase: z.enum(PRIVACY_PHASES),
  /** Where the scan of the current phase goes on; null at its start. */
  cursor: z.record(z.string(), z.string()).nullable(),
  scannedItems: z.number().int().nonnegative(),
  /** The table's item count when the job started, as DynamoDB estimates it; null when unknown. */
  estimatedItems: z.number().int().nonnegative().nullable(),
  /** What the job found (export) or did (erasure), by kind. */
  counts: z.record(z.string(), z.number().int().nonnegative()),
  /** Conversations under a legal hold: exported as any other, never erased. */
  heldConversations: z.array(z.string()),
  /** Settings that name the address (a routing rule, an agent record): not changed by a job. */
  configuration: z.array(z.string()),
  /** Names and Message-IDs of the person learned so far; emptied when the job ends. */
  terms: z.object({ names: z.array(z.string()), messageIds: z.array(z.string()) }),
  /** Export: parts staged by the scan; the archive's key once packed, its size. */
  parts: z.number().int().nonnegative(),
  archiveKey: z.string().nullable(),
  archiveBytes: z.number().int().nonnegative().nullable(),
  requestedBy: ActorSchema,
  requestId: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  /** While a run holds the job; another run leaves it alone until then. */
  leaseUntil: z.string().nullable(),
  error: z.string().nullable(),
  version: z.number().int().nonnegative(),
});
export type PrivacyJob = z.infer<typeof PrivacyJobSchema>;

/** A new job, queued. `address` is lowercase already; `hash` is its SHA-256. */
export function newPrivacyJob(input: {
  readonly id: string;
  readonly kind: PrivacyJobKind;
  readonly address: string;
  readonly hash: string;
  readonly at: string;
  readonly requestedBy: Actor;
  readonly requestId: string | null;
}): PrivacyJob {
  return {
    id: input.id,
    kind: input.kind,
    address: input.address,
    addressHash: input.hash,
    status: 'queued',
    phase: input.kind === 'erasure' ? 'suppress' : 'scan',
    cursor: null,
    scannedItems: 0,
    estimatedItems: null,
    counts: {},
    heldConversations: [],
    configuration: [],
    terms: { names: [], messageIds: [] },
    parts: 0,
    archiveKey: null,
    archiveBytes: null,
    requestedBy: input.requestedBy,
    requestId: input.requestId,
    createdAt: input.at,
    startedAt: null,
    finishedAt: null,
    leaseUntil: null,
    error: null,
    version: 1,
  };
}

/**
 * How far a job is: its phase and, while the table is scanned, the share of items read (of the
 * estimate taken at the start; a scan that reads past it shows 99 until it ends).
 */
export function progressOf(job: PrivacyJob): { readonly phase: PrivacyPhase; readonly scannedItems: number; readonly percent: number } {
  if (job.status === 'done') return { phase: 'done', scannedItems: job.scannedItems, percent: 100 };
  const order: readonly PrivacyPhase[] = job.kind === 'erasure' ? ['suppress', 'scan', 'audit', 'finish'] : ['scan', 'audit', 'pack'];
  // Shares of the whole: the table scan is nearly all of the work.
  const weights: Record<string, number> = { suppress: 1, scan: 85, audit: 8, pack: 6, finish: 6 };
  let before = 0;
  for (const phase of order) {
    if (phase === job.phase) break;
    before += weights[phase] ?? 0;
  }
  const total = order.reduce((sum, p) => sum + (weights[p] ?? 0), 0);
  const within = job.phase === 'scan' && job.estimatedItems ? Math.min(0.99, job.scannedItems / job.estimatedItems) : 0;
  const percent = Math.floor(((before + within * (weights[job.phase] ?? 0)) / total) * 100);
  return { phase: job.phase, scannedItems: job.scannedItems, percent: Math.min(99, percent) };
}

/** Adds `n` to a count (by name). */
export function counted(counts: Readonly<Record<string, number>>, name: string, n = 1): Record<string, number> {
  return n === 0 ? { ...counts } : { ...counts, [name]: (counts[name] ?? 0) + n };
}
