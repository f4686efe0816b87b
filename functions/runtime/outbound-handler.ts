import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { OutboundJobSchema } from '../core/model/outbound-job.ts';
import { retryDecision } from '../core/outbound/retry-policy.ts';
import { sendOutbound } from '../core/outbound/send-outbound.ts';
import { parseOrThrow } from '../core/validation.ts';
import type { HandlerOptions } from './clients.ts';
import { lazy } from './lazy.ts';
import { type OutboundDeps, type OutboundDepsOptions, createOutboundDeps } from './outbound-deps.ts';
import type { OutboundEnv } from './outbound-env.ts';
import { type Observability, createObservability, recordOutboundOutcome } from './observability.ts';

export type OutboundHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** The sandbox's clients and transport wrapper, and its logging. */
export type OutboundHandlerOptions = OutboundDepsOptions & Pick<HandlerOptions, 'observability'>;

/**
 * The outbound function: SQS-triggered (the outbound FIFO queue), one job per record, with
 * Powertools batch processing so one failed job never redelivers the others. A transient failure
 * backs its job off by the retry policy (the queue's visibility timeout) and reports it failed.
 * Observability and adapters are built on the first batch, once per container (the credential
 * keyring may read a key file).
 */
export function createOutboundHandler(env: OutboundEnv, options: OutboundHandlerOptions = {}): OutboundHandler {
  const ready = lazy(async () => {
    const observability = createObservability({
      serviceName: env.POWERTOOLS_SERVICE_NAME, namespace: env.POWERTOOLS_METRICS_NAMESPACE, ...options.observability,
    });
    return sendJobs(await createOutboundDeps(env, observability.tracer, options), observability);
  });
  return async (event, context) => (await ready())(event, context);
}

function sendJobs(deps: OutboundDeps, { logger, metrics }: Observability): OutboundHandler {
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
  return async (event, context) => {
    logger.addContext(context);
    try {
      return await processPartialResponse(event, sendOne, processor, { context });
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
