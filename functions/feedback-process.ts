import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseSesFeedback } from './core/outbound/ses-event.ts';
import { processFeedback } from './core/outbound/process-feedback.ts';
import { FeedbackEnvSchema, readEnv } from './runtime/env.ts';
import { createFeedbackDeps } from './runtime/feedback-deps.ts';
import { createObservability, recordFeedbackOutcome } from './runtime/observability.ts';

// Composition root: environment, observability and clients once per container.
const env = readEnv(FeedbackEnvSchema);
const { logger, metrics, tracer } = createObservability({ serviceName: env.POWERTOOLS_SERVICE_NAME, namespace: env.POWERTOOLS_METRICS_NAMESPACE });
const { deps, options } = createFeedbackDeps(env, tracer);
const processor = new BatchProcessor(EventType.SQS);

/** One SQS message: an SES event record from the SNS topic (see `core/outbound/ses-event.ts`). */
async function recordHandler(record: SQSRecord): Promise<void> {
  const feedback = parseSesFeedback(record.body);
  if (feedback === null) return; // Send, Open, Click: nothing about delivery
  const result = await processFeedback(deps, feedback, options);
  const keys = { feedbackKey: feedback.key, kind: feedback.kind, messageId: result.record.messageId, conversationId: result.record.conversationId };
  if (result.kind === 'processed') recordFeedbackOutcome(metrics, result.outcome);
  if (result.kind === 'failed') logger.error('feedback failed', { ...keys, error: result.record.error });
  else logger.info(result.kind === 'duplicate' ? 'feedback duplicate' : 'feedback applied', { ...keys, state: result.record.state, suppressed: result.record.suppressed });
}

/**
 * SQS-triggered (`ReportBatchItemFailures`): a record that throws (a retryable error, a body that
 * is no SES event) goes back to the queue alone, then to its dead-letter queue; the rest of the
 * batch is done.
 */
export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  logger.addContext(context);
  try {
    return await processPartialResponse(event, recordHandler, processor, { context });
  } finally {
    metrics.publishStoredMetrics();
  }
}
