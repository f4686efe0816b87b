import { recordOf } from '../../../functions/local/outbound-poller.ts';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { AppError } from '../../../functions/core/errors.ts';
import type { ReceiptVerdicts } from '../../../functions/core/model/classification.ts';
import { ALL_PASS, sesReceiptEvent } from '../../../functions/local/ses-receipt.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localHandlerOptions, type LocalAws } from '../../../functions/local/local-aws.ts';
import { startSesLocal } from '../../../functions/local/sandbox-outbound.ts';
import { FeedbackEnvSchema, InboundEnvSchema, readEnv } from '../../../functions/runtime/env.ts';
import { type AwsClients, createDocumentClient, createS3Client, createSqsClient } from '../../../functions/runtime/clients.ts';
import { createFeedbackHandler, type FeedbackHandler } from '../../../functions/runtime/feedback-handler.ts';
import { createInboundHandler, type InboundHandler } from '../../../functions/runtime/inbound-handler.ts';
import { OutboundEnvSchema } from '../../../functions/runtime/outbound-env.ts';
import { createOutboundHandler, type OutboundHandler } from '../../../functions/runtime/outbound-handler.ts';
import { RAW_MAIL_PREFIX, type SesReceiptEvent } from '../../../functions/runtime/ses-event.ts';

/** A seeded pseudo-random generator (mulberry32): the same seed gives the same shuffles, run after run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A shuffled copy (Fisher–Yates). */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Runs `work` over `items` with at most `width` in flight, in list order. */
export async function inParallel<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function lambdaContext(functionName: string, requestId = 'req'): Context {
  return { functionName, awsRequestId: requestId } as Context;
}

