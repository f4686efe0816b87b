import type { Context } from 'aws-lambda';
import { receiveMail } from '../core/inbound/receive-mail.ts';
import { type HandlerOptions, tracedClients } from './clients.ts';
import type { InboundEnv } from './env.ts';
import { inboundAdapters } from './inbound-deps.ts';
import { createObservability, recordInboundOutcome } from './observability.ts';
import { RAW_MAIL_PREFIX, inboundMailsOf } from './ses-event.ts';

export type InboundHandler = (event: unknown, context: Context) => Promise<void>;

/**
 * The inbound function, its observability and adapters built once per container. It takes SES's
 * receipt rule Lambda action (`Event` invocation), one mail per record. Mail that cannot be
 * processed ends as a failed record; the handler throws only for errors a retry may fix.
 */
export function createInboundHandler(env: InboundEnv, options: HandlerOptions = {}): InboundHandler {
  const { logger, metrics, tracer } = createObservability({
    serviceName: env.POWERTOOLS_SERVICE_NAME,
    namespace: env.POWERTOOLS_METRICS_NAMESPACE,
    ...options.observability,
  });
  const deps = inboundAdapters(options.clients ?? tracedClients(tracer), env);
  return async (event, context) => {
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
  };
}
