import type { Context } from 'aws-lambda';
import { receiveMail } from './core/inbound/receive-mail.ts';
import { InboundEnvSchema, readEnv } from './runtime/env.ts';
import { createInboundDeps } from './runtime/inbound-deps.ts';
import { createObservability, recordInboundOutcome } from './runtime/observability.ts';
import { RAW_MAIL_PREFIX, inboundMailsOf } from './runtime/ses-event.ts';

// Composition root: environment, observability and clients once per container.
const env = readEnv(InboundEnvSchema);
const { logger, metrics, tracer } = createObservability({ serviceName: env.POWERTOOLS_SERVICE_NAME, namespace: env.POWERTOOLS_METRICS_NAMESPACE });
const deps = createInboundDeps(env, tracer);

/**
 * SES receipt rule Lambda action (`Event` invocation), one mail per record. Mail that cannot be
 * processed ends as a failed record; the handler throws only for errors a retry may fix.
 */
export async function handler(event: unknown, context: Context): Promise<void> {
  logger.addContext(context);
  try {
    for (const mail of inboundMailsOf(event, RAW_MAIL_PREFIX)) {
      logger.appendKeys({ sesMessageId: mail.sesMessageId, rawKey: mail.rawKey });
      const outcome = await receiveMail(deps, mail);
      recordInboundOutcome(metrics, outcome, Date.now() - Date.parse(mail.receivedAt));
      logger.info('mail processed', { ...outcome });
    }
  } catch (error) {
    logger.error('mail processing failed; retrying', { error });
    throw error;
  } finally {
    metrics.publishStoredMetrics();
  }
}
