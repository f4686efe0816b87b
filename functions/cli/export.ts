import { GetObjectCommand } from '@aws-sdk/client-s3';
import { mkdir, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoAuditLog } from '../adapters/dynamo-audit-log.ts';
import { SystemClock } from '../adapters/system-clock.ts';
import { UuidIdGenerator } from '../adapters/uuid-id-generator.ts';
import { requestPrivacyJob, viewOf } from '../core/governance/privacy-admin.ts';
import { type PrivacyJob, type PrivacyJobKind, progressOf } from '../core/governance/privacy-job.ts';
import { AddressSchema } from '../core/model/fields.ts';
import type { SandboxInfo } from '../local/sandbox.ts';
import { createPrivacyRunDeps, privacyAdminAdapters, runPrivacyJobToEnd } from '../runtime/privacy-deps.ts';
import { type Command, UsageError } from './command.ts';
import { writeJsonLine } from './output.ts';
import type { ProgressStream } from './progress.ts';
import { sandboxClients } from './sandbox-clients.ts';
import { readSandboxInfo } from './sandbox-file.ts';

const HELP = `Usage: postroom export --address ADDRESS --out FILE.zip [--json]

Exports everything the running sandbox holds about one email address (a subject access request)
as one zip archive: the conversations the address is a party of, with their messages (JSON with
their text, the raw .eml of inbound mail, attachments), notes mentioning it, suppression entries,
other records and audit entries naming it, and manifest.json listing every file.

The address is matched in any case, also inside display names and encoded header words. The job
reads the whole table once (there is no index by address); progress goes to stderr. The same job
runs behind POST /privacy/exports of the admin API.

Options:
  --address ADDRESS   the person's email address
  --out FILE.zip      where to write the archive
  --json              print the finished job as one JSON line (counts, files)

Example:
  npx postroom export --address carla@customer.example --out carla.zip`;

export const exportCommand: Command = {
  help: HELP,
  async run(args) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { address: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } },
      allowPositionals: true,
    });
    if (positionals.length > 0) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
    const address = addressOf(values.address);
    if (!values.out) throw new UsageError('name the archive to write: --out FILE.zip');
    const info = await readSandboxInfo();
    const job = await privacyJobInSandbox(info, 'export', address);
    if (job.status !== 'done' || !job.archiveKey) {
      process.stderr.write(`export ${job.id} failed: ${job.error ?? job.status}\n`);
      return 1;
    }
    const clients = sandboxClients(info);
    try {
      const out = await clients.s3.send(new GetObjectCommand({ Bucket: info.bucket, Key: job.archiveKey }));
      const bytes = out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
      const file = resolve(values.out);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, bytes, { mode: 0o600 });
      if (values.json) await writeJsonLine({ ...viewOf(job), file, bytes: bytes.byteLength });
      else process.stdout.write(`${file}: ${bytes.byteLength} bytes, ${summary(job)}\n`);
      return 0;
    } finally {
      clients.destroy();
    }
  },
};

/** A validated, lowercase address, or a usage error naming the problem. */
export function addressOf(value: string | undefined): string {
  if (!value) throw new UsageError('name the address: --address ADDRESS');
  const parsed = AddressSchema.safeParse(value.trim());
  if (!parsed.success) throw new UsageError(`--address: '${value}' is not an email address`);
  return parsed.data;
}

/**
 * Creates a job for the address in the running sandbox and runs it here to its end, as the
 * privacy function does in AWS; the request is recorded in the audit log as the CLI's (the
 * sandbox's operator). Progress goes to `stream`.
 */
export async function privacyJobInSandbox(
  info: SandboxInfo,
  kind: PrivacyJobKind,
  address: string,
  stream: ProgressStream = process.stderr,
): Promise<PrivacyJob> {
  const clients = sandboxClients(info);
  const tables = { tableName: info.table, auditTableName: info.auditTable ?? `${info.table}-audit`, bucket: info.bucket };
  try {
    const clock = new SystemClock();
    const ids = new UuidIdGenerator();
    const operator = `postroom-cli:${userInfo().username}`;
    const created = await requestPrivacyJob(
      {
        ...privacyAdminAdapters({ db: clients.db, s3: clients.s3, ...tables }),
        audit: new DynamoAuditLog(clients.db, tables.auditTableName),
        clock,
        ids,
        // Run below, in this process.
        runPrivacyJob: async () => undefined,
      },
      {
        actor: { kind: 'token', id: operator, role: 'admin' },
        requestId: null,
        caller: { agentId: operator, role: 'admin', displayName: 'postroom CLI', channels: [], skills: [] },
      },
      kind,
      address,
    );
    const progress = progressLine(stream, `${kind} ${created.id}`);
    progress(created);
    const job = await runPrivacyJobToEnd(createPrivacyRunDeps({ db: clients.db, s3: clients.s3, ...tables }), created.id, { onStep: progress });
    progress(job, true);
    return job;
  } finally {
    clients.destroy();
  }
}

/** What a finished job found or did, in one line. */
export function summary(job: PrivacyJob): string {
  const counts = Object.entries(job.counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const held = job.heldConversations.length > 0 ? `; under legal hold, not erased: ${job.heldConversations.join(', ')}` : '';
  const settings = job.configuration.length > 0 ? `; named in settings (review by hand): ${job.configuration.join(', ')}` : '';
  return `${counts || 'nothing found'}${held}${settings}`;
}

/** A progress line: redrawn in place on a terminal (a newline at the end), a line per phase or 10 % otherwise. */
function progressLine(stream: ProgressStream, label: string): (job: PrivacyJob, last?: boolean) => void {
  let shown = '';
  return (job, last = false) => {
    const p = progressOf(job);
    const line = `${label}: ${p.phase} ${p.percent}% (${p.scannedItems} items read)`;
    if (stream.isTTY) {
      stream.write(`\r${line}${last ? '\n' : ''}`);
      return;
    }
    const key = `${p.phase}:${Math.floor(p.percent / 10)}`;
    if (key === shown) return;
    shown = key;
    stream.write(`${line}\n`);
  };
}
