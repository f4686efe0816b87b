import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoChannelDirectory } from '../adapters/dynamo-channel-directory.ts';
import { DynamoConversationStore } from '../adapters/dynamo-conversation-store.ts';
import { DynamoMessageStore } from '../adapters/dynamo-message-store.ts';
import { DynamoOutboundMessages } from '../adapters/dynamo-outbound-messages.ts';
import { DynamoSuppressionList } from '../adapters/dynamo-suppression-list.ts';
import { DynamoVersionedStore } from '../adapters/dynamo-versioned-store.ts';
import { S3AttachmentStager } from '../adapters/outbound/s3-attachment-stager.ts';
import { S3OutboundPlanStore } from '../adapters/s3-outbound-plan-store.ts';
import { S3RawMailStore } from '../adapters/s3-raw-mail-store.ts';
import { SqsOutboundQueue } from '../adapters/sqs-outbound-queue.ts';
import { SystemClock } from '../adapters/system-clock.ts';
import { UuidIdGenerator } from '../adapters/uuid-id-generator.ts';
import { StoredSignatureSchema, StoredTemplateSchema } from '../core/model/admin-resources.ts';
import type { RetentionSettings } from '../core/model/retention.ts';
import type { QueueReplyDeps } from '../core/outbound/compose/queue-reply.ts';
import type { StartConversationDeps } from '../core/outbound/compose/start-conversation.ts';
import { DynamoTicketSequence } from '../adapters/dynamo-ticket-sequence.ts';
import type { SignatureStore, TemplateStoreFactory } from '../core/ports/admin.ts';

/**
 * The stores of channels' templates and agents' signatures: written by the admin API (which checks
 * the limits), read by every reply (without them, so an oversized stored value cannot break reads).
 */
export function templateStores(
  db: DynamoDBDocumentClient,
  tableName: string,
): {
  readonly templates: TemplateStoreFactory;
  readonly signatures: SignatureStore;
} {
  return {
    templates: (channelId) =>
      new DynamoVersionedStore(db, tableName, { partition: `TEMPLATE#${channelId}`, attribute: 'template', schema: StoredTemplateSchema }),
    signatures: new DynamoVersionedStore(db, tableName, { partition: 'SIGNATURE', attribute: 'signature', schema: StoredSignatureSchema }),
  };
}

/** The adapters of `queueReply`, `queueForward` and `startConversation`: where the admin API, `postroom reply`/`compose` and the sandbox queue agents' mail. */
export function createQueueReplyDeps(c: {
  readonly db: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly tableName: string;
  readonly bucket: string;
  readonly outboundQueueUrl: string;
  readonly channelCacheMs?: number;
  /** The account-wide retention: a conversation an agent starts is kept `mailDays` after its last message, unless its channel says otherwise. */
  readonly retention?: Pick<RetentionSettings, 'mailDays'>;
}): QueueReplyDeps & StartConversationDeps {
  const clock = new SystemClock();
  const ids = new UuidIdGenerator();
  const messages = new DynamoMessageStore(c.db, c.tableName);
  return {
    ...templateStores(c.db, c.tableName),
    channels: new DynamoChannelDirectory(c.db, c.tableName, { clock, cacheMs: c.channelCacheMs ?? 0 }),
    conversations: new DynamoConversationStore(c.db, c.tableName, c.retention ? { retention: c.retention } : {}),
    tickets: new DynamoTicketSequence(c.db, c.tableName),
    history: messages,
    messages: new DynamoOutboundMessages(c.db, c.tableName),
    plans: new S3OutboundPlanStore(c.s3, c.bucket),
    queue: new SqsOutboundQueue(c.sqs, c.outboundQueueUrl),
    suppression: new DynamoSuppressionList(c.db, c.tableName),
    attachments: new S3AttachmentStager(c.s3, c.bucket, new S3RawMailStore(c.s3, c.bucket), ids),
    clock,
    ids,
  };
}
