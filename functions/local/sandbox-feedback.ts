import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import nodemailer from 'nodemailer';
import { DynamoOutboundMessages } from '../adapters/dynamo-outbound-messages.ts';
import { type FeedbackEnvInput, FeedbackEnvSchema, readEnv } from '../runtime/env.ts';
import { createFeedbackHandler } from '../runtime/feedback-handler.ts';
import { type LocalAws, localHandlerOptions } from './local-aws.ts';
import { startOutboundPoller } from './outbound-poller.ts';
import type { CapturedSend } from './outbox.ts';
import { simulateSesFeedback } from './ses-feedback-simulator.ts';

export interface SandboxFeedbackOptions {
  readonly aws: LocalAws;
  /** The sandbox's SMTP ingress (where SES receiving stands): vacation replies of `ooto@` go there. */
  readonly ingress: { readonly host: string; readonly port: number };
  readonly suppressionScope: 'channel' | 'account';
  readonly logLevel?: string | undefined;
  readonly context: (name: string) => Context;
  readonly onError: (error: unknown) => void;
}

export interface SandboxFeedback {
  /** Hands a send through SES to the mailbox simulator (for `capturingSesMail`). */
  onSent(sent: CapturedSend): void;
  stop(): Promise<void>;
}

/** How long an `ooto@` reply waits for its send to be recorded (so it threads by the SES Message-ID). */
const RECORDED_WAIT_MS = 10_000;

/**
 * The feedback half of the sandbox: every send through SES to a mailbox-simulator address gets
 * the events SES would publish (`simulateSesFeedback`), put on the local feedback queue as SNS
 * delivers them and fed to the feedback handler as Lambda builds it (`createFeedbackHandler`) the way
 * Lambda's event source mapping would, redelivering what it reports failed (an event that
 * arrives before its send is recorded). The `ooto@` vacation reply goes to the SMTP ingress once
 * the reply it answers is recorded as sent.
 */
export async function startSandboxFeedback(options: SandboxFeedbackOptions): Promise<SandboxFeedback> {
  const { aws } = options;
  const env = readEnv(FeedbackEnvSchema, { TABLE_NAME: aws.tableName, SUPPRESSION_SCOPE: options.suppressionScope } satisfies Partial<FeedbackEnvInput>);
  const handler = createFeedbackHandler(env, localHandlerOptions(aws, options.logLevel));
  const poller = startOutboundPoller({
    sqs: aws.sqs,
    queueUrl: aws.feedback.queueUrl,
    queueArn: aws.feedback.queueArn,
    handler,
    context: () => options.context('postroom-feedback-local'),
    // A batch whose every event came before its send was recorded fails whole and comes back
    // after the visibility timeout, as Lambda would retry it: nothing to report.
    onError: (error) => {
      if (!(error instanceof Error && /All records failed processing/.test(error.message))) options.onError(error);
    },
  });
  const messages = new DynamoOutboundMessages(aws.db, aws.tableName);
  const pending = new Set<Promise<void>>();
  const track = (work: Promise<void>) => {
    const p = work.catch(options.onError).finally(() => pending.delete(p));
    pending.add(p);
  };

  return {
    onSent(sent) {
      if (!sent.providerMessageId) return;
      const sesMessageId = sent.providerMessageId;
      const feedback = simulateSesFeedback(
        {
          sesMessageId,
          source: sent.envelope.from,
          destinations: sent.envelope.to,
          messageId: sent.messageId,
          subject: subjectOf(sent.raw),
          sentAt: new Date(),
        },
        { newId: randomUUID },
      );
      for (const record of feedback.event.Records) {
        track(aws.sqs.send(new SendMessageCommand({ QueueUrl: aws.feedback.queueUrl, MessageBody: record.body })).then(() => undefined));
      }
      for (const reply of feedback.autoReplies) {
        track(
          (async () => {
            await recorded(messages, sesMessageId);
            await deliver(options.ingress, reply);
          })(),
        );
      }
    },
    async stop() {
      await Promise.allSettled([...pending]);
      await poller.stop();
    },
  };
}

async function recorded(messages: DynamoOutboundMessages, sesMessageId: string): Promise<void> {
  const deadline = Date.now() + RECORDED_WAIT_MS;
  while (Date.now() < deadline) {
    if (await messages.findBySesMessageId(sesMessageId)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function deliver(ingress: { host: string; port: number }, mail: { from: string; to: string; raw: string }): Promise<void> {
  const transport = nodemailer.createTransport({ host: ingress.host, port: ingress.port, secure: false, ignoreTLS: true });
  try {
    await transport.sendMail({ envelope: { from: mail.from, to: [mail.to] }, raw: mail.raw });
  } finally {
    transport.close();
  }
}

/** The Subject of raw mail, unfolded (the simulator only names it in its events). */
function subjectOf(raw: Uint8Array): string {
  const text = Buffer.from(raw.subarray(0, 64 * 1024)).toString('utf8');
  const head = text.split(/\r?\n\r?\n/, 1)[0] ?? '';
  return (
    /^subject:[ \t]*(.*(?:\r?\n[ \t].*)*)/im
      .exec(head)?.[1]
      ?.replace(/\r?\n[ \t]+/g, ' ')
      .trim() ?? ''
  );
}
