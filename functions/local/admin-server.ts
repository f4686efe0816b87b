import type { RetentionSettings } from '../core/model/retention.ts';
import type { SlaSettings } from '../core/sla/sla-settings.ts';
import { createAdaptorServer } from '@hono/node-server';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqsSkillQueues } from '../adapters/sqs-skill-queues.ts';
import { createAdminApp } from '../api/app.ts';
import { bearerTokens } from '../api/auth.ts';
import type { ImportJob } from '../core/model/import-job.ts';
import type { ReceiptRules, ReplySender } from '../core/ports/admin.ts';
import type { SuppressionList } from '../core/ports/suppression.ts';
import { createAdminDeps } from '../runtime/admin-deps.ts';
import { SKILL_MAX_RECEIVES } from '../runtime/attempts.ts';
import { lazy } from '../runtime/lazy.ts';
import { DynamoSuppressionList } from '../adapters/dynamo-suppression-list.ts';
import type { LocalAws } from './local-aws.ts';
import { listen } from './listen.ts';

export interface AdminServerOptions {
  readonly aws: LocalAws;
  /** Port on 127.0.0.1; 0 takes a free one. */
  readonly port: number;
  /** User id → bearer token: each token signs in as that sandbox user (`token:<id>` among the agent's identities). */
  readonly tokens: Readonly<Record<string, string>>;
  /** Where the local credential key lives; a temporary folder when absent. */
  readonly dataDir?: string | undefined;
  /**
   * The deployment's local credential key (`localKeyring`): the sender decrypts with the same
   * one, so a secret set through the API is the one mail is sent with. `dataDir/local.key` when absent.
   */
  readonly keyFile?: string | undefined;
  /** Extra CA (PEM) an SMTP server's certificate may chain to, for the credentials test (the sandbox's own). */
  readonly ca?: string | undefined;
  /** Domains a channel address must be on; any when absent or empty. */
  /** The account-wide retention (config `retention`) the records get; the documented defaults when absent. */
  readonly retention?: RetentionSettings | undefined;
  /** The account's default SLA (config `sla`): its calendar is not deleted. */
  readonly slaDefault?: SlaSettings | null | undefined;
  readonly domains?: readonly string[] | undefined;
  /** The send path (the sandbox outbox), when wired; replies answer 503 without it. */
  readonly replies?: ReplySender | null | undefined;
  readonly suppressions?: SuppressionList | undefined;
}

export interface AdminServer {
  readonly url: string;
  close(): Promise<void>;
}

/** The SMTP ingress reads channels from the table on every RCPT: a channel created through the API receives at once. */
const tableIsTheReceiptRule: ReceiptRules = { put: async () => undefined, remove: async () => undefined };

/**
 * The admin API of the sandbox: the same app as in AWS, on `@hono/node-server` at
 * 127.0.0.1:`port`, behind one bearer token per sandbox user; credentials encrypted under a local AES key.
 */
