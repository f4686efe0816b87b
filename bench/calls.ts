import type { Tracer } from '@aws-lambda-powertools/tracer';
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { DynamoChannelDirectory } from '../functions/adapters/dynamo-channel-directory.ts';
import { SystemClock } from '../functions/adapters/system-clock.ts';
import { receiveMail, type ReceiveMailDeps } from '../functions/core/inbound/receive-mail.ts';
import type { ChannelSettings } from '../functions/core/model/channel.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startLocalAws, type LocalAws } from '../functions/local/local-aws.ts';
import { ALL_PASS, newSesMessageId, sesReceiptEvent } from '../functions/local/ses-receipt.ts';
import { InboundEnvSchema, readEnv } from '../functions/runtime/env.ts';
import { createInboundDeps } from '../functions/runtime/inbound-deps.ts';
import { RAW_MAIL_PREFIX, inboundMailsOf } from '../functions/runtime/ses-event.ts';
import { CallCounter, type CallCount, type CountableClient } from './call-counter.ts';
import { benchChannel } from './core-ratio.ts';
import { MAIL_KINDS, generateMail, type MailKind } from './mails.ts';
import { median, timeMs } from './stats.ts';

/** The calls one mail cost the inbound handler. */
export interface CallProfile {
  readonly total: number;
  readonly byOperation: readonly CallCount[];
  /** The calls in order, with the DynamoDB item kind each touched. */
  readonly sequence: readonly string[];
  /** The DynamoDB capacity units of each call in `sequence` (read units for reads, write units otherwise; 0 for other services). */
  readonly units: readonly number[];
}

/** What the counter saw since its last reset, as one mail's (or one reply's) profile. */
export function profileOf(counter: CallCounter): CallProfile {
  return { total: counter.total(), byOperation: counter.snapshot(), sequence: counter.sequence(), units: counter.unitSequence() };
}

export interface CallsResult {
  /** The first mail in a fresh container: also reads the channel settings. */
  readonly firstMail: CallProfile;
  readonly newMail: CallProfile;
  readonly reply: CallProfile;
  /** False if repeated new mails or replies did not all make the same calls. */
  readonly stable: boolean;
  /** Median handler time per mail size against the local servers (ms). */
  readonly handlerMs: Readonly<Record<MailKind, number>>;
  readonly handlerMsNew: number;
  readonly handlerMsReply: number;
}

/** The service an SDK client talks to, from its class name. */
export function serviceOf(client: object): string {
  const name = client.constructor.name;
  if (name.startsWith('DynamoDB')) return 'DynamoDB';
  if (name.startsWith('S3')) return 'S3';
  if (name.startsWith('SQS')) return 'SQS';
  if (name.startsWith('SESv2')) return 'SES';
  if (name.startsWith('KMS')) return 'KMS';
  return name;
}

/** The real `createInboundDeps`, with a stand-in tracer that puts a counter on every client it is handed. */
export function countingDeps(aws: LocalAws, counter: CallCounter): ReceiveMailDeps {
  const env = readEnv(InboundEnvSchema, {
    TABLE_NAME: aws.tableName,
    MAIL_BUCKET: aws.bucket,
    SKILL_QUEUE_URLS: JSON.stringify(aws.queueUrls),
    OUTBOUND_QUEUE_URL: aws.outbound.queueUrl,
  });
  return createInboundDeps(env, countingTracer(counter));
}

/** A stand-in for the Powertools tracer: every client handed to it gets the counter. */
export function countingTracer(counter: CallCounter): Tracer {
  const tracer = { captureAWSv3Client: <C extends CountableClient>(client: C) => counter.attach(client, serviceOf(client)) };
  return tracer as unknown as Tracer;
}

// fauxqs takes request bodies up to 11 MiB; larger raw copies go up in parts, as real S3 allows.
const PART_BYTES = 8 * 1024 * 1024;

