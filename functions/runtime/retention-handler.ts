import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { DynamoRetentionRecords, expiredRecordOf, imageItem } from '../adapters/dynamo-retention.ts';
import { S3RetentionObjects } from '../adapters/s3-retention.ts';
import { expireRecord, type ExpireRecordDeps, type ExpiryOutcome } from '../core/retention/expire-record.ts';
import { type AwsClients, type HandlerOptions, tracedClients } from './clients.ts';
import { createObservability, type MetricsSink } from './observability.ts';
import type { RetentionExpiryEnv } from './retention-env.ts';

export type RetentionHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse>;

/** The adapters of `expireRecord` on given clients: the function's, and the sandbox sweep's. */
export function retentionAdapters(clients: Pick<AwsClients, 'db' | 's3'>, names: { readonly tableName: string; readonly bucket: string }): ExpireRecordDeps {
  return { records: new DynamoRetentionRecords(clients.db, names.tableName), objects: new S3RetentionObjects(clients.s3, names.bucket) };
}

/**
 * The expiry function behind the table's stream: its event source passes only what DynamoDB's
 * TTL removed (a filter on `REMOVE` by the service principal, and on the keys of items that leave
 * something behind: `EXPIRY_TRIGGER_PREFIXES`), each record's old image is the expired item, and
 * `expireRecord` deletes what it leaves behind. A record that throws goes back
 * alone (`ReportBatchItemFailures`, retried from it, then to the dead-letter queue); each step is
 * idempotent, so a retry finishes what the first attempt began.
 */
export function createRetentionHandler(env: RetentionExpiryEnv, options: HandlerOptions<Pick<AwsClients, 'db' | 's3'>> = {}): RetentionHandler {
  const { logger, metrics, tracer } = createObservability({
    serviceName: env.POWERTOOLS_SERVICE_NAME,
    namespace: env.POWERTOOLS_METRICS_NAMESPACE,
    ...options.observability,
  });
  const deps = retentionAdapters(options.clients ?? tracedClients(tracer), { tableName: env.TABLE_NAME, bucket: env.MAIL_BUCKET });
  const processor = new BatchProcessor(EventType.DynamoDBStreams);

  const recordHandler = async (record: DynamoDBRecord): Promise<void> => {
    const image = record.dynamodb?.OldImage;
    if (record.eventName !== 'REMOVE' || !image) return;
    const outcome = await expireRecord(deps, expiredRecordOf(imageItem(image)));
    recordExpiry(metrics, outcome);
    // Ids and counts only: never an address or a subject.
    if (outcome.kind !== 'other')
      logger.info('expired', { kind: outcome.kind, conversationId: outcome.conversation?.id, messages: outcome.messages, objects: outcome.objects });
  };

  return async (event, context) => {
    logger.addContext(context);
    try {
      // One at a time, in stream order: a conversation's deletes do not race a retry of themselves.
      return await processPartialResponse(event, recordHandler, processor, { context, processInParallel: false });
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

/** `ExpiredConversations`, `ExpiredMessages`, `ExpiredObjects`: what retention deleted. */
export function recordExpiry(metrics: MetricsSink, outcome: ExpiryOutcome): void {
  if (outcome.kind === 'conversation') metrics.addMetric('ExpiredConversations', 'Count', 1);
  if (outcome.messages > 0) metrics.addMetric('ExpiredMessages', 'Count', outcome.messages);
  if (outcome.objects > 0) metrics.addMetric('ExpiredObjects', 'Count', outcome.objects);
}
