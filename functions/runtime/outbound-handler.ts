import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { OutboundJobSchema } from '../core/model/outbound-job.ts';
import { retryDecision } from '../core/outbound/send/retry-policy.ts';
import { sendOutbound } from '../core/outbound/send/send-outbound.ts';
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
      serviceName: env.POWERTOOLS_SERVICE_NAME,
      namespace: env.POWERTOOLS_METRICS_NAMESPACE,
      ...options.observability,
    });
    // A refused login marks the channel's credentials failing: a metric with an alarm, and a log line naming the channel.
    const onUnhealthy = (channelId: string, reason: string): void => {
      observability.metrics.addMetric('CredentialsFailing', 'Count', 1);
      observability.logger.warn('channel credentials refused', { channelId, reason });
      options.onUnhealthy?.(channelId, reason);
    };
    return sendJobs(await createOutboundDeps(env, observability.tracer, { ...options, onUnhealthy }), observability);
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
    // A batch of the FIFO queue may hold several jobs of one conversation (its message group), in
    // queue order; processed in parallel the later one could leave first. Each waits for the one
    // before it and is not sent when that one failed (it goes back to the queue, behind it). Jobs
    // of different conversations still go in parallel.
    const groupTails = new Map<string, Promise<void>>();
    const inGroupOrder = (record: SQSRecord): Promise<void> => {
      const group = record.attributes.MessageGroupId;
      if (group === undefined) return sendOne(record);
      const run = (groupTails.get(group) ?? Promise.resolve()).then(() => sendOne(record));
      groupTails.set(group, run);
      return run;
    };
    try {
      return await processPartialResponse(event, inGroupOrder, processor, { context });
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
