import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalAws } from './local-aws.ts';

/*
 * `--data DIR`: dynalite keeps DynamoDB on disk by itself; fauxqs keeps S3 and SQS in memory only,
 * so the sandbox writes their content to DIR when it stops and puts it back when it starts.
 */

interface QueuedMessage {
  readonly body: string;
  readonly groupId: string;
  readonly deduplicationId: string;
}

const objectsDir = (dir: string) => join(dir, 's3');
const queueFile = (dir: string, name: string) => join(dir, 'sqs', `${name}.json`);

/** Writes every object of the bucket and every message waiting on the queues to `dir`. */
export async function saveSnapshot(aws: LocalAws, dir: string): Promise<void> {
  await rm(objectsDir(dir), { recursive: true, force: true });
  await mkdir(objectsDir(dir), { recursive: true });
  let token: string | undefined;
  do {
    const page = await aws.s3.send(new ListObjectsV2Command({ Bucket: aws.bucket, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      if (!object.Key) continue;
      const out = await aws.s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key: object.Key }));
      await writeFile(join(objectsDir(dir), encodeURIComponent(object.Key)), (await out.Body?.transformToByteArray()) ?? new Uint8Array());
    }
    token = page.NextContinuationToken;
  } while (token);

  await mkdir(join(dir, 'sqs'), { recursive: true });
  const queues = { ...prefixed(aws.queueUrls, ''), ...prefixed(aws.deadLetterQueueUrls, 'dlq:') };
  for (const [name, url] of Object.entries(queues)) {
    await writeFile(queueFile(dir, name), JSON.stringify(await takeAll(aws, url)));
  }
}

/** Puts back what `saveSnapshot` wrote; a missing snapshot is an empty one. */
export async function restoreSnapshot(aws: LocalAws, dir: string): Promise<void> {
  const keys = await readdir(objectsDir(dir)).catch(() => [] as string[]);
  for (const file of keys) {
    const body = await readFile(join(objectsDir(dir), file));
    await aws.s3.send(new PutObjectCommand({ Bucket: aws.bucket, Key: decodeURIComponent(file), Body: body }));
  }
  const queues = { ...prefixed(aws.queueUrls, ''), ...prefixed(aws.deadLetterQueueUrls, 'dlq:') };
  for (const [name, url] of Object.entries(queues)) {
    const text = await readFile(queueFile(dir, name), 'utf8').catch(() => '[]');
    for (const m of JSON.parse(text) as QueuedMessage[]) {
      await aws.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: m.body, MessageGroupId: m.groupId, MessageDeduplicationId: m.deduplicationId }));
    }
  }
}

function prefixed(urls: Record<string, string>, prefix: string): Record<string, string> {
  return Object.fromEntries(Object.entries(urls).map(([skill, url]) => [encodeURIComponent(`${prefix}${skill}`), url]));
}

/** Receives every message of a queue, in order, and deletes it (the sandbox is stopping). */
async function takeAll(aws: LocalAws, url: string): Promise<QueuedMessage[]> {
  const out: QueuedMessage[] = [];
  for (;;) {
    const page = await aws.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 60,
        MessageSystemAttributeNames: ['MessageGroupId', 'MessageDeduplicationId'],
      }),
    );
    const messages = page.Messages ?? [];
    if (messages.length === 0) return out;
    for (const m of messages) {
      out.push({
        body: m.Body ?? '',
        groupId: m.Attributes?.MessageGroupId ?? 'default',
        deduplicationId: m.Attributes?.MessageDeduplicationId ?? m.MessageId ?? '',
      });
    }
    await aws.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
  }
}
