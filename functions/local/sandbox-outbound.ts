import { RETENTION_DEFAULTS, type RetentionSettings } from '../core/model/retention.ts';
import { retentionEnv } from '../runtime/env-fields.ts';
import type { Context } from 'aws-lambda';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as sesLocalModule from 'aws-ses-v2-local';
import { DynamoCredentialStore } from '../adapters/dynamo-credential-store.ts';
import { EncryptionSdkSecretCipher, localKeyring } from '../adapters/outbound/encryption-sdk-secret-cipher.ts';
import type { ChannelSettings } from '../core/model/channel.ts';
import { credentialEndpointKey } from '../core/model/credential-endpoint.ts';
import { createSesClient } from '../runtime/clients.ts';
import { readEnv } from '../runtime/env.ts';
import { type OutboundEnv, OutboundEnvSchema } from '../runtime/outbound-env.ts';
import { createOutboundHandler } from '../runtime/outbound-handler.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, type LocalAws, localHandlerOptions } from './local-aws.ts';
import { startOutboundPoller } from './outbound-poller.ts';
import { capturingSesMail, OutboxFolder } from './outbox.ts';
import { type OutboxSmtp, startOutboxSmtp } from './outbox-smtp.ts';
import { type SandboxFeedback, startSandboxFeedback } from './sandbox-feedback.ts';

/** The SMTP host a sandbox channel names to send through the sandbox's own SMTP server. */
export const SANDBOX_SMTP_HOST = 'localhost';

export interface SandboxOutboundOptions {
  readonly aws: LocalAws;
  /** Folder for the outbox, the local credentials key and the sandbox CA. */
  readonly dir: string;
  /** Port of the sandbox's SMTP server for channels that send by SMTP; 0 takes a free one. */
  readonly smtpPort: number;
  /** Keep the outbox of an earlier run (state kept with `--data`); else it starts empty, as the state does. */
  readonly keepOutbox?: boolean;
  readonly logLevel?: string | undefined;
  readonly context: (name: string) => Context;
  /** Where feedback suppresses (the deployment's `suppression.scope`). */
  readonly suppressionScope: 'channel' | 'account';
  /** The account-wide retention (config `retention`) the records get; the documented defaults when absent. */
  readonly retention?: RetentionSettings | undefined;
}

export interface SandboxOutbound {
  readonly outboxDir: string;
  readonly ses: { readonly endpoint: string };
  readonly smtp: { readonly host: string; readonly port: number };
  /** The deployment's local credential key: the admin API encrypts and the sender decrypts with it. */
  readonly keyFile: string;
  /** PEM of the sandbox SMTP server's certificate: the extra CA the sender and the credentials test trust. */
  readonly ca: string;
  /**
   * File (mode 0600) with the sandbox SMTP server's password (user `postroom`), for a channel an
   * admin points at it through the API (`PUT …/credentials/smtp-password`); removed at stop.
   */
  readonly passwordFile: string;
  /** Channels as the sandbox runs them: an SMTP channel on `localhost` points at the sandbox's SMTP server. */
  channels(config: readonly ChannelSettings[]): ChannelSettings[];
  /** Stores the sandbox SMTP login, encrypted, for each channel that sends through it. */
  seedCredentials(channels: readonly ChannelSettings[]): Promise<void>;
  /**
   * Starts the outbound handler on the outbound queue (after the channels are seeded), and the
   * feedback handler on the feedback queue, fed by the mailbox simulator; `ingress` takes the
   * simulator's vacation replies.
   */
  start(ingress: { readonly host: string; readonly port: number }): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The sending half of the sandbox: aws-ses-v2-local where SES stands, an SMTP server with
 * STARTTLS and a password login where a customer's own server stands, both writing what they
 * receive into the outbox folder, the real outbound handler fed from the outbound queue, and
 * SES's mailbox simulator feeding the real feedback handler (`sandbox-feedback.ts`).
 */
export async function prepareSandboxOutbound(options: SandboxOutboundOptions): Promise<SandboxOutbound> {
  const { aws } = options;
  const outbox = new OutboxFolder(join(options.dir, 'outbox'));
  if (!options.keepOutbox) await rm(outbox.dir, { recursive: true, force: true });
  await mkdir(outbox.dir, { recursive: true });
  const keyFile = join(options.dir, 'credentials.key');
  const caFile = join(options.dir, 'sandbox-ca.pem');
  const passwordFile = join(options.dir, 'sandbox-smtp-password');
  const ses = await startSesLocal({ host: '127.0.0.1', port: 0 });
  let smtp: OutboxSmtp;
  try {
    smtp = await startOutboxSmtp({ port: options.smtpPort, outbox });
    await writeFile(caFile, smtp.ca);
    await writeFile(passwordFile, `${smtp.password}\n`, { mode: 0o600 });
    await chmod(passwordFile, 0o600);
  } catch (error) {
    await new Promise<void>((resolve) => ses.close(() => resolve()));
    throw error;
  }
  const sesEndpoint = `http://127.0.0.1:${(ses.address() as AddressInfo).port}`;
  const sesClient = createSesClient({ region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS }, endpoint: sesEndpoint });
  let poller: { stop(): Promise<void> } | null = null;
  let feedback: SandboxFeedback | null = null;
  const report = (what: string) => (error: unknown) => process.stderr.write(`postroom: ${what}: ${error instanceof Error ? error.message : String(error)}\n`);

