import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoChannelDirectory } from '../adapters/dynamo-channel-directory.ts';
import { DynamoConversationStore } from '../adapters/dynamo-conversation-store.ts';
import { DynamoFailedMailStore } from '../adapters/dynamo-failed-mail-store.ts';
import { DynamoMessageStore } from '../adapters/dynamo-message-store.ts';
import { DynamoProcessingLedger, INBOUND_RECORDS } from '../adapters/dynamo-processing-ledger.ts';
import { DynamoTicketSequence } from '../adapters/dynamo-ticket-sequence.ts';
import { MailparserMimeParser } from '../adapters/mailparser-mime-parser.ts';
import { S3RawMailStore } from '../adapters/s3-raw-mail-store.ts';
import { skillQueueLookup } from '../adapters/skill-queue-lookup.ts';
import { SqsRoutedQueue } from '../adapters/sqs-routed-queue.ts';
import { SystemClock } from '../adapters/system-clock.ts';
import { UuidIdGenerator } from '../adapters/uuid-id-generator.ts';
import type { ReceiveMailDeps } from '../core/inbound/receive-mail.ts';

export interface ReplayClients {
  readonly db: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly tableName: string;
  readonly bucket: string;
  /** Skill → queue URL of the deploy's skills (the sandbox's); others are looked up. */
  readonly queueUrls: Readonly<Record<string, string>>;
  readonly queuePrefix: string;
  readonly leaseMs: number;
}

/**
 * The inbound pipeline's adapters for a replay from the admin API: the same `receiveMail` the
 * inbound function runs. Imported on the first replay only (it brings the MIME parser).
 */
export function createReplayDeps(c: ReplayClients): ReceiveMailDeps {
  const clock = new SystemClock();
  return {
    parser: new MailparserMimeParser(),
    channels: new DynamoChannelDirectory(c.db, c.tableName, { clock, cacheMs: 0 }),
    rawMail: new S3RawMailStore(c.s3, c.bucket),
    ledger: new DynamoProcessingLedger(c.db, c.tableName, INBOUND_RECORDS),
    conversations: new DynamoConversationStore(c.db, c.tableName),
    messages: new DynamoMessageStore(c.db, c.tableName),
    queue: new SqsRoutedQueue(c.sqs, c.queueUrls, skillQueueLookup({ db: c.db, tableName: c.tableName, sqs: c.sqs, prefix: c.queuePrefix })),
    failed: new DynamoFailedMailStore(c.db, c.tableName),
    tickets: new DynamoTicketSequence(c.db, c.tableName),
    clock,
    ids: new UuidIdGenerator(),
    leaseMs: c.leaseMs,
    pause: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}
