import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { SystemClock } from '../adapters/system-clock.ts';
import { parseSesFeedback } from '../core/outbound/ses-event.ts';
import { processFeedback } from '../core/outbound/process-feedback.ts';
import { type AwsClients, createDocumentClient, type HandlerOptions } from './clients.ts';
import type { FeedbackEnv } from './env.ts';
import { feedbackAdapters } from './feedback-deps.ts';
import { createObservability, recordFeedbackOutcome } from './observability.ts';

export type FeedbackHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * The feedback function, its observability and adapters built once per container. It is
 * SQS-triggered (`ReportBatchItemFailures`), one SES event record from the SNS topic per message
 * (see `core/outbound/ses-event.ts`): a record that throws (a retryable error, a body that is no
 * SES event) goes back to the queue alone, then to its dead-letter queue; the rest of the batch is done.
 */
export function createFeedbackHandler(env: FeedbackEnv, options: HandlerOptions<Pick<AwsClients, 'db'>> = {}): FeedbackHandler {
  const { logger, metrics, tracer } = createObservability({
    serviceName: env.POWERTOOLS_SERVICE_NAME, namespace: env.POWERTOOLS_METRICS_NAMESPACE, ...options.observability,
  });
  const db = options.clients?.db ?? tracer.captureAWSv3Client(createDocumentClient());
  const { deps, options: feedbackOptions } = feedbackAdapters(db, env.TABLE_NAME, new SystemClock(), env);
  const processor = new BatchProcessor(EventType.SQS);

  const recordHandler = async (record: SQSRecord): Promise<void> => {
    const feedback = parseSesFeedback(record.body);
    if (feedback === null) return; // Send, Open, Click: nothing about delivery
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