  return {
    outboxDir: outbox.dir,
    ses: { endpoint: sesEndpoint },
    smtp: { host: smtp.host, port: smtp.port },
    keyFile,
    ca: smtp.ca,
    passwordFile,
    channels: (config) =>
      config.map((c) =>
        c.smtp && c.smtp.host === SANDBOX_SMTP_HOST
          ? { ...c, smtp: { ...c.smtp, host: smtp.host, port: smtp.port, security: 'starttls', forceTls: true, auth: { type: 'password', user: smtp.user } } }
          : c,
      ),
    async seedCredentials(channels) {
      const cipher = new EncryptionSdkSecretCipher(await localKeyring(keyFile));
      const store = new DynamoCredentialStore(aws.db, aws.tableName);
      for (const channel of channels) {
        if (channel.smtp?.host !== smtp.host || channel.smtp.port !== smtp.port) continue;
        const context = { channelId: channel.id, purpose: 'smtp-password', endpoint: credentialEndpointKey(channel.smtp) } as const;
        const ciphertext = await cipher.encrypt(smtp.password, context);
        await store.putSecret(channel.id, 'smtpPassword', ciphertext, new Date().toISOString());
      }
    },
    async start(ingress) {
      const started = await startSandboxFeedback({
        aws,
        ingress,
        suppressionScope: options.suppressionScope,
        logLevel: options.logLevel,
        context: options.context,
        onError: report('feedback'),
      });
      feedback = started;
      // The outbound function as Lambda builds it, on the local servers' clients and the sandbox's key and CA.
      const env = readEnv(OutboundEnvSchema, {
        TABLE_NAME: aws.tableName,
        MAIL_BUCKET: aws.bucket,
        OUTBOUND_QUEUE_URL: aws.outbound.queueUrl,
        CREDENTIALS_KEY_FILE: keyFile,
        ALLOW_LOOPBACK_HOSTS: 'true',
        SMTP_EXTRA_CA_FILE: caFile,
        CHANNEL_CACHE_SECONDS: '1',
        ...retentionEnv(options.retention ?? RETENTION_DEFAULTS),
      } satisfies Partial<Record<keyof OutboundEnv, string>>);
      const local = localHandlerOptions(aws, options.logLevel);
      const handler = createOutboundHandler(env, {
        ...local,
        clients: { ...local.clients, ses: sesClient },
        wrapTransports: (factory) => capturingSesMail(factory, outbox, (sent) => started.onSent(sent)),
      });
      poller = startOutboundPoller({
        sqs: aws.sqs,
        queueUrl: aws.outbound.queueUrl,
        queueArn: aws.outbound.queueArn,
        handler,
        context: () => options.context('postroom-outbound-local'),
        onError: report('outbound poller'),
      });
    },
    async stop() {
      await poller?.stop();
      await feedback?.stop();
      await smtp.close();
      sesClient.destroy();
      await new Promise<void>((resolve) => ses.close(() => resolve()));
      await rm(passwordFile, { force: true });
    },
  };
}

type StartSes = (config: { host: string; port: number }) => Promise<Server>;

/** Starts aws-ses-v2-local in this process. It is CommonJS with an ES default export: under Node's ESM loader it sits one level down. */
export function startSesLocal(config: { host: string; port: number }): Promise<Server> {
  const module = sesLocalModule as unknown as { default: StartSes | { default: StartSes } };
  const start = typeof module.default === 'function' ? module.default : module.default.default;
  return start(config);
}
