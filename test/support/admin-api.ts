import { DependencyError } from '../../functions/core/errors.ts';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentSeedItem, channelSeedItem, seedItems, skillSeedItem } from '../../functions/adapters/dynamo-config-seed.ts';
import type { Agent } from '../../functions/core/model/agent.ts';
import { EncryptionSdkSecretCipher, localKeyring } from '../../functions/adapters/outbound/encryption-sdk-secret-cipher.ts';
import { SqsSkillQueues } from '../../functions/adapters/sqs-skill-queues.ts';
import { createAdminApp, type AdminApp } from '../../functions/api/app.ts';
import { bearerTokens } from '../../functions/api/auth.ts';
import type { AdminApiDeps } from '../../functions/api/deps.ts';
import type { CodeExchange, TransportTester } from '../../functions/core/admin/credential-admin.ts';
import type { ChannelSettings } from '../../functions/core/model/channel.ts';
import type { PostroomConfig } from '../../functions/core/model/postroom-config.ts';
import type { OutboundStoredMessage } from '../../functions/core/model/stored-message.ts';
import type { ReceiptRules, ReplySender } from '../../functions/core/ports/admin.ts';
import type { ReplyRequest } from '../../functions/core/model/reply-request.ts';
import type { SecretCipher } from '../../functions/core/ports/outbound.ts';
import { createAdminDeps } from '../../functions/runtime/admin-deps.ts';
import { SKILL_MAX_RECEIVES } from '../../functions/runtime/attempts.ts';
import { EXAMPLE_CONFIG, startLocalAws, type LocalAws } from './local-aws.ts';
import { MemorySuppressionList } from '../../functions/adapters/memory/memory-suppression-list.ts';

export const TOKEN = 'test-admin-token-0123456789';

/**
 * The users of the sandbox's config, as the harness seeds them: each signs in with `TOKENS[id]`
 * (`TOKEN` is the admin's). agent-1 works on support and billing, agent-2 on billing only.
 */
export const USERS: readonly Agent[] = [
  { id: 'admin', role: 'admin', displayName: 'Ada Admin', channels: [], skills: [], identities: ['token:admin'] },
  { id: 'supervisor-1', role: 'supervisor', displayName: 'Sam Supervisor', channels: [], skills: [], identities: ['token:supervisor-1'] },
  { id: 'agent-1', role: 'agent', displayName: 'Alex Agent', channels: [], skills: ['support', 'billing'], identities: ['token:agent-1'] },
  { id: 'agent-2', role: 'agent', displayName: 'Blair Agent', channels: [], skills: ['billing'], identities: ['token:agent-2'] },
];
export const TOKENS: Readonly<Record<string, string>> = {
  admin: TOKEN,
  'supervisor-1': 'test-supervisor-token-0123456789',
  'agent-1': 'test-agent-1-token-0123456789',
  'agent-2': 'test-agent-2-token-0123456789',
};

/** Receipt rules kept in memory: which addresses would receive. */
export class RecordingReceiptRules implements ReceiptRules {
  readonly rules = new Map<string, string[]>();
  async put(channel: ChannelSettings): Promise<void> {
    this.rules.set(channel.id, [channel.address, ...channel.aliases]);
  }
  async remove(channelId: string): Promise<void> {
    this.rules.delete(channelId);
  }
}

/** The send path stand-in: records each reply and returns it queued. */
export class RecordingReplySender implements ReplySender {
  readonly sent: ReplyRequest[] = [];
  async reply(request: ReplyRequest): Promise<OutboundStoredMessage> {
    this.sent.push(request);
    const at = '2026-11-22T10:00:00.000Z';
    return {
      direction: 'outbound',
      messageId: `out-${this.sent.length}`,
      channelId: 'support',
      internetMessageId: null,
      subject: 'Re: x',
      from: null,
      to: [],
      cc: [],
      preview: request.text ?? '',
      attachments: [],
      conversationId: request.conversationId,
      purpose: 'reply',
      agentId: request.agentId,
      external: false,
      bcc: [],
      inReplyTo: request.inReplyTo ?? null,
      providerMessageId: null,
      threadIds: [],
      status: 'queued',
      statusReason: null,
      retrying: false,
      recipients: [],
      createdAt: at,
      sentAt: null,
      updatedAt: at,
    };
  }

  async startConversation(): Promise<never> {
    throw new DependencyError('dependency-unavailable', 'the recording stand-in starts no conversations');
  }

  async forward(): Promise<never> {
    throw new DependencyError('dependency-unavailable', 'the recording stand-in forwards nothing');
  }
}

