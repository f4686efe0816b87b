import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ImportJob } from '../core/model/import-job.ts';

/**
 * What goes on the mailbox function's FIFO queue: a poll of a channel's mailbox, or a step of an
 * import job. Both are grouped by channel, so one channel's mailbox and imports are worked on one
 * at a time.
 */
export type SourceQueueMessage =
  /** `schedule`: the dispatcher's (skipped when the mailbox was polled since); `more`: the last poll left mail; `notified`: Graph said mail arrived. */
  { readonly channelId: string; readonly reason: PollReason } | { readonly import: { readonly channelId: string; readonly importId: string } };

export type PollReason = 'schedule' | 'more' | 'notified';

export async function enqueuePoll(sqs: SQSClient, queueUrl: string, channelId: string, deduplicationId: string, reason: PollReason): Promise<void> {
  await send(sqs, queueUrl, { channelId, reason }, channelId, deduplicationId);
}

/** Queues an import step; `step` tells the steps of one job apart (the queue drops a repeated deduplication id). */
export async function enqueueImport(sqs: SQSClient, queueUrl: string, job: Pick<ImportJob, 'channelId' | 'id' | 'version'>): Promise<void> {
  await send(sqs, queueUrl, { import: { channelId: job.channelId, importId: job.id } }, job.channelId, `import-${job.id}-${job.version}`);
}

async function send(sqs: SQSClient, queueUrl: string, body: SourceQueueMessage, group: string, deduplicationId: string): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify(body),
      MessageGroupId: group,
      MessageDeduplicationId: deduplicationId.slice(0, 128),
    }),
  );
}

/** The messages of an SQS event; null for anything else (the schedule). */
export function sourceQueueMessages(event: unknown): SourceQueueMessage[] | null {
  const records = (event as { Records?: unknown })?.Records;
  if (!Array.isArray(records)) return null;
  return records.flatMap((r): SourceQueueMessage[] => {
    try {
      const body = JSON.parse(String((r as { body?: unknown }).body)) as Record<string, unknown>;
      if (typeof body.channelId === 'string') {
        const reason: PollReason = body.reason === 'more' || body.reason === 'notified' ? body.reason : 'schedule';
        return [{ channelId: body.channelId, reason }];
      }
      const job = body.import as Record<string, unknown> | undefined;
      if (job && typeof job.channelId === 'string' && typeof job.importId === 'string')
        return [{ import: { channelId: job.channelId, importId: job.importId } }];
      return [];
    } catch {
      return [];
    }
  });
}
