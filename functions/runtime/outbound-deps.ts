import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { readFileSync } from 'node:fs';
import { DynamoChannelDirectory } from '../adapters/dynamo-channel-directory.ts';
import { DynamoConversationStore } from '../adapters/dynamo-conversation-store.ts';
import { DynamoCredentialStore } from '../adapters/dynamo-credential-store.ts';
import { DynamoMessageStore } from '../adapters/dynamo-message-store.ts';
import { DynamoOutboundMessages } from '../adapters/dynamo-outbound-messages.ts';
import { DynamoProcessingLedger, OUTBOUND_RECORDS } from '../adapters/dynamo-processing-ledger.ts';
import { DynamoSuppressionList } from '../adapters/dynamo-suppression-list.ts';
import { EncryptionSdkSecretCipher, kmsKeyring, localKeyring } from '../adapters/outbound/encryption-sdk-secret-cipher.ts';
import { NodemailerMimeComposer } from '../adapters/outbound/nodemailer-mime-composer.ts';
import { S3AttachmentSource } from '../adapters/outbound/s3-attachment-source.ts';
import { S3OutboundPlanStore } from '../adapters/s3-outbound-plan-store.ts';
import { SqsOutboundQueue } from '../adapters/sqs-outbound-queue.ts';
import { SystemClock } from '../adapters/system-clock.ts';
import { DEFAULT_RETRY_POLICY } from '../core/outbound/send/retry-policy.ts';
import type { SendOutboundDeps } from '../core/outbound/send/send-outbound.ts';
import type { TransportFactory } from '../core/ports/outbound-store.ts';
import { type AwsClients, createSesClient, tracedClients } from './clients.ts';
import type { OutboundEnv } from './outbound-env.ts';
import { RuntimeTransportFactory } from './transport-factory.ts';
import { retentionOf } from './env-fields.ts';

export interface OutboundDeps {
  readonly send: SendOutboundDeps;
  readonly queue: SqsOutboundQueue;
}

/** The clients of the outbound function: SES besides DynamoDB, S3 and SQS. */
export interface OutboundClients extends AwsClients {
  readonly ses: SESv2Client;
}

export interface OutboundDepsOptions {
  /** Clients on local endpoints (the sandbox's); traced clients of the Lambda environment when absent. */
  readonly clients?: OutboundClients;
  /** Wraps the transports (the sandbox keeps a copy of every mail sent). */
  readonly wrapTransports?: (factory: TransportFactory) => TransportFactory;
  /** Called when a channel's credentials are refused. */
  readonly onUnhealthy?: (channelId: string, reason: string) => void;
}

/** The adapters of `sendOutbound`, with SDK clients built once and traced. */
export async function createOutboundDeps(env: OutboundEnv, tracer: Tracer, options: OutboundDepsOptions = {}): Promise<OutboundDeps> {
  const { db, s3, sqs, ses } = options.clients ?? { ...tracedClients(tracer), ses: tracer.captureAWSv3Client(createSesClient()) };
  const table = env.TABLE_NAME;
  const clock = new SystemClock();
  // The region SES sends from names the domain of the Message-ID SES gives a mail.
  const region = await ses.config.region().catch(() => 'us-east-1');
  const keyring = env.CREDENTIALS_KEY_FILE ? await localKeyring(env.CREDENTIALS_KEY_FILE) : kmsKeyring({ keyArn: env.CREDENTIALS_KEY_ARN });
  const messages = new DynamoMessageStore(db, table);
  const transports = new RuntimeTransportFactory({
    ses,
    region,
    defaultConfigurationSet: env.SES_CONFIGURATION_SET,
    credentials: new DynamoCredentialStore(db, table),
    cipher: new EncryptionSdkSecretCipher(keyring),
    clock,
    allow: { loopback: env.ALLOW_LOOPBACK_HOSTS, cidrs: env.ALLOWED_PRIVATE_CIDRS },
    ...(env.SMTP_EXTRA_CA_FILE ? { ca: readFileSync(env.SMTP_EXTRA_CA_FILE, 'utf8') } : {}),
    ...(options.onUnhealthy ? { onUnhealthy: options.onUnhealthy } : {}),
  });
  const queue = new SqsOutboundQueue(sqs, env.OUTBOUND_QUEUE_URL);
  return {
    queue,
    send: {
      ledger: new DynamoProcessingLedger(db, table, OUTBOUND_RECORDS),
      channels: new DynamoChannelDirectory(db, table, { clock, cacheMs: env.CHANNEL_CACHE_SECONDS * 1000 }),
      plans: new S3OutboundPlanStore(s3, env.MAIL_BUCKET),
      history: messages,
      messages: new DynamoOutboundMessages(db, table),
      // A reply sent moves its conversation's expiry: the account's period for one created before periods were stored on it.
      conversations: new DynamoConversationStore(db, table, { retention: retentionOf(env) }),
      suppression: new DynamoSuppressionList(db, table),
      composer: new NodemailerMimeComposer({ clock }),
      attachments: new S3AttachmentSource(s3, { uploadsBucket: env.MAIL_BUCKET }),
      transports: options.wrapTransports ? options.wrapTransports(transports) : transports,
      clock,
      leaseMs: env.LEASE_SECONDS * 1000,
      // The attempts `retryDecision` backs off for; `attempts.ts` derives the queue's redrive from them.
      maxAttempts: DEFAULT_RETRY_POLICY.maxAttempts,
    },
  };
}
