import type { Context } from 'aws-lambda';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DynamoChannelDirectory } from '../adapters/dynamo-channel-directory.ts';
import { agentSeedItem, channelSeedItem, seedItems, skillSeedItem } from '../adapters/dynamo-config-seed.ts';
import { SqsSkillQueues } from '../adapters/sqs-skill-queues.ts';
import { DynamoVersionedStore } from '../adapters/dynamo-versioned-store.ts';
import { SKILL_PARTITION } from '../adapters/dynamo-schema.ts';
import { everything } from '../core/admin/admin-context.ts';
import { SkillRecordSchema } from '../core/model/admin-resources.ts';
import type { ReplySender } from '../core/ports/admin.ts';
import { startAdminServer, type AdminServer } from './admin-server.ts';
import { startSandboxConsole } from './console-server.ts';
import { SystemClock } from '../adapters/system-clock.ts';
import type { Agent } from '../core/model/agent.ts';
import type { ReceiptVerdicts } from '../core/model/classification.ts';
import type { PostroomConfig } from '../core/model/postroom-config.ts';
import { SKILL_MAX_RECEIVES } from '../runtime/attempts.ts';
import { type InboundEnvInput, InboundEnvSchema, readEnv } from '../runtime/env.ts';
import { createInboundHandler } from '../runtime/inbound-handler.ts';
import { RAW_MAIL_PREFIX } from '../runtime/ses-event.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, type LocalAws, localHandlerOptions, startLocalAws } from './local-aws.ts';
import { ALL_PASS, sesReceiptEvent } from './ses-receipt.ts';
import { createSmtpIngress } from './smtp-ingress.ts';
import { restoreSnapshot, saveSnapshot } from './snapshot.ts';
import { listen } from './listen.ts';
import { prepareSandboxOutbound } from './sandbox-outbound.ts';
import { startSandboxSources } from './sandbox-sources.ts';
import { isMailboxSource } from '../core/model/mail-source.ts';
import { prepareSandboxMailbox, SANDBOX_MAILBOX_HOST, type SandboxMailboxInfo } from './sandbox-mailbox.ts';
import { createQueueReplyDeps } from '../runtime/queue-reply-deps.ts';
import { QueueReplySender } from '../runtime/reply-sender.ts';
import { startSandboxRetention } from './sandbox-retention.ts';
import { startSandboxSla } from './sandbox-sla.ts';
import { slaEnv } from '../runtime/sla-env.ts';
import type { SlaCheckReport } from '../core/sla/check-sla.ts';
import { retentionEnv } from '../runtime/env-fields.ts';
import type { RetentionSettings } from '../core/model/retention.ts';

/** Port of the sandbox's own SMTP server (`POSTROOM_OUTBOX_SMTP_PORT`). */
export const DEFAULT_OUTBOX_SMTP_PORT = 2587;

export interface SandboxOptions {
  readonly config: PostroomConfig;
  /** SMTP port on 127.0.0.1; 0 takes a free one. */
  readonly smtpPort: number;
  /** Folder that keeps state across restarts; in memory when absent. */
  readonly dataDir?: string | undefined;
  /** Verdicts every mail gets unless its `X-Sandbox-Verdicts` header says otherwise; all PASS by default. */
  readonly verdicts?: ReceiptVerdicts | undefined;
  /** Powertools log level of the handler (`INFO` shows one line per mail). */
  readonly logLevel?: string | undefined;
  /** Where to write the endpoints as JSON; null writes nothing. */
  readonly stateFile?: string | null | undefined;
  /** Folder for the outbox, the local credentials key and the sandbox CA; beside the state file (or the data folder) by default. */
  readonly workDir?: string | undefined;
  /** Port of the sandbox's own SMTP server (where a channel's SMTP server stands); 0 takes a free one. */
  readonly outboxSmtpPort?: number | undefined;
  /** Ports of the sandbox's mailbox server (IMAP, POP3), for channels reading `localhost`; 0 takes a free one. */
  readonly imapPort?: number | undefined;
  readonly pop3Port?: number | undefined;
  /** Admin API port on 127.0.0.1; 0 takes a free one (the default), null runs no admin API. */
  readonly apiPort?: number | null | undefined;
  /** The agent console's port on 127.0.0.1 (needs the admin API); 0 takes a free one, null or absent serves none. */
  readonly consolePort?: number | null | undefined;
  /** Bearer token of the sandbox's admin user; generated when absent. Every other user's is generated. */
  readonly adminToken?: string | undefined;
  /** The send path for the reply route; the sandbox's own outbound queue when absent. */
  readonly replies?: ReplySender | null | undefined;
  /** Runs dynalite and fauxqs in a child process (as the services live outside the functions in AWS); in this process by default. */
  readonly separateAwsProcess?: boolean | undefined;
}

