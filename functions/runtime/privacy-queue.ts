import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/**
 * What goes on the privacy queue: a job's id, never its address (queue messages are kept and
 * dead-lettered out of an erasure's reach). Each message is one step of the job; a step that
 * leaves work queues the next one.
 */
export interface PrivacyQueueMessage {
  readonly privacyJob: string;
}

export async function enqueuePrivacyJob(sqs: SQSClient, queueUrl: string, jobId: string): Promise<void> {
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ privacyJob: jobId } satisfies PrivacyQueueMessage) }));
}

/** The job ids of an SQS event's records; records that are no job step are left out. */
export function privacyJobIds(event: unknown): string[] {
  const records = (event as { Records?: unknown })?.Records;
  if (!Array.isArray(records)) return [];
  return records.flatMap((r) => {
    try {
      const body = JSON.parse(String((r as { body?: unknown }).body)) as Partial<PrivacyQueueMessage>;
      return typeof body.privacyJob === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(body.privacyJob) ? [body.privacyJob] : [];
    } catch {
      return [];
    }
  });
}
