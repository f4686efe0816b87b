import { DynamoImportJobs } from '../adapters/dynamo-import-jobs.ts';
import { DynamoSourceKeys } from '../adapters/dynamo-source-state.ts';
import { S3ImportArchives } from '../adapters/s3-import-archives.ts';
import { S3RawMailStore } from '../adapters/s3-raw-mail-store.ts';
import { type ArchivePosition, readArchive } from '../adapters/sources/mail-archive.ts';
import { UuidIdGenerator } from '../adapters/uuid-id-generator.ts';
import type { ReceiveMailDeps } from '../core/inbound/receive-mail.ts';
import type { ChannelSettings } from '../core/model/channel.ts';
import type { ImportJob } from '../core/model/import-job.ts';
import { type ArchiveReader, type RunImportDeps, runImportJob } from '../core/sources/import-job.ts';
import type { ImportDeps } from '../core/sources/import-mail.ts';
import { sha256Hex } from '../adapters/node-digests.ts';
import type { AwsClients } from './clients.ts';
import { RAW_MAIL_PREFIX } from './ses-event.ts';

/** The archive reader of `mail-archive.ts` behind the core's port. */
export const readArchiveFile: ArchiveReader = (path, options) =>
  readArchive(path, { maxMessageBytes: options.maxMessageBytes, ...(options.startAt ? { startAt: options.startAt as unknown as ArchivePosition } : {}) });

/** The adapters of `importMail` on given clients (the CLI's, the mailbox function's, the bench's). */
export function importAdapters(
  clients: Pick<AwsClients, 'db' | 's3'>,
  receive: ReceiveMailDeps,
  options: { readonly tableName: string; readonly bucket: string },
): ImportDeps {
  return {
    receive,
    keys: new DynamoSourceKeys(clients.db, options.tableName),
    raw: new S3RawMailStore(clients.s3, options.bucket),
    rawKeyOf: (id) => `${RAW_MAIL_PREFIX}${id}`,
    failed: receive.failed,
    now: () => new Date(),
    sha256: sha256Hex,
  };
}

/** Runs import jobs on given clients: the mailbox function's (AWS) and the sandbox's. */
export function importRunner(clients: AwsClients, receive: ReceiveMailDeps, options: { readonly tableName: string; readonly bucket: string }) {
  const deps: RunImportDeps = {
    jobs: new DynamoImportJobs(clients.db, options.tableName),
    archives: new S3ImportArchives(clients.s3, options.bucket),
    ids: new UuidIdGenerator(),
    now: () => new Date(),
    read: readArchiveFile,
    importing: importAdapters(clients, receive, options),
  };
  return {
    deps,
    run: (channel: ChannelSettings, job: ImportJob, budgetMs: number): Promise<ImportJob> => runImportJob(deps, channel, job, budgetMs),
  };
}
