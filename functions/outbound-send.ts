import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSBatchResponse, SQSEvent, SQSRecord, Context } from 'aws-lambda';
import { OutboundJobSchema } from './core/model/outbound-job.ts';
import { retryDecision } from './core/outbound/retry-policy.ts';
import { sendOutbound } from './core/outbound/send-outbound.ts';
import { parseOrThrow } from './core/validation.ts';
import { readEnv } from './runtime/env.ts';
import { type OutboundDeps, type OutboundDepsOptions, createOutboundDeps } from './runtime/outbound-deps.ts';
import { OutboundEnvSchema } from './runtime/outbound-env.ts';
import { type Observability, createObservability, recordOutboundOutcome } from './runtime/observability.ts';

/**
 * The outbound function: SQS-triggered (the outbound FIFO queue), one job per record, with
 * Powertools batch processing so one failed job never redelivers the others. A transient failure
 * backs its job off by the retry policy (the queue's visibility timeout) and reports it failed.
 */
export function outboundHandler(deps: OutboundDeps, { logger, metrics }: Observability) {
  const processor = new BatchProcessor(EventType.SQS);
  const sendOne = async (record: SQSRecord): Promise<void> => {
    const job = parseOrThrow(OutboundJobSchema, JSON.parse(record.body), 'outbound job');
    logger.appendKeys({ messageId: job.messageId, conversationId: job.conversationId, channelId: job.channelId });
    try {
      const outcome = await sendOutbound(deps.send, job);
      recordOutboundOutcome(metrics, outcome);
      logger.info('outbound processed', { ...outcome });
    } catch (error) {
      const decision = retryDecision(error, Number(record.attributes.ApproximateReceiveCount || '1'), Math.random);
      logger.warn('outbound failed; retrying', { reason: decision.reason });
      if (decision.retry) await deps.queue.delay(record.receiptHandle, decision.delayMs / 1000).catch(() => undefined);
      throw error;
    } finally {
      logger.removeKeys(['messageId', 'conversationId', 'channelId']);
    }
  };
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    logger.addContext(context);
    try {
      return await processPartialResponse(event, sendOne, processor, { context });
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let built: Promise<Handler> | undefined;

/** Builds the handler from the environment once per container. */
export function createHandler(options: OutboundDepsOptions = {}): Promise<Handler> {
  const env = readEnv(OutboundEnvSchema);
  const observability = createObservability({ serviceName: env.POWERTOOLS_SERVICE_NAME, namespace: env.POWERTOOLS_METRICS_NAMESPACE });
  return createOutboundDeps(env, observability.tracer, options).then((deps) => outboundHandler(deps, observability));
}

// Composition root: environment, observability and clients once per container.
export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  built ??= createHandler();
  return (await built)(event, context);
}
