import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoErasureStore } from '../adapters/dynamo-erasure-store.ts';
import { DynamoAuditRecords, DynamoSubjectScan } from '../adapters/dynamo-privacy-scan.ts';
import { DynamoPrivacyJobs } from '../adapters/dynamo-privacy-jobs.ts';
import { MimeMailRedactor } from '../adapters/erasure-mime-redaction.ts';
import { MailparserMailContents } from '../adapters/export-mail-contents.ts';
import { sha256Hex } from '../adapters/node-digests.ts';
import { S3ExportArchives } from '../adapters/s3-export-archives.ts';
import { SystemClock } from '../adapters/system-clock.ts';
import { UuidIdGenerator } from '../adapters/uuid-id-generator.ts';
import type { PrivacyAdminDeps } from '../core/governance/privacy-admin.ts';
import type { PrivacyJob } from '../core/governance/privacy-job.ts';
import { type PrivacyRunDeps, runPrivacyJob } from '../core/governance/run-privacy-job.ts';

export interface PrivacyClients {
  readonly db: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly tableName: string;
  readonly auditTableName: string;
  readonly bucket: string;
  /** Where archives are written before they are stored. @default the system's temporary folder */
  readonly tmpDir?: string;
}

/** The adapters of a job run, on given clients: the privacy function's (AWS), the sandbox's and the CLI's. */
export function createPrivacyRunDeps(c: PrivacyClients): PrivacyRunDeps {
  const store = new DynamoErasureStore(c.db, c.s3, c.tableName, c.bucket);
  const archives = new S3ExportArchives(c.s3, c.bucket, c.tmpDir ? { tmpDir: c.tmpDir } : {});
  return {
    jobs: new DynamoPrivacyJobs(c.db, c.tableName),
    scan: new DynamoSubjectScan(c.db, c.tableName),
    audit: new DynamoAuditRecords(c.db, c.auditTableName),
    data: store,
    eraser: store,
    mail: new MimeMailRedactor(),
    contents: new MailparserMailContents(),
    staging: archives,
    archives,
    clock: new SystemClock(),
    ids: new UuidIdGenerator(),
  };
}

/** What the admin API needs of privacy jobs besides the audit log: the jobs, the download links, the digest. */
export function privacyAdminAdapters(
  c: Pick<PrivacyClients, 'db' | 's3' | 'tableName' | 'bucket'>,
): Pick<PrivacyAdminDeps, 'privacyJobs' | 'exportArchives' | 'digest'> {
  return { privacyJobs: new DynamoPrivacyJobs(c.db, c.tableName), exportArchives: new S3ExportArchives(c.s3, c.bucket), digest: sha256Hex };
}

/**
 * Runs a job to its end in runs of `stepMs`, in this process (the sandbox's background task and
 * the CLI, where no queue carries the steps). `onStep` sees the job after each step of a run.
 */
export async function runPrivacyJobToEnd(
  deps: PrivacyRunDeps,
  id: string,
  options: { readonly stepMs?: number; readonly onStep?: (job: PrivacyJob) => void } = {},
): Promise<PrivacyJob> {
  for (;;) {
    const job = await runPrivacyJob(deps, id, options.stepMs ?? 60_000, options.onStep);
    if (job.status !== 'running' && job.status !== 'queued') return job;
    // Held by another run (its lease): wait for it rather than spin.
    if (job.leaseUntil && Date.parse(job.leaseUntil) > Date.now()) await new Promise((r) => setTimeout(r, 1000));
  }
}
