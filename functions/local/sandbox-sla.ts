import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SqsSlaEvents } from '../adapters/sqs-sla-events.ts';
import { checkSla, type SlaCheckReport } from '../core/sla/check-sla.ts';
import { slaCheckAdapters } from '../runtime/sla-handler.ts';

/** How often the sandbox checks the SLA clocks, unless `POSTROOM_SLA_CHECK_SECONDS` says otherwise (AWS: every minute). */
export const SANDBOX_SLA_CHECK_EVERY_MS = 5_000;

/** The local queue where the SNS topic stands: one JSON message per warning or breach. */
export const SLA_EVENTS_QUEUE = 'sla-events';

/** The check interval from `POSTROOM_SLA_CHECK_SECONDS` (1 to 3600), or the default. */
export function slaCheckEveryMs(env: Record<string, string | undefined> = process.env): number {
  const seconds = Number(env.POSTROOM_SLA_CHECK_SECONDS);
  return Number.isInteger(seconds) && seconds >= 1 && seconds <= 3600 ? seconds * 1000 : SANDBOX_SLA_CHECK_EVERY_MS;
}

export interface SandboxSla {
  readonly queueUrl: string;
  /** Checks now (or as if it were `now`), after any check under way. */
  check(now?: Date): Promise<SlaCheckReport>;
  stop(): Promise<void>;
}

/**
 * The sandbox's SLA check: the same `checkSla` the scheduled function runs, every `everyMs`, with
 * its events on a local queue (`slaEventsQueue.url` in `.postroom/sandbox.json`) where AWS has an
 * SNS topic. Checks never overlap.
 */
export async function startSandboxSla(options: {
  readonly db: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly tableName: string;
  readonly everyMs?: number;
  readonly onError: (error: Error) => void;
}): Promise<SandboxSla> {
  const created = await options.sqs.send(new CreateQueueCommand({ QueueName: SLA_EVENTS_QUEUE }));
  const queueUrl = created.QueueUrl;
  if (!queueUrl) throw new Error(`local SQS returned no URL for ${SLA_EVENTS_QUEUE}`);
  const deps = slaCheckAdapters(options.db, options.tableName, new SqsSlaEvents(options.sqs, queueUrl));
  let running: Promise<unknown> = Promise.resolve();
  const check = (now?: Date): Promise<SlaCheckReport> => {
    const at = now ? { ...deps, clock: { now: () => now } } : deps;
    const next = running.catch(() => undefined).then(() => checkSla(at));
    running = next;
    return next;
  };
  const timer = setInterval(() => {
    check().catch((error: unknown) => options.onError(error instanceof Error ? error : new Error(String(error))));
  }, options.everyMs ?? slaCheckEveryMs());
  timer.unref();
  return {
    queueUrl,
    check,
    async stop() {
      clearInterval(timer);
      await running.catch(() => undefined);
    },
  };
}
