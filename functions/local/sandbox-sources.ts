import { RETENTION_DEFAULTS, type RetentionSettings } from '../core/model/retention.ts';
import { retentionEnv } from '../runtime/env-fields.ts';
import { DynamoChannelDirectory } from '../adapters/dynamo-channel-directory.ts';
import { EncryptionSdkSecretCipher, localKeyring } from '../adapters/outbound/encryption-sdk-secret-cipher.ts';
import { SystemClock } from '../adapters/system-clock.ts';
import { isMailboxSource } from '../core/model/mail-source.ts';
import { pollSource } from '../core/sources/poll-source.ts';
import type { AwsClients } from '../runtime/clients.ts';
import { type InboundEnvInput, InboundEnvSchema, readEnv } from '../runtime/env.ts';
import { inboundAdapters } from '../runtime/inbound-deps.ts';
import { sourceAdapters } from '../runtime/source-deps.ts';
import type { LocalAws } from './local-aws.ts';

export interface SandboxSourcesOptions {
  readonly aws: LocalAws;
  readonly keyFile: string;
  readonly ca?: string;
  /** How often every mailbox channel is polled; the sandbox does not wait for `pollSeconds`. @default 5000 */
  readonly intervalMs?: number;
  readonly suppressionScope: 'channel' | 'account';
  /** The account-wide retention (config `retention`) the records get; the documented defaults when absent. */
  readonly retention?: RetentionSettings | undefined;
  readonly onError?: (error: Error) => void;
}

export interface SandboxSources {
  /** Polls every mailbox channel once now; resolves when done. */
  pollAll(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The mailbox function of the sandbox: the same `pollSource` with the same adapters as in AWS,
 * on the local servers, every few seconds for each channel that reads a mailbox (the loopback
 * hosts of the sandbox's own mailbox server allowed).
 */
export async function startSandboxSources(options: SandboxSourcesOptions): Promise<SandboxSources> {
  const { aws } = options;
  const env = readEnv(InboundEnvSchema, {
    TABLE_NAME: aws.tableName,
    MAIL_BUCKET: aws.bucket,
    SKILL_QUEUE_URLS: JSON.stringify(aws.queueUrls),
    OUTBOUND_QUEUE_URL: aws.outbound.queueUrl,
    SUPPRESSION_SCOPE: options.suppressionScope,
    CHANNEL_CACHE_SECONDS: '1',
    ...retentionEnv(options.retention ?? RETENTION_DEFAULTS),
  } satisfies Partial<InboundEnvInput>);
  const clients: AwsClients = { db: aws.db, s3: aws.s3, sqs: aws.sqs };
  const receive = inboundAdapters(clients, env);
  const cipher = new EncryptionSdkSecretCipher(await localKeyring(options.keyFile));
  const deps = sourceAdapters(clients, receive, {
    tableName: aws.tableName,
    bucket: aws.bucket,
    cipher,
    allow: { loopback: true },
    ...(options.ca ? { ca: options.ca } : {}),
  });
  const directory = new DynamoChannelDirectory(aws.db, aws.tableName, { clock: new SystemClock(), cacheMs: 0 });
  let running: Promise<void> | null = null;
  const pollAll = async (): Promise<void> => {
    for (const channel of await directory.all()) {
      if (!isMailboxSource(channel.source)) continue;
      // A refused login or an unreachable server is recorded on the source (GET /channels/{id}/source), not thrown.
      await pollSource(deps, channel, { limit: 50, budgetMs: 30_000 }).catch((error: unknown) => options.onError?.(error as Error));
    }
  };
  const tick = (): void => {
    running ??= pollAll().finally(() => {
      running = null;
    });
  };
  const timer = setInterval(tick, options.intervalMs ?? 5000);
  timer.unref();
  return {
    async pollAll() {
      await running;
      await pollAll();
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
