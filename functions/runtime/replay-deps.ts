import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ReceiveMailDeps } from '../core/inbound/receive-mail.ts';
import { RETENTION_DEFAULTS, type RetentionSettings } from '../core/model/retention.ts';
import { type InboundEnvInput, InboundEnvSchema, readEnv } from './env.ts';
import { retentionEnv } from './env-fields.ts';
import { inboundAdapters } from './inbound-deps.ts';

export interface ReplayClients {
  readonly db: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly tableName: string;
  readonly bucket: string;
  /** Skill → queue URL of the deploy's skills (the sandbox's); others are looked up. */
  readonly queueUrls: Readonly<Record<string, string>>;
  readonly queuePrefix: string;
  /** The outbound queue, where acknowledgements of replayed mail are queued. */
  readonly outboundQueueUrl: string;
  readonly leaseMs: number;
  /** The account-wide retention the replayed mail's records get; the documented defaults when absent. */
  readonly retention?: RetentionSettings | undefined;
}

/**
 * The inbound pipeline's adapters for a replay from the admin API: the same `receiveMail` the
 * inbound function runs, with the same adapters. Imported on the first replay only (it brings the
 * MIME parser).
 */
export function createReplayDeps(c: ReplayClients): ReceiveMailDeps {
  const env = readEnv(InboundEnvSchema, {
    TABLE_NAME: c.tableName,
    MAIL_BUCKET: c.bucket,
    SKILL_QUEUE_URLS: JSON.stringify(c.queueUrls),
    SKILL_QUEUE_PREFIX: c.queuePrefix,
    OUTBOUND_QUEUE_URL: c.outboundQueueUrl,
    CHANNEL_CACHE_SECONDS: '1',
    LEASE_SECONDS: String(Math.ceil(c.leaseMs / 1000)),
    ...retentionEnv(c.retention ?? RETENTION_DEFAULTS),
  } satisfies Partial<InboundEnvInput>);
  return inboundAdapters(c, env);
}