export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const { aws } = options;
  const tempDir = options.keyFile || options.dataDir ? null : await mkdtemp(join(tmpdir(), 'postroom-key-'));
  const keyFile = options.keyFile ?? join(options.dataDir ?? tempDir ?? '.', 'local.key');
  const outbound = lazy(async () => {
    const [{ createAdminOutbound }, { localKeyring }] = await Promise.all([
      import('../runtime/admin-outbound.ts'),
      import('../adapters/outbound/encryption-sdk-secret-cipher.ts'),
    ]);
    const keyring = await localKeyring(keyFile);
    return createAdminOutbound({ keyring, allowLoopback: true, ...(options.ca ? { ca: options.ca } : {}) });
  });
  const deps = createAdminDeps({
    db: aws.db,
    s3: aws.s3,
    sqs: aws.sqs,
    tableName: aws.tableName,
    auditTableName: aws.auditTableName,
    bucket: aws.bucket,
    domains: options.domains ?? [],
    queuePrefix: '',
    ...(options.retention ? { retention: options.retention } : {}),
    ...(options.slaDefault ? { slaDefault: options.slaDefault } : {}),
    queueUrls: aws.queueUrls,
    leaseMs: 120_000,
    outboundQueueUrl: aws.outbound.queueUrl,
    receipt: tableIsTheReceiptRule,
    queues: new SqsSkillQueues(aws.sqs, { prefix: '', maxReceiveCount: SKILL_MAX_RECEIVES, denyInsecureTransport: false }),
    cipher: async () => (await outbound()).cipher,
    oauth: async () => (await outbound()).oauth,
    tester: async () => (await outbound()).tester(),
    suppressions: options.suppressions ?? new DynamoSuppressionList(options.aws.db, options.aws.tableName),
    replies: options.replies ?? null,
    runImport: async (job) => {
      // In the background, as the mailbox function's queue runs it in AWS: the API answers at once.
      void runImportInBackground(aws, job).catch((error: Error) => process.stderr.write(`postroom: import ${job.id}: ${error.message}\n`));
    },
    runPrivacyJob: async (job) => {
      // In the background, as the privacy function's queue runs it in AWS: the API answers 202 at once.
      void runPrivacyJobInBackground(aws, job.id).catch((error: Error) => process.stderr.write(`postroom: privacy job ${job.id}: ${error.message}\n`));
    },
    // The sandbox's own mailbox server listens on loopback.
    sourceHosts: { allow: { loopback: true }, ...(options.ca ? { ca: options.ca } : {}) },
  });
  const app = createAdminApp(deps, {
    authenticate: bearerTokens(Object.fromEntries(Object.entries(options.tokens).map(([user, token]) => [token, user]))),
    logger: {
      error: (message, fields) =>
        process.stderr.write(
          `postroom: admin API ${message} (request ${String(fields.requestId)}): ${String((fields.error as Error | undefined)?.message ?? '')}\n`,
        ),
      info: () => undefined,
    },
  });
  const server = createAdaptorServer({ fetch: app.fetch, hostname: '127.0.0.1' }) as unknown as Server;
  const port = await listen(server, options.port, 'admin API', 'POSTROOM_API_PORT');
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      await closing;
      if (tempDir) await rm(tempDir, { recursive: true, force: true });
    },
  };
}

/** Runs an import job to its end in steps, as the mailbox function does in AWS (one step per queue message). */
async function runImportInBackground(aws: AdminServerOptions['aws'], job: ImportJob): Promise<void> {
  const [{ importRunner }, { createReplayDeps }, { DynamoChannelDirectory }] = await Promise.all([
    import('../runtime/import-runner.ts'),
    import('../runtime/replay-deps.ts'),
    import('../adapters/dynamo-channel-directory.ts'),
  ]);
  const receive = createReplayDeps({
    db: aws.db,
    s3: aws.s3,
    sqs: aws.sqs,
    tableName: aws.tableName,
    bucket: aws.bucket,
    queueUrls: aws.queueUrls,
    queuePrefix: '',
    outboundQueueUrl: aws.outbound.queueUrl,
    leaseMs: 120_000,
  });
  const runner = importRunner({ db: aws.db, s3: aws.s3, sqs: aws.sqs }, receive, { tableName: aws.tableName, bucket: aws.bucket });
  const channel = (await new DynamoChannelDirectory(aws.db, aws.tableName, { clock: receive.clock, cacheMs: 0 }).all()).find((c) => c.id === job.channelId);
  if (!channel) return;
  let current = job;
  do current = await runner.run(channel, current, 60_000);
  while (current.status === 'running');
}

/** Runs an export or erasure job to its end in this process, the same steps the privacy function takes in AWS. */
async function runPrivacyJobInBackground(aws: AdminServerOptions['aws'], id: string): Promise<void> {
  const { createPrivacyRunDeps, runPrivacyJobToEnd } = await import('../runtime/privacy-deps.ts');
  await runPrivacyJobToEnd(
    createPrivacyRunDeps({ db: aws.db, s3: aws.s3, tableName: aws.tableName, auditTableName: aws.auditTableName, bucket: aws.bucket }),
    id,
  );
}