export interface AdminHarness {
  readonly aws: LocalAws;
  readonly app: AdminApp;
  readonly deps: AdminApiDeps;
  readonly receipt: RecordingReceiptRules;
  readonly replies: RecordingReplySender;
  readonly suppressions: MemorySuppressionList;
  readonly exchanged: { code: string; clientSecret: string }[];
  readonly tested: Parameters<TransportTester['test']>[0][];
  /** Every line the app logged, as JSON. */
  readonly logs: string[];
  /** A request with the admin's bearer token (another `token`, or none with `token: null`), JSON bodies encoded. */
  call(method: string, path: string, options?: { body?: unknown; headers?: Record<string, string>; token?: string | null; raw?: string }): Promise<Response>;
  /** A request as one of `USERS`. */
  as(user: string, method: string, path: string, options?: { body?: unknown; headers?: Record<string, string>; raw?: string }): Promise<Response>;
  stop(): Promise<void>;
}

/** The admin app on dynalite and fauxqs with the real adapters, seeded with a config like a deploy. */
export async function startAdminHarness(
  config: PostroomConfig = EXAMPLE_CONFIG,
  options: {
    readonly tester?: (cipher: SecretCipher) => TransportTester;
    /** The send path behind the reply route; the recording stand-in when absent. */
    readonly replies?: (aws: LocalAws) => ReplySender;
  } = {},
): Promise<AdminHarness> {
  const aws = await startLocalAws(config.skills.map((s) => s.name));
  const at = '2026-11-22T09:00:00.000Z';
  await seedItems(
    aws.db,
    aws.tableName,
    [
      ...config.channels.map(channelSeedItem),
      ...config.skills.map((s) => skillSeedItem({ ...s, queueUrl: aws.queueUrls[s.name] ?? '', deadLetterQueueUrl: aws.deadLetterQueueUrls[s.name] ?? '' })),
      ...USERS.filter((u) => u.skills.every((skill) => config.skills.some((s) => s.name === skill))).map(agentSeedItem),
    ],
    at,
  );
  const receipt = new RecordingReceiptRules();
  const replies = new RecordingReplySender();
  const suppressions = new MemorySuppressionList();
  const exchanged: { code: string; clientSecret: string }[] = [];
  const tested: Parameters<TransportTester['test']>[0][] = [];
  const keyDir = await mkdtemp(join(tmpdir(), 'postroom-admin-'));
  const cipher = new EncryptionSdkSecretCipher(await localKeyring(join(keyDir, 'local.key')));
  const oauth: CodeExchange = {
    async exchange(_client, input) {
      exchanged.push({ code: input.code, clientSecret: input.clientSecret });
      if (input.code === 'bad-code')
        throw new (await import('../../functions/core/errors.ts')).DependencyError('credentials', 'the token endpoint refused the code (invalid_grant)');
      return { refreshToken: `refresh-for-${input.code}` };
    },
  };
  const tester: TransportTester = {
    async test(input) {
      tested.push(input);
      return input.stored.ciphertexts.smtpPassword ? { ok: true, detail: 'logged in' } : { ok: false, detail: 'config: no SMTP password stored' };
    },
  };
  const deps = createAdminDeps({
    db: aws.db,
    s3: aws.s3,
    sqs: aws.sqs,
    tableName: aws.tableName,
    auditTableName: aws.auditTableName,
    bucket: aws.bucket,
    domains: config.domains,
    queuePrefix: '',
    queueUrls: aws.queueUrls,
    leaseMs: 120_000,
    outboundQueueUrl: aws.outbound.queueUrl,
    receipt,
    queues: new SqsSkillQueues(aws.sqs, { prefix: '', maxReceiveCount: SKILL_MAX_RECEIVES, denyInsecureTransport: false }),
    cipher: async () => cipher,
    oauth: async () => oauth,
    tester: async () => options.tester?.(cipher) ?? tester,
    suppressions,
    replies: options.replies?.(aws) ?? replies,
  });
  const logs: string[] = [];
  const record = (message: string, fields: Record<string, unknown>) => logs.push(JSON.stringify({ message, ...fields, error: String(fields.error ?? '') }));
  const byToken = Object.fromEntries(Object.entries(TOKENS).map(([user, token]) => [token, user]));
  const app = createAdminApp(deps, { authenticate: bearerTokens(byToken), logger: { error: record, info: record } });
  const call: AdminHarness['call'] = (method, path, options = {}) => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token !== null) headers.authorization = `Bearer ${options.token ?? TOKEN}`;
    let body: string | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    return Promise.resolve(app.request(path, { method, headers, ...(body === undefined ? {} : { body }) }));
  };
  return {
    aws,
    app,
    deps,
    receipt,
    replies,
    suppressions,
    exchanged,
    tested,
    logs,
    call,
    as(user, method, path, options = {}) {
      const token = TOKENS[user];
      if (!token) throw new Error(`no test user ${user}`);
      return call(method, path, { ...options, token });
    },
    stop: () => aws.stop(),
  };
}
