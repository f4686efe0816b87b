import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { SystemClock } from '../adapters/system-clock.ts';
import { readSesFeedback } from '../core/outbound/feedback/ses-event.ts';
import { processFeedback } from '../core/outbound/feedback/process-feedback.ts';
import { type AwsClients, createDocumentClient, type HandlerOptions } from './clients.ts';
import type { FeedbackEnv } from './env.ts';
import { feedbackAdapters } from './feedback-deps.ts';
import { createObservability, recordFeedbackOutcome } from './observability.ts';

export type FeedbackHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * The feedback function, its observability and adapters built once per container. It is
 * SQS-triggered (`ReportBatchItemFailures`), one SES event record from the SNS topic per message
 * (see `core/outbound/feedback/ses-event.ts`): a record that throws (a retryable error, a body that is no
 * SES event) goes back to the queue alone, then to its dead-letter queue; the rest of the batch is done.
 * What is no delivery feedback but no fault either is a log line and the message is deleted:
 * SNS control messages (subscription and unsubscribe confirmations, SES's "Successfully
 * validated SNS topic" notice, a test message), Send/Open/Click/Subscription events, and
 * feedback that names no SES message (there is nothing to apply it to, now or after a retry).
 */
export function createFeedbackHandler(env: FeedbackEnv, options: HandlerOptions<Pick<AwsClients, 'db'>> = {}): FeedbackHandler {
  const { logger, metrics, tracer } = createObservability({
    serviceName: env.POWERTOOLS_SERVICE_NAME,
    namespace: env.POWERTOOLS_METRICS_NAMESPACE,
    ...options.observability,
  });
  const db = options.clients?.db ?? tracer.captureAWSv3Client(createDocumentClient());
  const { deps, options: feedbackOptions } = feedbackAdapters(db, env.TABLE_NAME, new SystemClock(), env);
  const processor = new BatchProcessor(EventType.SQS);

  const recordHandler = async (record: SQSRecord): Promise<void> => {
    const read = readSesFeedback(record.body, { receivedAt: sentAt(record) });
    if (read.kind === 'control') {
      logger.info('feedback control message ignored', { sqsMessageId: record.messageId, reason: read.reason });
      return;
    }
    if (read.kind === 'ignored') return; // Send, Open, Click, Subscription: nothing about delivery
    if (read.kind === 'unaddressed') {
      logger.warn('feedback names no message', {
        sqsMessageId: record.messageId,
        kind: read.feedbackKind,
        recipients: read.updates.length,
        reason: read.reason,
      });
      return;
    }
    const feedback = read.feedback;
    const result = await processFeedback(deps, feedback, feedbackOptions);
    const { messageId, conversationId } = result.record;
    const keys = { feedbackKey: feedback.key, kind: feedback.kind, messageId, conversationId };
    if (result.kind === 'processed') recordFeedbackOutcome(metrics, result.outcome);
    if (result.kind === 'failed') logger.error('feedback failed', { ...keys, error: result.record.error });
    else {
      const { state, suppressed } = result.record;
      logger.info(result.kind === 'duplicate' ? 'feedback duplicate' : 'feedback applied', { ...keys, state, suppressed });
    }
  };

  return async (event, context) => {
    logger.addContext(context);
    try {
      return await processPartialResponse(event, recordHandler, processor, { context });
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

/** When SQS took the message (`SentTimestamp`, epoch milliseconds), as ISO; undefined when it does not say. */
function sentAt(record: SQSRecord): string | undefined {
  const ms = Number(record.attributes?.SentTimestamp);
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : undefined;
}
