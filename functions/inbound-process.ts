import type { Context } from 'aws-lambda';
import { DynamoChannelDirectory } from './adapters/dynamo-channel-directory.ts';
import { DynamoConversationStore } from './adapters/dynamo-conversation-store.ts';
import { DynamoFailedMailStore } from './adapters/dynamo-failed-mail-store.ts';
import { DynamoInboundLedger } from './adapters/dynamo-inbound-ledger.ts';
import { DynamoMessageStore } from './adapters/dynamo-message-store.ts';
import { DynamoTicketSequence } from './adapters/dynamo-ticket-sequence.ts';
import { MailparserMimeParser } from './adapters/mailparser-mime-parser.ts';
import { S3RawMailStore } from './adapters/s3-raw-mail-store.ts';
import { SqsRoutedQueue } from './adapters/sqs-routed-queue.ts';
import { SystemClock, UuidIdGenerator } from './adapters/system-clock.ts';
import { receiveMail, type ReceiveMailDeps } from './core/inbound/receive-mail.ts';
import { createDocumentClient, createS3Client, createSqsClient } from './runtime/clients.ts';
import { InboundEnvSchema, readEnv } from './runtime/env.ts';
import { createObservability, recordInboundOutcome } from './runtime/observability.ts';
import { RAW_MAIL_PREFIX, inboundMailsOf } from './runtime/ses-event.ts';

const env = readEnv(InboundEnvSchema);
const { logger, metrics, tracer } = createObservability({ serviceName: env.POWERTOOLS_SERVICE_NAME, namespace: env.POWERTOOLS_METRICS_NAMESPACE });
const db = tracer.captureAWSv3Client(createDocumentClient());
const clock = new SystemClock();
const deps: ReceiveMailDeps = {
  parser: new MailparserMimeParser(), clock, ids: new UuidIdGenerator(), leaseMs: env.LEASE_SECONDS,
  channels: new DynamoChannelDirectory(db, env.TABLE_NAME, { clock, cacheMs: env.CHANNEL_CACHE_SECONDS }),
  rawMail: new S3RawMailStore(tracer.captureAWSv3Client(createS3Client()), env.RAW_MAIL_BUCKET),
  ledger: new DynamoInboundLedger(db, env.TABLE_NAME), conversations: new DynamoConversationStore(db, env.TABLE_NAME),
  messages: new DynamoMessageStore(db, env.TABLE_NAME), failed: new DynamoFailedMailStore(db, env.TABLE_NAME),
  tickets: new DynamoTicketSequence(db, env.TABLE_NAME),
  queue: new SqsRoutedQueue(tracer.captureAWSv3Client(createSqsClient()), env.SKILL_QUEUE_URLS),
};

/** SES receipt rule Lambda action (Event invocation): one mail per record. Throws only to be retried. */
export async function handler(event: unknown, context: Context): Promise<void> {
  logger.addContext(context);
  try {
    for (const mail of inboundMailsOf(event, RAW_MAIL_PREFIX)) {
      logger.appendKeys({ sesMessageId: mail.sesMessageId, rawKey: mail.rawKey });
      const outcome = await receiveMail(deps, mail);
      recordInboundOutcome(metrics, outcome, Date.now() - Date.parse(mail.receivedAt));
      logger.info('mail processed', { ...outcome });
    }
  } catch (error) {
    logger.error('mail processing failed; retrying', { error });
    throw error;
  } finally {
    metrics.publishStoredMetrics();
  }
}
