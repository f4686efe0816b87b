import type { Context } from 'aws-lambda';
import { runPrivacyJob } from '../core/governance/run-privacy-job.ts';
import { type HandlerOptions, tracedClients } from './clients.ts';
import { createObservability } from './observability.ts';
import { createPrivacyRunDeps } from './privacy-deps.ts';
import type { PrivacyEnv } from './privacy-env.ts';
import { enqueuePrivacyJob, privacyJobIds } from './privacy-queue.ts';

export type PrivacyHandler = (event: unknown, context: Context) => Promise<void>;

/** Time kept back from the timeout: the step in hand finishes, the job is saved and its next step queued. */
const RESERVE_MS = 90_000;
/** The least a step runs, however little time the invocation has left. */
const MIN_STEP_MS = 10_000;

/**
 * The privacy function: one job step per queue message, as long as the invocation allows (a
 * step saves the job after each page it works); a job with more to do queues its next step, so
 * an erasure of a large table runs across invocations from where it stopped. An error leaves the
 * message to the queue, which delivers it again (the job goes on from its last save), then
 * dead-letters it. Logs name the job, its phase and counts, never the address.
 */
export function createPrivacyHandler(env: PrivacyEnv, options: HandlerOptions = {}): PrivacyHandler {
  const { logger, tracer } = createObservability({
    serviceName: env.POWERTOOLS_SERVICE_NAME,
    namespace: env.POWERTOOLS_METRICS_NAMESPACE,
    ...options.observability,
  });
  const clients = options.clients ?? tracedClients(tracer);
  const deps = createPrivacyRunDeps({
    db: clients.db,
    s3: clients.s3,
    tableName: env.TABLE_NAME,
    auditTableName: env.AUDIT_TABLE_NAME,
    bucket: env.MAIL_BUCKET,
  });
  return async (event, context) => {
    logger.addContext(context);
    for (const id of privacyJobIds(event)) {
      const budget = Math.max(MIN_STEP_MS, context.getRemainingTimeInMillis() - RESERVE_MS);
      const job = await runPrivacyJob(deps, id, budget);
      logger.info('privacy job step', {
        jobId: job.id,
        kind: job.kind,
        status: job.status,
        phase: job.phase,
        scannedItems: job.scannedItems,
        counts: job.counts,
      });
      // Only a run that worked and let go of the job queues its next step: a job another run holds
      // (its lease) is that run's to go on with, and a second message would only spin.
      if (job.status === 'running' && job.leaseUntil === null) await enqueuePrivacyJob(clients.sqs, env.PRIVACY_QUEUE_URL, job.id);
    }
  };
}