/** Every item of the table (a consistent scan, page by page). */
export async function scanTable(aws: Pick<LocalAws, 'db' | 'tableName'>): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await aws.db.send(new ScanCommand({ TableName: aws.tableName, ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/** SDK clients of their own on the local servers, as each Lambda container builds its own; `destroy` closes them. */
export function containerClients(aws: LocalAws): AwsClients & { destroy(): void } {
  const common = () => ({ region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS } });
  const clients = {
    db: createDocumentClient({ ...common(), endpoint: aws.endpoints.dynamodb }),
    s3: createS3Client({ ...common(), endpoint: aws.endpoints.s3 }),
    sqs: createSqsClient({ ...common(), endpoint: aws.endpoints.sqs }),
  };
  return {
    ...clients,
    destroy() {
      for (const client of Object.values(clients)) client.destroy();
    },
  };
}

/**
 * The inbound function as Lambda builds it (`functions/inbound-process.ts`), one container, on the
 * local servers; on `clients` of its own when given (the container's), else on the servers' shared ones.
 */
export function inboundHandler(aws: LocalAws, env: Record<string, string> = {}, clients?: AwsClients): InboundHandler {
  const options = localHandlerOptions(aws, 'SILENT');
  return createInboundHandler(
    readEnv(InboundEnvSchema, {
      TABLE_NAME: aws.tableName,
      MAIL_BUCKET: aws.bucket,
      SKILL_QUEUE_URLS: JSON.stringify(aws.queueUrls),
      OUTBOUND_QUEUE_URL: aws.outbound.queueUrl,
      ...env,
    }),
    { ...options, clients: clients ?? options.clients },
  );
}

/** The feedback function as Lambda builds it (`functions/feedback-process.ts`). */
export function feedbackHandler(aws: LocalAws): FeedbackHandler {
  return createFeedbackHandler(readEnv(FeedbackEnvSchema, { TABLE_NAME: aws.tableName }), localHandlerOptions(aws, 'SILENT'));
}

/** One mail SES received: the receipt event of its Lambda action, and the raw copy its S3 action stored. */
export interface InboundEvent {
  readonly sesMessageId: string;
  readonly recipients: readonly string[];
  readonly raw: string;
  readonly verdicts?: ReceiptVerdicts;
  readonly envelopeSender?: string;
  readonly receivedAt?: Date;
}

/** When SES received each mail that names no time: the first time its event was made, as every delivery of one event carries the same. */
const received = new WeakMap<InboundEvent, Date>();

/** The receipt event SES hands the inbound function for a mail; the same event however often it is delivered. */
export function receiptEvent(mail: InboundEvent): SesReceiptEvent {
  const receivedAt = mail.receivedAt ?? received.get(mail) ?? new Date();
  received.set(mail, receivedAt);
  return sesReceiptEvent({
    sesMessageId: mail.sesMessageId,
    mailFrom: mail.envelopeSender ?? 'customer@customer.example',
    recipients: mail.recipients,
    verdicts: mail.verdicts ?? ALL_PASS,
    receivedAt,
  });
}

export async function storeRaw(aws: LocalAws, mail: InboundEvent): Promise<void> {
  await aws.putRaw(`${RAW_MAIL_PREFIX}${mail.sesMessageId}`, mail.raw);
}

/** What delivering a list of events took: invocations that threw (and were delivered again later, as Lambda retries). */
export interface DeliveryReport {
  readonly invocations: number;
  readonly retried: number;
}

/**
 * Invokes the handlers for the events in list order as Lambda's asynchronous invocation does:
 * one container per handler, all busy at once, and an invocation that throws (the inbound
 * handler throws only what a retry may fix) is invoked again a little later, at the end of the
 * list. Lambda retries a minute or two later, by when a race is long over; these retries come
 * sooner, so an event may need more of them. One still throwing after `maxAttempts` makes the
 * run fail: nothing may be given up.
 */
export async function deliverAsync<E>(
  events: readonly E[],
  handlers: readonly ((event: E) => Promise<unknown>)[],
  options: { readonly maxAttempts?: number; readonly retryDelayMs?: number } = {},
): Promise<DeliveryReport> {
  const maxAttempts = options.maxAttempts ?? 10;
  let invocations = 0;
  let retried = 0;
  const pending: { event: E; attempt: number }[] = events.map((event) => ({ event, attempt: 1 }));
  let inFlight = 0;
  const worker = async (handler: (event: E) => Promise<unknown>): Promise<void> => {
    for (;;) {
      const job = pending.shift();
      if (!job) {
        // A retry may still be put back by an invocation in flight.
        if (inFlight === 0) return;
        await pause(5);
        continue;
      }
      inFlight++;
      invocations++;
      try {
        await handler(job.event);
      } catch (error) {
        const retryable = !(error instanceof AppError) || error.retryable;
        if (!retryable || job.attempt >= maxAttempts) throw error;
        retried++;
        await pause(options.retryDelayMs ?? 20);
        pending.push({ event: job.event, attempt: job.attempt + 1 });
      } finally {
        inFlight--;
      }
    }
  };
  await Promise.all(handlers.map(worker));
  return { invocations, retried };
}

/** aws-ses-v2-local, in this process, where SES stands; `emails()` is what it accepted, in order. */
export interface SesStandIn {
  readonly endpoint: string;
  readonly client: SESv2Client;
  emails(): Promise<SesEmail[]>;
  stop(): Promise<void>;
}

export interface SesEmail {
  readonly messageId: string;
  readonly from: string;
  readonly destination: { readonly to: string[]; readonly cc: string[]; readonly bcc: string[] };
  readonly subject: string;
  readonly at: number;
}

export async function startSes(): Promise<SesStandIn> {
  const server: Server = await startSesLocal({ host: '127.0.0.1', port: 0 });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new SESv2Client({ region: LOCAL_REGION, endpoint, credentials: { ...LOCAL_CREDENTIALS } });
  // The store is the module's own: clear what an earlier server of this process kept.
  await fetch(`${endpoint}/clear-store`, { method: 'POST' });
  return {
    endpoint,
    client,
    async emails() {
      return ((await (await fetch(`${endpoint}/store`)).json()) as { emails: SesEmail[] }).emails;
    },
    async stop() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The outbound function as Lambda builds it (`functions/outbound-send.ts`), sending through the SES stand-in. */
export function outboundHandler(aws: LocalAws, ses: SesStandIn, keyDir: string): OutboundHandler {
  const env = readEnv(OutboundEnvSchema, {
    TABLE_NAME: aws.tableName,
    MAIL_BUCKET: aws.bucket,
    OUTBOUND_QUEUE_URL: aws.outbound.queueUrl,
    CREDENTIALS_KEY_FILE: join(keyDir, 'credentials.key'),
  });
  const local = localHandlerOptions(aws, 'SILENT');
  return createOutboundHandler(env, { ...local, clients: { ...local.clients, ses: ses.client } });
}

/** Receives what a queue holds now, without deleting it (FIFO: the head of each group only). */
export async function receive(aws: LocalAws, queueUrl: string, max = 10): Promise<Message[]> {
  const out = await aws.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: max, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['All'] }),
  );
  return out.Messages ?? [];
}

/** Deletes received messages, as the event source mapping does after a batch succeeded. */
export async function remove(aws: LocalAws, queueUrl: string, messages: readonly Message[]): Promise<void> {
  if (messages.length === 0) return;
  await aws.sqs.send(
    new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })) }),
  );
}