/** What a script or an agent's app needs to talk to the sandbox; written to `.postroom/sandbox.json`. */
export interface SandboxInfo {
  readonly smtp: { readonly host: string; readonly port: number };
  /**
   * The admin API, behind one bearer token per user of the config (`users`). Tokens are secrets, so
   * this file holds where they are: `tokens` maps each user id to its file (mode 0600, beside this
   * file), and `tokenFile` is the admin's (`.postroom/admin-token`).
   */
  readonly adminApi: { readonly url: string; readonly tokenFile: string | null; readonly tokens: Readonly<Record<string, string>> } | null;
  readonly aws: {
    readonly region: string;
    readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
    readonly endpoints: { readonly dynamodb: string; readonly s3: string; readonly sqs: string };
  };
  readonly table: string;
  /** The append-only audit table (`<table>-audit` when absent: files written before it was named). */
  readonly auditTable?: string;
  readonly bucket: string;
  /** Skill → FIFO queue URL. */
  readonly queues: Record<string, string>;
  readonly deadLetterQueues: Record<string, string>;
  readonly channels: readonly {
    readonly id: string;
    readonly addresses: readonly string[];
    readonly defaultSkill: string;
    readonly transport: 'ses' | 'smtp';
  }[];
  readonly dataDir: string | null;
  /** Folder where every mail sent lands as a raw `.eml`. */
  readonly outbox: string;
  /** The outbound FIFO queue and its dead-letter queue. */
  readonly outboundQueue: { readonly url: string; readonly deadLetterUrl: string };
  /** The feedback queue (SES events from the mailbox simulator, as SNS delivers them) and its dead-letter queue. */
  readonly feedbackQueue: { readonly url: string; readonly deadLetterUrl: string };
  /** aws-ses-v2-local (where SES sending stands; its web inbox at `/`) and the sandbox's SMTP server. */
  readonly sending: { readonly ses: string; readonly smtp: { readonly host: string; readonly port: number } };
  /** The sandbox's own mailbox server (IMAP, POP3) and its sample account; null without dovecot. */
  readonly mailbox: SandboxMailboxInfo | null;
  /** The account-wide retention the sandbox runs with (config `retention`), for `postroom retention sweep`. */
  readonly retention?: RetentionSettings;
  /** The agent console in the browser (sign in with a user's token); null when not served. */
  readonly console: { readonly url: string } | null;
  /** The local queue SLA warning and breach events go to (where AWS has an SNS topic), one JSON message each (`docs/sla.md`). */
  readonly slaEventsQueue?: { readonly url: string };
}

export interface Sandbox {
  readonly info: SandboxInfo;
  /** The admin user's bearer token; null without the admin API. */
  readonly adminToken: string | null;
  /** User id → bearer token; empty without the admin API. */
  readonly tokens: Readonly<Record<string, string>>;
  /** The pids of the local AWS servers' child processes (`separateAwsProcess`); empty otherwise. */
  readonly awsServerPids: readonly number[];
  /** Runs the SLA check now (or as if it were `now`), as the interval does. */
  slaCheck(now?: Date): Promise<SlaCheckReport>;
  stop(): Promise<void>;
}

