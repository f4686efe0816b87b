import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { DynamoInboundRecordsLookup } from '../adapters/dynamo-inbound-records-lookup.ts';
import { S3RawMailListing } from '../adapters/s3-raw-mail-listing.ts';
import { AppError } from '../core/errors.ts';
import { receiveMail } from '../core/inbound/receive-mail.ts';
import { reconcileRawMail, type ReconcileReport } from '../core/inbound/reconcile.ts';
import { type HandlerOptions, tracedClients } from './clients.ts';
import { inboundAdapters } from './inbound-deps.ts';
import { createObservability, type MetricsSink } from './observability.ts';
import type { ReconcileEnv } from './reconcile-env.ts';
import { RAW_MAIL_PREFIX } from './ses-event.ts';

export type ReconcileHandler = (event: unknown, context: Context) => Promise<ReconcileReport>;

/** Time kept back from the timeout: a recovery started just before the deadline runs the inbound path once (its timeout is a minute). */
const RESERVE_MS = 75_000;

/**
 * The schedule's event, or a manual invocation asking for a wider window once (after an outage
 * longer than the window: `{"windowMinutes": 1440}`). Other fields (the schedule's) are ignored.
 */
const ReconcileEventSchema = z.looseObject({
  windowMinutes: z
    .number()
    .int()
    .min(1)
    .max(60 * 24 * 400)
    .optional(),
});

/**
 * The reconciliation function: compares the raw mail of the window with the processing records
 * and recovers each mail whose SES invocation never ran (`reconcileRawMail`). Metrics per run:
 * `ReconciledMails` (run through the inbound path now), `LostMails` (no channel recovered: listed
 * as failed), `CheckedMails`, and `ReconciliationIncomplete` (1 when a bound stopped the run short
 * of its window). A mail whose recovery failed fails the run (after the others), for the errors alarm.
 */
export function createReconcileHandler(env: ReconcileEnv, options: HandlerOptions = {}): ReconcileHandler {
  const { logger, metrics, tracer } = createObservability({
    serviceName: env.POWERTOOLS_SERVICE_NAME,
    namespace: env.POWERTOOLS_METRICS_NAMESPACE,
    ...options.observability,
  });
  const clients = options.clients ?? tracedClients(tracer);
  const inbound = inboundAdapters(clients, env);
  const deps = {
    listing: new S3RawMailListing(clients.s3, env.MAIL_BUCKET, RAW_MAIL_PREFIX),
    records: new DynamoInboundRecordsLookup(clients.db, env.TABLE_NAME),
    rawMail: inbound.rawMail,
    channels: inbound.channels,
    failed: inbound.failed,
    clock: inbound.clock,
    receive: (mail: Parameters<typeof receiveMail>[1]) => receiveMail(inbound, mail),
  };
  return async (event, context) => {
    logger.addContext(context);
    const { windowMinutes } = ReconcileEventSchema.parse(event ?? {});
    const deadline = new Date(deps.clock.now().getTime() + Math.max(0, context.getRemainingTimeInMillis() - RESERVE_MS));
    try {
      const report = await reconcileRawMail(deps, {
        rawKeyPrefix: RAW_MAIL_PREFIX,
        windowMs: (windowMinutes ?? env.RECONCILE_WINDOW_MINUTES) * 60_000,
        graceMs: env.RECONCILE_GRACE_MINUTES * 60_000,
        maxChecks: env.RECONCILE_MAX_CHECKS,
        maxRecoveries: env.RECONCILE_MAX_RECOVERIES,
        deadline,
      });
      recordReconciliation(metrics, report);
      for (const mail of report.reconciled) {
        logger.warn('lost invocation reconciled', {
          sesMessageId: mail.sesMessageId,
          recipientsFrom: mail.source,
          outcomes: mail.outcomes.map(outcomeSummary),
        });
      }
      for (const mail of report.lost) logger.error('lost invocation listed as failed', { ...mail });
      for (const { sesMessageId, error } of report.errors) logger.error('lost invocation not recovered; the next run tries again', { sesMessageId, error });
      const { listed, due, checked, busy, shortfall } = report;
      logger.info('reconciliation run', {
        listed,
        due,
        checked,
        reconciled: report.reconciled.length,
        lost: report.lost.length,
        busy,
        errors: report.errors.length,
        shortfall,
      });
      if (report.errors.length > 0) {
        throw new AppError('unexpected-error', `${report.errors.length} mails without a record could not be recovered`, {
          retryable: true,
          cause: report.errors[0]?.error,
        });
      }
      return report;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

/** One value of each metric per run, zeros included, so the dashboard shows every run and the alarms see data. */
export function recordReconciliation(metrics: MetricsSink, report: ReconcileReport): void {
  metrics.addMetric('CheckedMails', MetricUnit.Count, report.checked);
  metrics.addMetric('ReconciledMails', MetricUnit.Count, report.reconciled.length);
  metrics.addMetric('LostMails', MetricUnit.Count, report.lost.length);
  metrics.addMetric('ReconciliationIncomplete', MetricUnit.Count, report.shortfall === null ? 0 : 1);
}

function outcomeSummary(outcome: Awaited<ReturnType<typeof receiveMail>>) {
  return outcome.status === 'failed'
    ? { status: outcome.status, channelId: outcome.channelId, error: outcome.error.code }
    : { status: outcome.status, channelId: outcome.channelId, messageId: outcome.messageId, duplicate: outcome.duplicate };
}