/** An SQS record as Lambda's event source mapping hands a received message to a function (the sandbox's poller's). */
export const sqsRecord = recordOf;

export function sqsEventOf(records: readonly SQSRecord[]): SQSEvent {
  return { Records: [...records] };
}

/** Failed items of a batch response (the handler throws when every record failed). */
export async function failuresOf(run: Promise<SQSBatchResponse>): Promise<string[]> {
  try {
    return (await run).batchItemFailures.map((f) => f.itemIdentifier);
  } catch (error) {
    if (error instanceof Error && error.name === 'FullBatchFailureError') return ['*'];
    throw error;
  }
}

/** The parts of a customer's mail the run varies. */
export interface MailParts {
  readonly messageId: string;
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly body: string;
  readonly cc?: string;
  readonly inReplyTo?: string;
  readonly references?: readonly string[];
  /** `Auto-Submitted: auto-replied`: an out-of-office answer. */
  readonly automatic?: boolean;
  readonly importance?: 'high' | 'low';
  readonly date?: Date;
}

/** A plain-text RFC 5322 mail. */
export function rawMail(parts: MailParts): string {
  const references = parts.references ?? (parts.inReplyTo ? [parts.inReplyTo] : []);
  return [
    `From: ${parts.from}`,
    `To: ${parts.to}`,
    ...(parts.cc ? [`Cc: ${parts.cc}`] : []),
    `Subject: ${parts.subject}`,
    `Message-ID: <${parts.messageId}>`,
    `Date: ${(parts.date ?? new Date('2026-11-22T09:59:50.000Z')).toUTCString()}`,
    ...(parts.inReplyTo ? [`In-Reply-To: <${parts.inReplyTo}>`] : []),
    ...(references.length > 0 ? [`References: ${references.map((r) => `<${r}>`).join(' ')}`] : []),
    ...(parts.automatic ? ['Auto-Submitted: auto-replied'] : []),
    ...(parts.importance ? [`Importance: ${parts.importance}`] : []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    parts.body,
    '',
  ].join('\r\n');
}

/**
 * Hands SQS records to SQS-triggered handlers in batches, several containers at once (`handlers`),
 * as Lambda's event source mapping does: a record the batch response lists as failed (or every
 * record of a batch that threw) comes back in a later batch. A record still failing after
 * `maxAttempts` makes the run fail: the queue would have moved it to its dead-letter queue.
 */
export async function deliverBatches(
  records: readonly SQSRecord[],
  handlers: readonly ((event: SQSEvent) => Promise<SQSBatchResponse>)[],
  options: { readonly batchSize?: number; readonly maxAttempts?: number; readonly retryDelayMs?: number } = {},
): Promise<DeliveryReport> {
  const size = options.batchSize ?? 10;
  const maxAttempts = options.maxAttempts ?? 10;
  const pending: { record: SQSRecord; attempt: number }[] = records.map((record) => ({ record, attempt: 1 }));
  let invocations = 0;
  let retried = 0;
  let inFlight = 0;
  const worker = async (handler: (event: SQSEvent) => Promise<SQSBatchResponse>): Promise<void> => {
    for (;;) {
      const batch = pending.splice(0, size);
      if (batch.length === 0) {
        if (inFlight === 0) return;
        await pause(5);
        continue;
      }
      inFlight++;
      invocations++;
      try {
        const failed = new Set(await failuresOf(handler(sqsEventOf(batch.map((b) => b.record)))));
        const again = batch.filter((b) => failed.has('*') || failed.has(b.record.messageId));
        for (const b of again) {
          if (b.attempt >= maxAttempts) throw new Error(`record ${b.record.messageId} failed ${b.attempt} times`);
          retried++;
        }
        if (again.length > 0) await pause(options.retryDelayMs ?? 20);
        pending.push(...again.map((b) => ({ record: b.record, attempt: b.attempt + 1 })));
      } finally {
        inFlight--;
      }
    }
  };
  await Promise.all(handlers.map(worker));
  return { invocations, retried };
}

/** What an SES event is about: one recipient of one mail sent through SES. */
export interface SentMail {
  readonly sesMessageId: string;
  /** Our Message-ID, bare. */
  readonly messageId: string;
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly sentAt: Date;
}

/**
 * An SES event record (configuration-set event publishing) for one recipient, shaped as SES
 * publishes it: `Delivery`, a `Permanent` bounce, or an `abuse` complaint. `id` makes the
 * bounce's and complaint's feedback ids unique, as SES's are.
 */
export function sesEventRecord(kind: 'delivery' | 'bounce' | 'complaint', sent: SentMail, id: string): string {
  const at = (ms: number) => new Date(sent.sentAt.getTime() + ms).toISOString();
  const mail = {
    timestamp: sent.sentAt.toISOString(),
    source: sent.from,
    sourceArn: 'arn:aws:ses:us-east-1:123456789012:identity/example.com',
    sendingAccountId: '123456789012',
    messageId: sent.sesMessageId,
    destination: [sent.to],
    headersTruncated: false,
    headers: [
      { name: 'From', value: sent.from },
      { name: 'To', value: sent.to },
      { name: 'Subject', value: sent.subject },
      { name: 'Message-ID', value: `<${sent.messageId}>` },
    ],
    commonHeaders: { from: [sent.from], to: [sent.to], messageId: `<${sent.messageId}>`, subject: sent.subject },
    tags: { 'ses:configuration-set': ['postroom'], 'ses:from-domain': ['example.com'] },
  };
  if (kind === 'delivery') {
    return JSON.stringify({
      eventType: 'Delivery',
      mail,
      delivery: {
        timestamp: at(1000),
        processingTimeMillis: 1000,
        recipients: [sent.to],
        smtpResponse: '250 2.6.0 Message received',
        reportingMTA: 'a8-70.smtp-out.amazonses.com',
      },
    });
  }
  if (kind === 'bounce') {
    return JSON.stringify({
      eventType: 'Bounce',
      mail,
      bounce: {
        bounceType: 'Permanent',
        bounceSubType: 'General',
        timestamp: at(2000),
        feedbackId: `${sent.sesMessageId}-bounce-${id}`,
        reportingMTA: 'dsn; mta.customer.example',
        bouncedRecipients: [{ emailAddress: sent.to, action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }],
      },
    });
  }
  return JSON.stringify({
    eventType: 'Complaint',
    mail,
    complaint: {
      feedbackId: `${sent.sesMessageId}-complaint-${id}`,
      complaintSubType: null,
      complainedRecipients: [{ emailAddress: sent.to }],
      timestamp: at(60_000),
      userAgent: 'Mail client',
      complaintFeedbackType: 'abuse',
      arrivalDate: at(59_000),
    },
  });
}

/** An SES event as the feedback queue holds it: wrapped by SNS, one SQS message. */
export function feedbackRecord(sesRecord: string, sqsMessageId: string, queueArn: string): SQSRecord {
  const body = JSON.stringify({
    Type: 'Notification',
    MessageId: `sns-${sqsMessageId}`,
    TopicArn: 'arn:aws:sns:us-east-1:123456789012:postroom-ses-events',
    Message: sesRecord,
    Timestamp: new Date().toISOString(),
    SignatureVersion: '1',
    Signature: 'EXAMPLE',
    SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem',
    UnsubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe',
  });
  return sqsRecord({ MessageId: sqsMessageId, ReceiptHandle: `handle-${sqsMessageId}`, Body: body }, queueArn);
}