/**
 * Starts the whole channel on 127.0.0.1: dynalite and fauxqs for DynamoDB, S3 and SQS, the
 * channels seeded into the table as a deployment seeds them, an SMTP server that stores each mail
 * and invokes the real inbound Lambda handler with an SES receipt event, and the sending half
 * (aws-ses-v2-local, an SMTP server with STARTTLS, the real outbound handler on the outbound
 * queue), with every mail sent caught in the outbox folder.
 */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const { config } = options;
  const aws = await startLocalAws({
    skills: config.skills.map((s) => s.name),
    dynamoPath: options.dataDir ? join(options.dataDir, 'dynamodb') : undefined,
    separateProcess: options.separateAwsProcess,
  });
  let stopOutbound = async (): Promise<void> => undefined;
  let stopSources = async (): Promise<void> => undefined;
  let stopMailbox = async (): Promise<void> => undefined;
  let stopRetention = async (): Promise<void> => undefined;
  let stopSla = async (): Promise<void> => undefined;
  try {
    if (options.dataDir) await restoreSnapshot(aws, options.dataDir);
    const workDir = options.workDir ?? options.dataDir ?? (options.stateFile ? dirname(options.stateFile) : await mkdtemp(join(tmpdir(), 'postroom-')));
    const outbound = await prepareSandboxOutbound({
      aws,
      dir: workDir,
      smtpPort: options.outboxSmtpPort ?? 0,
      keepOutbox: Boolean(options.dataDir),
      logLevel: options.logLevel,
      context: lambdaContext,
      suppressionScope: config.suppression.scope,
      retention: config.retention,
    });
    stopOutbound = () => outbound.stop();
    const mailbox = await prepareSandboxMailbox({
      aws,
      dir: join(workDir, 'mailbox-server'),
      imapPort: options.imapPort ?? 0,
      pop3Port: options.pop3Port ?? 0,
      wanted: config.channels.some((c) => (c.source.type === 'imap' || c.source.type === 'pop3') && c.source.host === SANDBOX_MAILBOX_HOST),
    });
    stopMailbox = () => mailbox.stop();
    if (mailbox.note) process.stderr.write(`postroom: ${mailbox.note}\n`);
    const channels = mailbox.channels(outbound.channels(config.channels));
    const users = sandboxUsers(config.users);
    const directory = new DynamoChannelDirectory(aws.db, aws.tableName, { clock: new SystemClock(), cacheMs: 0 });
    // As a deploy seeds them: what the admin API changed (kept with --data) is not overwritten.
    await seedItems(
      aws.db,
      aws.tableName,
      [
        ...channels.map(channelSeedItem),
        ...config.skills.map((s) => skillSeedItem({ ...s, queueUrl: aws.queueUrls[s.name] ?? '', deadLetterQueueUrl: aws.deadLetterQueueUrls[s.name] ?? '' })),
        ...users.map(agentSeedItem),
      ],
      new Date().toISOString(),
    );
    await restoreApiSkillQueues(aws);
    await outbound.seedCredentials(channels);
    await mailbox.seedCredentials(channels, outbound.keyFile);

    // The inbound function as Lambda builds it, on the local servers' clients.
    const inboundEnv = readEnv(InboundEnvSchema, {
      TABLE_NAME: aws.tableName,
      MAIL_BUCKET: aws.bucket,
      SKILL_QUEUE_URLS: JSON.stringify(aws.queueUrls),
      OUTBOUND_QUEUE_URL: aws.outbound.queueUrl,
      SUPPRESSION_SCOPE: config.suppression.scope,
      ...retentionEnv(config.retention),
      ...slaEnv(config.sla),
      CALENDAR_CACHE_SECONDS: '0',
    } satisfies Partial<InboundEnvInput>);
    const handler = createInboundHandler(inboundEnv, localHandlerOptions(aws, options.logLevel));

    const smtp = createSmtpIngress({
      // A channel reading its own mailbox receives nothing by SMTP, as it has no receipt rule in AWS.
      channels: async () => (await directory.all()).filter((c) => !isMailboxSource(c.source)),
      verdicts: options.verdicts ?? ALL_PASS,
      store: (id, raw) => aws.putRaw(`${RAW_MAIL_PREFIX}${id}`, raw),
      deliver: async (mail) => {
        const event = sesReceiptEvent({ ...mail, receivedAt: new Date() });
        await handler(event, lambdaContext('postroom-inbound-local'));
      },
    });
    // smtp-server re-emits its socket errors; listen() reports the first, later ones are logged.
    smtp.on('error', (error: Error) => {
      if (listening) process.stderr.write(`postroom: SMTP error: ${error.message}\n`);
    });
    let listening = false;
    const port = await listen(smtp.server, options.smtpPort, 'SMTP', 'POSTROOM_SMTP_PORT');
    listening = true;
    await outbound.start({ host: '127.0.0.1', port });
    const sources = await startSandboxSources({
      aws,
      keyFile: outbound.keyFile,
      ...(outbound.ca ? { ca: outbound.ca } : {}),
      suppressionScope: config.suppression.scope,
      retention: config.retention,
      onError: (error) => process.stderr.write(`postroom: mailbox poll: ${error.message}\n`),
    });
    stopSources = () => sources.stop();
    // dynalite has no TTL and fauxqs no lifecycle rules: the same expiry runs as a periodic sweep.
    const retention = startSandboxRetention({
      target: { db: aws.db, s3: aws.s3, tableName: aws.tableName, auditTableName: aws.auditTableName, bucket: aws.bucket },
      settings: config.retention,
      onError: (error) => process.stderr.write(`postroom: retention sweep: ${error.message}\n`),
    });
    stopRetention = () => retention.stop();
    // The scheduled SLA check, on an interval (POSTROOM_SLA_CHECK_SECONDS), its events on a local queue.
    const sla = await startSandboxSla({
      db: aws.db,
      sqs: aws.sqs,
      tableName: aws.tableName,
      onError: (error) => process.stderr.write(`postroom: sla check: ${error.message}\n`),
    });
    stopSla = () => sla.stop();
    const replies = options.replies === undefined ? sandboxReplySender(aws, config.retention) : options.replies;
    const adminUser = (users.find((u) => u.id === 'admin' && u.role === 'admin') ?? users.find((u) => u.role === 'admin'))?.id;
    const tokens: Record<string, string> =
      options.apiPort === null
        ? {}
        : Object.fromEntries(users.map((u) => [u.id, u.id === adminUser && options.adminToken ? options.adminToken : randomBytes(24).toString('base64url')]));
    const admin: AdminServer | null =
      options.apiPort === null
        ? null
        : await startAdminServer({
            aws,
            port: options.apiPort ?? 0,
            tokens,
            dataDir: options.dataDir,
            replies,
            keyFile: outbound.keyFile,
            ca: outbound.ca,
            domains: config.domains,
            retention: config.retention,
            slaDefault: config.sla ?? null,
          }).catch(async (error: unknown) => {
            await new Promise<void>((resolve) => smtp.close(() => resolve()));
            throw error;
          });
    const agentConsole = admin
      ? await startSandboxConsole(options.consolePort, admin.url, aws.endpoints.s3).catch(async (error: unknown) => {
          await admin.close();
          await new Promise<void>((resolve) => smtp.close(() => resolve()));
          throw error;
        })
      : null;
    const stateDir = options.stateFile ? dirname(options.stateFile) : null;
    const tokenFile = admin && stateDir && adminUser ? join(stateDir, 'admin-token') : null;
    const tokenFiles: Record<string, string> = admin && stateDir ? Object.fromEntries(users.map((u) => [u.id, join(stateDir, 'tokens', u.id)])) : {};

    const info: SandboxInfo = {
      smtp: { host: '127.0.0.1', port },
      adminApi: admin ? { url: admin.url, tokenFile, tokens: tokenFiles } : null,
      aws: { region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS }, endpoints: aws.endpoints },
      table: aws.tableName,
      auditTable: aws.auditTableName,
      bucket: aws.bucket,
      queues: aws.queueUrls,
      deadLetterQueues: aws.deadLetterQueueUrls,
      channels: channels.map((c) => ({ id: c.id, addresses: [c.address, ...c.aliases], defaultSkill: c.defaultSkill, transport: c.outbound.transport })),
      dataDir: options.dataDir ?? null,
      outbox: outbound.outboxDir,
      outboundQueue: { url: aws.outbound.queueUrl, deadLetterUrl: aws.outbound.deadLetterQueueUrl },
      feedbackQueue: { url: aws.feedback.queueUrl, deadLetterUrl: aws.feedback.deadLetterQueueUrl },
      sending: { ses: outbound.ses.endpoint, smtp: outbound.smtp },
      mailbox: mailbox.info,
      retention: config.retention,
      console: agentConsole ? { url: agentConsole.url } : null,
      slaEventsQueue: { url: sla.queueUrl },
    };
    if (options.stateFile) {
      await mkdir(dirname(options.stateFile), { recursive: true });
      await writeFile(options.stateFile, `${JSON.stringify(info, null, 2)}\n`);
      for (const [user, file] of Object.entries(tokenFiles)) await writeSecret(file, tokens[user] ?? '');
      if (tokenFile && adminUser) await writeSecret(tokenFile, tokens[adminUser] ?? '');
    }

    return {
      info,
      adminToken: admin && adminUser ? (tokens[adminUser] ?? null) : null,
      tokens: admin ? tokens : {},
      awsServerPids: aws.serverPids,
      slaCheck: (now) => sla.check(now),
      async stop() {
        await agentConsole?.close();
        await admin?.close();
        await stopSources();
        await stopRetention();
        await stopSla();
        await new Promise<void>((resolve) => smtp.close(() => resolve()));
        await outbound.stop();
        await stopMailbox();
        if (options.dataDir) await saveSnapshot(aws, options.dataDir);
        await aws.stop();
        if (options.stateFile) await rm(options.stateFile, { force: true });
        if (tokenFile) await rm(tokenFile, { force: true });
        for (const file of Object.values(tokenFiles)) await rm(file, { force: true });
      },
    };
  } catch (error) {
    await stopSources().catch(() => undefined);
    await stopRetention().catch(() => undefined);
    await stopSla().catch(() => undefined);
    await stopOutbound().catch(() => undefined);
    await stopMailbox().catch(() => undefined);
    await aws.stop().catch(() => undefined);
    throw error;
  }
}

