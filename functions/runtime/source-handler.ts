import type { Context } from 'aws-lambda';
import { DynamoChannelDirectory } from '../adapters/dynamo-channel-directory.ts';
import { EncryptionSdkSecretCipher, kmsKeyring } from '../adapters/outbound/encryption-sdk-secret-cipher.ts';
import type { ChannelSettings } from '../core/model/channel.ts';
import { isMailboxSource } from '../core/model/mail-source.ts';
import type { SourceStateStore } from '../core/ports/source-state.ts';
import { type PollReport, type PollSourceDeps, pollSource } from '../core/sources/poll-source.ts';
import { type HandlerOptions, tracedClients } from './clients.ts';
import { inboundAdapters } from './inbound-deps.ts';
import { lazyCipher } from './lazy.ts';
import { createObservability, type MetricsSink } from './observability.ts';
import { answerGraphWebhook, graphNotificationUrl, type WebhookAnswer, type WebhookEvent } from './graph-webhook.ts';
import { importRunner } from './import-runner.ts';
import { sourceAdapters } from './source-deps.ts';
import { enqueueImport, enqueuePoll, sourceQueueMessages } from './source-queue.ts';
import type { SourceEnv } from './source-env.ts';

export type SourceHandler = (event: unknown, context: Context) => Promise<WebhookAnswer | undefined>;

/** Time kept back from the function's timeout for saving the cursor and closing the connection. */
const RESERVE_MS = 20_000;

/**
 * The mailbox function. A schedule (every minute) invokes it to dispatch: each channel whose
 * mailbox is due (its `pollSeconds` passed since the last poll) gets one message on the poll
 * queue. The queue invokes it to poll, one mailbox per message; a FIFO group per channel keeps
 * polls of one mailbox apart, and the event source's maximum concurrency bounds how many
 * mailboxes are open at once (the providers' connection limits). A poll that leaves mail behind
 * queues the next one at once.
 */
export function createSourceHandler(env: SourceEnv, options: HandlerOptions = {}): SourceHandler {
  const { logger, metrics, tracer } = createObservability({
    serviceName: env.POWERTOOLS_SERVICE_NAME,
    namespace: env.POWERTOOLS_METRICS_NAMESPACE,
    ...options.observability,
  });
  const clients = options.clients ?? tracedClients(tracer);
  const receive = inboundAdapters(clients, env);
  const cipher = lazyCipher(async () => new EncryptionSdkSecretCipher(kmsKeyring({ keyArn: env.CREDENTIALS_KEY_ARN })));
  const deps = {
    ...sourceAdapters(clients, receive, {
      tableName: env.TABLE_NAME,
      bucket: env.MAIL_BUCKET,
      cipher,
      allow: { loopback: false, cidrs: env.ALLOWED_PRIVATE_CIDRS },
    }),
    notificationUrl: (channelId: string) => (env.NOTIFICATION_BASE_URL ? graphNotificationUrl(env.NOTIFICATION_BASE_URL, channelId) : null),
  };
  const directory = new DynamoChannelDirectory(clients.db, env.TABLE_NAME, { clock: receive.clock, cacheMs: env.CHANNEL_CACHE_SECONDS * 1000 });
  const webhook = {
    states: deps.states,
    enqueuePoll: (channelId: string) =>
      enqueuePoll(clients.sqs, env.POLL_QUEUE_URL, channelId, `${channelId}-notified-${Math.floor(Date.now() / 10_000)}`, 'notified'),
  };
  const imports = importRunner(clients, receive, { tableName: env.TABLE_NAME, bucket: env.MAIL_BUCKET });
  /** One step of an import job within the time left; the next step is queued while the archive has more. */
  const importStep = async (target: { readonly channelId: string; readonly importId: string }, budgetMs: number): Promise<void> => {
    const channel = (await directory.all()).find((c) => c.id === target.channelId);
    const job = await imports.deps.jobs.get(target.channelId, target.importId);
    if (!channel || !job) return;
    const after = await imports.run(channel, job, budgetMs);
    logger.info('import step', { channelId: channel.id, importId: job.id, status: after.status, ...after.counts });
    if (after.status === 'running') await enqueueImport(clients.sqs, env.POLL_QUEUE_URL, after);
  };
  return async (event, context) => {
    logger.addContext(context);
    // Graph's change notifications, through the API's one route without authorization.
    if (isHttpEvent(event)) return answerGraphWebhook(webhook, event);
    try {
      const messages = sourceQueueMessages(event);
      if (messages === null) {
        const due = await dueChannels(await directory.all(), deps.states, receive.clock.now());
        const minute = Math.floor(receive.clock.now().getTime() / 60_000);
        for (const channel of due) await enqueuePoll(clients.sqs, env.POLL_QUEUE_URL, channel.id, `${channel.id}-${minute}`, 'schedule');
        logger.info('mailbox polls dispatched', { channels: due.map((c) => c.id) });
        return undefined;
      }
      for (const message of messages) {
        const budgetMs = Math.max(5_000, context.getRemainingTimeInMillis() - RESERVE_MS);
        if ('import' in message) {
          await importStep(message.import, budgetMs);
          continue;
        }
        const channel = (await directory.all()).find((c) => c.id === message.channelId);
        if (!channel || !isMailboxSource(channel.source)) continue;
        // A scheduled poll queued behind a long one finds the mailbox polled already: nothing to do.
        if (message.reason === 'schedule' && (await dueChannels([channel], deps.states, receive.clock.now())).length === 0) continue;
        const report = await pollSource(deps, channel, { limit: env.POLL_LIMIT, budgetMs });
        recordPoll(metrics, report);
        logger.info('mailbox polled', {
          channelId: channel.id,
          status: report.status,
          fetched: report.items.length,
          more: report.more,
          health: report.health.status,
        });
        if (report.more) await enqueuePoll(clients.sqs, env.POLL_QUEUE_URL, channel.id, `${channel.id}-more-${receive.clock.now().getTime()}`, 'more');
      }
      return undefined;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

/** Channels reading a mailbox whose poll interval has passed (or that were never polled). */
export async function dueChannels(channels: readonly ChannelSettings[], states: SourceStateStore, now: Date): Promise<ChannelSettings[]> {
  const due: ChannelSettings[] = [];
  for (const channel of channels) {
    if (!isMailboxSource(channel.source)) continue;
    const state = await states.get(channel.id);
    const last = state?.lastPollAt ? Date.parse(state.lastPollAt) : 0;
    // A few seconds' slack, so a one-minute schedule polls a 60 s source every minute.
    if (now.getTime() - last >= channel.source.pollSeconds * 1000 - 5_000) due.push(channel);
  }
  return due;
}

function isHttpEvent(event: unknown): event is WebhookEvent {
  return typeof (event as WebhookEvent | null)?.requestContext?.http === 'object';
}

/** Polls, messages fetched and failing sources, for the dashboard and the alarm on failing sources. */
export function recordPoll(metrics: MetricsSink, report: PollReport): void {
  metrics.addMetric('SourcePolls', 'Count', 1);
  metrics.addMetric('SourceMessagesFetched', 'Count', report.items.length);
  metrics.addMetric('SourceFailing', 'Count', report.health.status === 'failing' ? 1 : 0);
  const failed = report.items.filter((i) => i.outcome === 'failed').length;
  if (failed > 0) metrics.addMetric('SourceMessagesFailed', 'Count', failed);
}

export type { PollSourceDeps };