/** Stores a raw copy where SES's S3 action would; multipart above one part's size. */
export async function putRaw(aws: LocalAws, key: string, raw: Buffer): Promise<void> {
  if (raw.byteLength <= PART_BYTES) return aws.putRaw(key, raw);
  const { UploadId } = await aws.s3.send(new CreateMultipartUploadCommand({ Bucket: aws.bucket, Key: key }));
  const parts: { ETag: string | undefined; PartNumber: number }[] = [];
  for (let offset = 0, n = 1; offset < raw.byteLength; offset += PART_BYTES, n++) {
    const body = raw.subarray(offset, offset + PART_BYTES);
    const out = await aws.s3.send(new UploadPartCommand({ Bucket: aws.bucket, Key: key, UploadId, PartNumber: n, Body: body }));
    parts.push({ ETag: out.ETag, PartNumber: n });
  }
  await aws.s3.send(new CompleteMultipartUploadCommand({ Bucket: aws.bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
}

/** Points the SDK's environment at the local servers (and `extra`, e.g. a local SES) for as long as `fn` runs. */
export async function withLocalEnv<T>(aws: LocalAws, fn: () => Promise<T>, extra: Readonly<Record<string, string>> = {}): Promise<T> {
  const env: Record<string, string> = {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: aws.endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: aws.endpoints.s3,
    AWS_ENDPOINT_URL_SQS: aws.endpoints.sqs,
    ...extra,
  };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** The calls of mails that thread, on a table whose channel and ticket counter exist. */
export interface ThreadCalls {
  readonly firstMail: CallProfile;
  readonly newMail: CallProfile;
  readonly reply: CallProfile;
  readonly stable: boolean;
  readonly handlerMsNew: number;
  readonly handlerMsReply: number;
}

/** One mail delivered as SES would, with the handler's calls and time. */
export type Deliver = (raw: Buffer) => Promise<{ ms: number; profile: CallProfile }>;

/** Delivers mails as SES would (raw copy stored, receipt event) to `receiveMail` on `deps`, counting its calls. */
export function delivery(aws: LocalAws, channel: ChannelSettings, deps: ReceiveMailDeps, counter: CallCounter): Deliver {
  return async (raw) => {
    const sesMessageId = newSesMessageId();
    await putRaw(aws, `${RAW_MAIL_PREFIX}${sesMessageId}`, raw);
    const event = sesReceiptEvent({
      sesMessageId,
      mailFrom: 'anna@customer.example',
      recipients: [channel.address],
      verdicts: ALL_PASS,
      receivedAt: new Date(),
    });
    const [mail] = inboundMailsOf(event, RAW_MAIL_PREFIX);
    if (!mail) throw new Error('no mail in the receipt event');
    counter.reset();
    const ms = await timeMs(async () => {
      const outcome = await receiveMail(deps, mail);
      if (outcome.status !== 'routed') throw new Error(`benchmark mail was not routed: ${JSON.stringify(outcome)}`);
    });
    return { ms, profile: profileOf(counter) };
  };
}

/**
 * Counts the calls of new mails and replies to them (`rounds` of each) that `deliver` hands to a
 * fresh container (channel settings not cached yet). The deployment's first mail, which seeds the
 * ticket counter once per deployment, runs before it in another container.
 */
export async function measureThreadCalls(aws: LocalAws, channel: ChannelSettings, deliver: Deliver, rounds: number): Promise<ThreadCalls> {
  const mail = (n: number, parent: string | null) =>
    generateMail('reply-5k', { messageId: `m${n}@customer.example`, inReplyTo: parent, subject: parent ? 'Re: Printer broken' : 'Printer broken' });
  const seeding = new CallCounter();
  await delivery(aws, channel, countingDeps(aws, seeding), seeding)(mail(-1, null));
  const first = await deliver(mail(0, null));
  const news: { ms: number; profile: CallProfile }[] = [];
  const replies: { ms: number; profile: CallProfile }[] = [];
  for (let n = 1; n <= rounds; n++) {
    news.push(await deliver(mail(n, null)));
    replies.push(await deliver(mail(1000 + n, `m${n}@customer.example`)));
  }
  const same = (list: { profile: CallProfile }[]) => list.every((x) => JSON.stringify(x.profile) === JSON.stringify(list[0]?.profile));
  return {
    firstMail: first.profile,
    newMail: news.at(-1)?.profile ?? first.profile,
    reply: replies.at(-1)?.profile ?? first.profile,
    stable: same(news) && same(replies),
    handlerMsNew: median(news.map((x) => x.ms)),
    handlerMsReply: median(replies.map((x) => x.ms)),
  };
}

/**
 * Runs the inbound use case with the production adapters against dynalite and fauxqs and counts
 * every AWS call per mail: a first mail, then new mails and replies to them, then each size.
 */
export async function measureCalls(options: { readonly quick: boolean }): Promise<CallsResult> {
  const channel = benchChannel();
  const aws = await startLocalAws({ skills: [channel.defaultSkill] });
  try {
    await new DynamoChannelDirectory(aws.db, aws.tableName, { clock: new SystemClock(), cacheMs: 0 }).put(channel);
    return await withLocalEnv(aws, async () => {
      const counter = new CallCounter();
      const deliver = delivery(aws, channel, countingDeps(aws, counter), counter);
      const threads = await measureThreadCalls(aws, channel, deliver, options.quick ? 5 : 15);
      const handlerMs = {} as Record<MailKind, number>;
      for (const kind of MAIL_KINDS) {
        const runs: number[] = [];
        const reps = kind.startsWith('attachment-') ? (options.quick ? 1 : 3) : 5;
        for (let i = 0; i < reps; i++) runs.push((await deliver(generateMail(kind, { messageId: `${kind}-${i}@customer.example` }))).ms);
        handlerMs[kind] = median(runs);
      }
      return { ...threads, handlerMs };
    });
  } finally {
    await aws.stop();
  }
}
