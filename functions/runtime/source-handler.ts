import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
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
import { sourceAdapters } from './source-deps.ts';
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
  const { logger, metrics, tracer } = createObservability({ serviceName: env.POWERTOOLS_SERVICE_NAME, namespace: env.POWERTOOLS_METRICS_NAMESPACE, ...options.observability });
  const clients = options.clients ?? tracedClients(tracer);
  const receive = inboundAdapters(clients, env);
  const cipher = lazyCipher(async () => new EncryptionSdkSecretCipher(kmsKeyring({ keyArn: env.CREDENTIALS_KEY_ARN })));
  const deps = {
    ...sourceAdapters(clients, receive, { tableName: env.TABLE_NAME, bucket: env.MAIL_BUCKET, cipher, allow: { loopback: false, cidrs: env.ALLOWED_PRIVATE_CIDRS } }),
    notificationUrl: (channelId: string) => (env.NOTIFICATION_BASE_URL ? graphNotificationUrl(env.NOTIFICATION_BASE_URL, channelId) : null),
  };
  const directory = new DynamoChannelDirectory(clients.db, env.TABLE_NAME, { clock: receive.clock, cacheMs: env.CHANNEL_CACHE_SECONDS * 1000 });
  const webhook = { states: deps.states, enqueuePoll: (channelId: string) => enqueuePoll(clients.sqs, env.POLL_QUEUE_URL, channelId, `${channelId}-notified-${Math.floor(Date.now() / 10_000)}`) };
  return async (event, context) => {
    logger.addContext(context);
    // Graph's change notifications, through the API's one route without authorization.
    if (isHttpEvent(event)) return answerGraphWebhook(webhook, event);
    try {
      const records = sqsRecords(event);
      if (records === null) {
        const due = await dueChannels(await directory.all(), deps.states, receive.clock.now());
        for (const channel of due) await enqueuePoll(clients.sqs, env.POLL_QUEUE_URL, channel.id, `${channel.id}-${Math.floor(receive.clock.now().getTime() / 60_000)}`);
        logger.info('mailbox polls dispatched', { channels: due.map((c) => c.id) });
        return;
      }
      for (const channelId of records) {
        const channel = (await directory.all()).find((c) => c.id === channelId);
        if (!channel || !isMailboxSource(channel.source)) continue;
        const budgetMs = Math.max(5_000, context.getRemainingTimeInMillis() - RESERVE_MS);
        const report = await pollSource(deps, channel, { limit: env.POLL_LIMIT, budgetMs });
        recordPoll(metrics, report);
        logger.info('mailbox polled', { channelId, status: report.status, fetched: report.items.length, more: report.more, health: report.health.status });
        if (report.more) await enqueuePoll(clients.sqs, env.POLL_QUEUE_URL, channelId, `${channelId}-more-${receive.clock.now().getTime()}`);
      }
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

async function enqueuePoll(sqs: SQSClient, queueUrl: string, channelId: string, deduplicationId: string): Promise<void> {
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ channelId }), MessageGroupId: channelId, MessageDeduplicationId: deduplicationId }));
}

function isHttpEvent(event: unknown): event is WebhookEvent {
  return typeof (event as WebhookEvent | null)?.requestContext?.http === 'object';
}

/** The channel ids of an SQS event; null for anything else (the schedule). */
function sqsRecords(event: unknown): string[] | null {
  const records = (event as { Records?: unknown })?.Records;
  if (!Array.isArray(records)) return null;
  return records.flatMap((r) => {
    try {
      const body = JSON.parse(String((r as { body?: unknown }).body)) as { channelId?: unknown };
      return typeof body.channelId === 'string' ? [body.channelId] : [];
    } catch {
      return [];
    }
  });
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
