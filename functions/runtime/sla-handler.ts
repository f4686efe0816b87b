import { SNSClient } from '@aws-sdk/client-sns';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { DynamoSlaSchedule } from '../adapters/dynamo-sla-schedule.ts';
import { SnsSlaEvents } from '../adapters/sns-sla-events.ts';
import { SystemClock } from '../adapters/system-clock.ts';
import { checkSla, type CheckSlaDeps, type SlaCheckReport } from '../core/sla/check-sla.ts';
import type { SlaEventPublisher } from '../core/sla/ports.ts';
import { type AwsClients, type HandlerOptions, tracedClients } from './clients.ts';
import { createObservability, type MetricsSink } from './observability.ts';
import type { SlaCheckEnv } from './sla-env.ts';

export type SlaCheckHandler = (event: unknown, context: Context) => Promise<SlaCheckReport>;

/** The check's adapters on a table and a publisher: the function's (SNS), and the sandbox's (a local queue). */
export function slaCheckAdapters(db: DynamoDBDocumentClient, tableName: string, events: SlaEventPublisher): CheckSlaDeps {
  return { schedule: new DynamoSlaSchedule(db, tableName), events, clock: new SystemClock() };
}

/** `SlaWarnings`, `SlaBreaches` (dimension-less counts, alarmable), and `SlaSkipped` (another check was first). */
export function recordSlaCheck(metrics: MetricsSink, report: SlaCheckReport): void {
  metrics.addMetric('SlaWarnings', 'Count', report.published.filter((e) => e.type === 'sla.warning').length);
  metrics.addMetric('SlaBreaches', 'Count', report.published.filter((e) => e.type === 'sla.breach').length);
  if (report.skipped > 0) metrics.addMetric('SlaSkipped', 'Count', report.skipped);
}

/**
 * The scheduled SLA check (every minute): publishes each warning and breach that fell due to the
 * SNS topic, once (`checkSla`), and counts them as metrics.
 */
export function createSlaCheckHandler(env: SlaCheckEnv, options: HandlerOptions<Pick<AwsClients, 'db'>> & { readonly sns?: SNSClient } = {}): SlaCheckHandler {
  const { logger, metrics, tracer } = createObservability({
    serviceName: env.POWERTOOLS_SERVICE_NAME,
    namespace: env.POWERTOOLS_METRICS_NAMESPACE,
    ...options.observability,
  });
  const { db } = options.clients ?? tracedClients(tracer);
  const sns = options.sns ?? tracer.captureAWSv3Client(new SNSClient({}));
  const deps = slaCheckAdapters(db, env.TABLE_NAME, new SnsSlaEvents(sns, env.SLA_TOPIC_ARN));
  return async (_event, context) => {
    logger.addContext(context);
    try {
      const report = await checkSla(deps);
      recordSlaCheck(metrics, report);
      // Ids only: a conversation's events, never an address or a subject.
      for (const event of report.published)
        logger.info('sla event', { type: event.type, target: event.target, conversationId: event.conversationId, channelId: event.channelId });
      return report;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