/** Skills created through the admin API in an earlier run (kept with --data): their local queues again. */
async function restoreApiSkillQueues(aws: Awaited<ReturnType<typeof startLocalAws>>): Promise<void> {
  const skills = new DynamoVersionedStore(aws.db, aws.tableName, { partition: SKILL_PARTITION, attribute: 'skill', schema: SkillRecordSchema });
  const queues = new SqsSkillQueues(aws.sqs, { prefix: '', maxReceiveCount: SKILL_MAX_RECEIVES, denyInsecureTransport: false });
  for (const skill of await everything((p) => skills.list(p))) {
    if (skill.managedBy === 'api') await queues.create(skill.value.name);
  }
}

function lambdaContext(name: string): Context {
  return {
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The reply route of the sandbox's admin API: the outbound use case on the local servers. */
function sandboxReplySender(aws: LocalAws, retention: RetentionSettings): ReplySender {
  return new QueueReplySender(
    createQueueReplyDeps({
      db: aws.db,
      s3: aws.s3,
      sqs: aws.sqs,
      tableName: aws.tableName,
      bucket: aws.bucket,
      outboundQueueUrl: aws.outbound.queueUrl,
      retention,
    }),
  );
}

/**
 * The config's users as agents the sandbox seeds, each signing in with its own token
 * (`token:<id>`). A config without users gets one admin, so the API stays usable.
 */
function sandboxUsers(users: readonly Agent[]): Agent[] {
  const list = users.length > 0 ? users : [{ id: 'admin', role: 'admin' as const, displayName: 'Sandbox admin', channels: [], skills: [], identities: [] }];
  return list.map((u) => ({ ...u, identities: [...new Set([...u.identities, `token:${u.id}`])] }));
}

/** A secret file readable by its owner only (the mode applies to a file that already existed too). */
async function writeSecret(file: string, secret: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
}
