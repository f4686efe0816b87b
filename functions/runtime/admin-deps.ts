import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoAuditLog } from '../adapters/dynamo-audit-log.ts';
import { DynamoConversationAdmin } from '../adapters/dynamo-conversation-admin.ts';
import { DynamoConversationStore } from '../adapters/dynamo-conversation-store.ts';
import { EldLanguageDetector } from '../adapters/eld-language-detector.ts';
import { DynamoCredentialStore } from '../adapters/dynamo-credential-store.ts';
import { DynamoFailedMailAdmin } from '../adapters/dynamo-failed-mail-admin.ts';
import { DynamoVersionedStore } from '../adapters/dynamo-versioned-store.ts';
import { S3AttachmentLinks } from '../adapters/s3-attachment-links.ts';
import { S3RawMailStore } from '../adapters/s3-raw-mail-store.ts';
import { SystemClock } from '../adapters/system-clock.ts';
import { UuidIdGenerator } from '../adapters/uuid-id-generator.ts';
import { AGENT_PARTITION, CHANNEL_PARTITION, SKILL_PARTITION } from '../adapters/dynamo-schema.ts';
import { AgentDirectory } from '../core/admin/agent-directory.ts';
import { AgentSchema } from '../core/model/agent.ts';
import type { AdminApiDeps } from '../api/deps.ts';
import { RawMailMessageBodies } from '../core/admin/message-bodies.ts';
import type { CodeExchange, TransportTester } from '../core/admin/credential-admin.ts';
import { receiveMail } from '../core/inbound/receive-mail.ts';
import { ChannelResourceSchema, SkillRecordSchema } from '../core/model/admin-resources.ts';
import type { ReceiptRules, ReplySender, SkillQueues } from '../core/ports/admin.ts';
import type { HtmlSanitizer } from '../core/ports/html.ts';
import type { MimeParser } from '../core/ports/mime.ts';
import type { SecretCipher } from '../core/ports/outbound.ts';
import type { SuppressionList } from '../core/ports/suppression.ts';
import { lazy, lazyCipher } from './lazy.ts';
import type { HostAllowance } from '../adapters/outbound/host-guard.ts';
import { DynamoSourceStateStore } from '../adapters/dynamo-source-state.ts';
import { DynamoImportJobs } from '../adapters/dynamo-import-jobs.ts';
import { S3ImportArchives } from '../adapters/s3-import-archives.ts';
import { ConfigError } from '../core/errors.ts';
import type { ImportJob } from '../core/model/import-job.ts';
import { RETENTION_DEFAULTS, type RetentionSettings } from '../core/model/retention.ts';
import { templateStores } from './queue-reply-deps.ts';
import type { PrivacyJob } from '../core/governance/privacy-job.ts';
import { privacyAdminAdapters } from './privacy-deps.ts';
import { DynamoPresence } from '../adapters/dynamo-presence.ts';
import { DynamoWorkLeases } from '../adapters/dynamo-work-leases.ts';
import { SqsWorkQueue } from '../adapters/sqs-work-queue.ts';
import { DynamoLegalHolds } from '../adapters/dynamo-legal-holds.ts';
import { dynamoCalendarStore } from '../adapters/dynamo-calendar-store.ts';
import type { SlaSettings } from '../core/sla/sla-settings.ts';

export interface AdminClients {
  readonly db: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly tableName: string;
  /** The append-only audit table. */
  readonly auditTableName: string;
  readonly bucket: string;
  readonly domains: readonly string[];
  readonly queuePrefix: string;
  /** Skill → queue URL of the deploy's skills, for replays. */
  readonly queueUrls: Readonly<Record<string, string>>;
  readonly leaseMs: number;
  /** The outbound queue (replies; acknowledgements of replayed mail). */
  readonly outboundQueueUrl: string;
  readonly receipt: ReceiptRules;
  readonly queues: SkillQueues;
  /** Built on first use: the Encryption SDK is heavy for a cold start. */
  readonly cipher: () => Promise<SecretCipher>;
  readonly oauth: () => Promise<CodeExchange>;
  /** Built on first use: it brings nodemailer. */
  readonly tester: () => Promise<TransportTester>;
  readonly suppressions: SuppressionList;
  /** The send path; null where it is not wired (reply answers 503). */
  readonly replies: ReplySender | null;
  /** Hands a started import to what runs it: the mailbox function's queue in AWS, a background task in the sandbox. */
  readonly runImport?: (job: ImportJob) => Promise<void>;
  /** Hands a requested export or erasure to what runs it: the privacy queue in AWS, a background task in the sandbox. */
  readonly runPrivacyJob?: (job: PrivacyJob) => Promise<void>;
  /** What admin-set mailbox hosts may reach besides public addresses (the sandbox: loopback), and extra CAs. */
  readonly sourceHosts?: { readonly allow: HostAllowance; readonly ca?: string };
  /** The account-wide retention (config `retention`); its documented defaults when absent. */
  readonly retention?: RetentionSettings;
  /** The account's default SLA (config `sla`): its calendar is not deleted. */
  readonly slaDefault?: SlaSettings | null;
}

