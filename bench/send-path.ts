import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoChannelDirectory } from '../functions/adapters/dynamo-channel-directory.ts';
import { SystemClock } from '../functions/adapters/system-clock.ts';
import { createQueueReplyDeps } from '../functions/runtime/queue-reply-deps.ts';
import { receiveMail } from '../functions/core/inbound/receive-mail.ts';
import { OutboundJobSchema, type OutboundJob } from '../functions/core/model/outbound-job.ts';
import { queueReply } from '../functions/core/outbound/compose/queue-reply.ts';
import { sendOutbound } from '../functions/core/outbound/send/send-outbound.ts';
import { startLocalAws } from '../functions/local/local-aws.ts';
import { startSesLocal } from '../functions/local/sandbox-outbound.ts';
import { ALL_PASS, newSesMessageId, sesReceiptEvent } from '../functions/local/ses-receipt.ts';
import { createDocumentClient, createS3Client, createSqsClient } from '../functions/runtime/clients.ts';
import { readEnv } from '../functions/runtime/env.ts';
import { createOutboundDeps } from '../functions/runtime/outbound-deps.ts';
import { OutboundEnvSchema } from '../functions/runtime/outbound-env.ts';
import { RAW_MAIL_PREFIX, inboundMailsOf } from '../functions/runtime/ses-event.ts';
import { CallCounter } from './call-counter.ts';
import { type CallProfile, countingDeps, countingTracer, profileOf, putRaw, withLocalEnv } from './calls.ts';
import { benchChannel } from './core-ratio.ts';
import { generateMail } from './mails.ts';
import { median, round, timeMs } from './stats.ts';

/** The calls of one agent reply: queueing it (the agent's app or API) and sending it (the outbound function). */
export interface ReplyCalls {
  readonly queue: CallProfile;
  readonly send: CallProfile;
  readonly total: number;
}

export interface SendPathResult {
  /** The first reply a fresh outbound container sends: the sender also reads the channel (cached afterwards). */
  readonly firstReply: ReplyCalls;
  readonly reply: ReplyCalls;
  /** False if the replies after the first did not all make the same calls. */
  readonly stable: boolean;
  readonly rounds: number;
  /** Median ms of `queueReply` against the local servers. */
  readonly queueMs: number;
  /** Median ms of `sendOutbound` (the send handler's work for one job: plan, compose, SES, records). */
  readonly sendMs: number;
}

/** Takes the one job `queueReply` put on the outbound queue, as the SQS event source would hand it over. */
async function takeJob(sqs: import('@aws-sdk/client-sqs').SQSClient, queueUrl: string): Promise<OutboundJob> {
  for (let i = 0; i < 20; i++) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 0 }));
    const message = out.Messages?.[0];
    if (message) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
      return OutboundJobSchema.parse(JSON.parse(message.Body ?? ''));
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no job on the outbound queue');
}

/**
 * Counts the AWS calls of one agent reply end to end against local servers (dynalite, fauxqs,
 * aws-ses-v2-local): a customer mail arrives through the real inbound path, the reply is queued
 * with `queueReply` wired as `postroom reply` wires it, and the job is sent with `sendOutbound`
 * on the production composition root `createOutboundDeps` (local key file for credentials).
 * A counting stand-in tracer sees every SDK client, as in `calls.ts`.
 */
export async function measureSendPath(options: { readonly quick: boolean }): Promise<SendPathResult> {
  const channel = benchChannel();
  const aws = await startLocalAws({ skills: [channel.defaultSkill] });
  let ses: Server | null = null;
  const dir = await mkdtemp(join(tmpdir(), 'postroom-bench-send-'));
  try {
    await new DynamoChannelDirectory(aws.db, aws.tableName, { clock: new SystemClock(), cacheMs: 0 }).put(channel);
    ses = await startSesLocal({ host: '127.0.0.1', port: 0 });
    const sesEndpoint = `http://127.0.0.1:${(ses.address() as AddressInfo).port}`;
    return await withLocalEnv(
      aws,
      async () => {
        const inbound = countingDeps(aws, new CallCounter());
        const queueCounter = new CallCounter();
        const tracer = countingTracer(queueCounter);
        const clients = {
          db: tracer.captureAWSv3Client(createDocumentClient()),
          s3: tracer.captureAWSv3Client(createS3Client()),
          sqs: tracer.captureAWSv3Client(createSqsClient()),
        };
        const queueDeps = createQueueReplyDeps({ ...clients, tableName: aws.tableName, bucket: aws.bucket, outboundQueueUrl: aws.outbound.queueUrl });
        const sendCounter = new CallCounter();
        const env = readEnv(OutboundEnvSchema, {
          TABLE_NAME: aws.tableName,
          MAIL_BUCKET: aws.bucket,
          OUTBOUND_QUEUE_URL: aws.outbound.queueUrl,
          CREDENTIALS_KEY_FILE: join(dir, 'credentials.key'),
        });
        const outbound = await createOutboundDeps(env, countingTracer(sendCounter));

        const round1 = async (n: number): Promise<{ calls: ReplyCalls; queueMs: number; sendMs: number }> => {
          const sesMessageId = newSesMessageId();
          await putRaw(
            aws,
            `${RAW_MAIL_PREFIX}${sesMessageId}`,
            generateMail('reply-5k', { messageId: `send-${n}@customer.example`, inReplyTo: null, subject: `Printer broken ${n}` }),
          );
          const [mail] = inboundMailsOf(
            sesReceiptEvent({ sesMessageId, mailFrom: 'anna@customer.example', recipients: [channel.address], verdicts: ALL_PASS, receivedAt: new Date() }),
            RAW_MAIL_PREFIX,
          );
          if (!mail) throw new Error('no mail in the receipt event');
          const arrived = await receiveMail(inbound, mail);
          if (arrived.status !== 'routed' || !arrived.conversationId) throw new Error(`customer mail was not routed: ${JSON.stringify(arrived)}`);
          const conversationId = arrived.conversationId;

          queueCounter.reset();
          const queueMs = await timeMs(() =>
            queueReply(queueDeps, { conversationId, agentId: 'agent-1', text: 'Hello Anna,\n\nthe tray settings are back to A4. Please try again.\n\nMax' }),
          );
          const queue = profileOf(queueCounter);
          const job = await takeJob(aws.sqs, aws.outbound.queueUrl);
          sendCounter.reset();
          const sendMs = await timeMs(async () => {
            const outcome = await sendOutbound(outbound.send, job);
            if (outcome.status !== 'sent') throw new Error(`benchmark reply was not sent: ${JSON.stringify(outcome)}`);
          });
          const send = profileOf(sendCounter);
          return { calls: { queue, send, total: queue.total + send.total }, queueMs, sendMs };
        };

        const first = await round1(0);
        const rounds = options.quick ? 5 : 15;
        const rest: Awaited<ReturnType<typeof round1>>[] = [];
        for (let n = 1; n <= rounds; n++) rest.push(await round1(n));
        const same = rest.every((x) => JSON.stringify(x.calls) === JSON.stringify(rest[0]?.calls));
        return {
          firstReply: first.calls,
          reply: rest.at(-1)?.calls ?? first.calls,
          stable: same,
          rounds,
          queueMs: round(median(rest.map((x) => x.queueMs)), 1),
          sendMs: round(median(rest.map((x) => x.sendMs)), 1),
        };
      },
      { AWS_ENDPOINT_URL_SESV2: sesEndpoint },
    );
  } finally {
    const server = ses;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await aws.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