/** Loads the MIME parser on first use: only the dry run, bodies and replays need it. */
export const loadParser = lazy(async (): Promise<MimeParser> => new (await import('../adapters/mailparser-mime-parser.ts')).MailparserMimeParser());

/** Loads the HTML sanitizer on first use: only template and signature routes need it. */
export const loadSanitizer = lazy(async (): Promise<HtmlSanitizer> => new (await import('../adapters/outbound/agent-html-sanitizer.ts')).AgentHtmlSanitizer());

/** The admin API's adapters, shared by the Lambda entry point and the sandbox. */
export function createAdminDeps(c: AdminClients): AdminApiDeps {
  const { db, tableName } = c;
  const retention = c.retention ?? RETENTION_DEFAULTS;
  const raw = new S3RawMailStore(c.s3, c.bucket);
  const clock = new SystemClock();
  const agents = new DynamoVersionedStore(db, tableName, { partition: AGENT_PARTITION, attribute: 'agent', schema: AgentSchema });
  const replayDeps = lazy(async () => (await import('./replay-deps.ts')).createReplayDeps(c));
  // Built on the first poll: it brings the mailbox clients.
  const sourceDeps = lazy(async () => {
    const hosts = c.sourceHosts ?? { allow: { loopback: false } };
    const options = { tableName, bucket: c.bucket, cipher: await c.cipher(), allow: hosts.allow, ...(hosts.ca ? { ca: hosts.ca } : {}) };
    return (await import('./source-deps.ts')).sourceAdapters(c, await replayDeps(), options);
  });
  return {
    clock,
    ids: new UuidIdGenerator(),
    audit: new DynamoAuditLog(db, c.auditTableName, { retention }),
    channels: new DynamoVersionedStore(db, tableName, { partition: CHANNEL_PARTITION, attribute: 'settings', schema: ChannelResourceSchema }),
    skills: new DynamoVersionedStore(db, tableName, { partition: SKILL_PARTITION, attribute: 'skill', schema: SkillRecordSchema }),
    ...templateStores(db, tableName),
    sanitizer: loadSanitizer,
    agents,
    agentDirectory: new AgentDirectory(agents, clock),
    receipt: c.receipt,
    queues: c.queues,
    domains: c.domains,
    parser: loadParser,
    // eld's data loads on the first detection: only a dry run detects here.
    language: new EldLanguageDetector(),
    lookup: new DynamoConversationStore(db, tableName, { retention }),
    conversations: new DynamoConversationAdmin(db, tableName),
    bodies: new RawMailMessageBodies(raw, loadParser),
    replies: c.replies,
    failed: new DynamoFailedMailAdmin(db, tableName),
    replay: async (mail) => receiveMail(await replayDeps(), mail, { replay: true }),
    credentials: new DynamoCredentialStore(db, tableName),
    cipher: lazyCipher(c.cipher),
    oauth: { exchange: async (client, input) => (await c.oauth()).exchange(client, input) },
    tester: { test: async (input) => (await c.tester()).test(input) },
    suppressions: c.suppressions,
    attachments: new S3AttachmentLinks(c.s3, raw, { bucket: c.bucket }),
    holds: new DynamoLegalHolds(db, tableName),
    calendars: dynamoCalendarStore(db, tableName),
    slaDefault: c.slaDefault ?? null,
    retention,
    sourceStates: new DynamoSourceStateStore(db, tableName),
    importJobs: new DynamoImportJobs(db, tableName),
    importArchives: new S3ImportArchives(c.s3, c.bucket),
    // The work routes: agents' apps take skill-queue messages under leases, and say who has a conversation open.
    work: { queue: new SqsWorkQueue(c.sqs), leases: new DynamoWorkLeases(db, tableName), presence: new DynamoPresence(db, tableName) },
    runImport:
      c.runImport ??
      (async () => {
        throw new ConfigError('imports are not wired in this deployment (no runner for import jobs)');
      }),
    ...privacyAdminAdapters({ db, s3: c.s3, tableName, bucket: c.bucket }),
    runPrivacyJob:
      c.runPrivacyJob ??
      (async () => {
        throw new ConfigError('privacy jobs are not wired in this deployment (no runner for export and erasure jobs)');
      }),
    // An admin's poll reads a page and answers within the API's time limit; the schedule reads the rest.
    pollSource: async (channel) =>
      (await import('../core/sources/poll-source.ts')).pollSource(await sourceDeps(), channel, { force: true, limit: 25, budgetMs: 20_000 }),
  };
}
