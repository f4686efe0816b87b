import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import nodemailer from 'nodemailer';
import { PostroomConfigSchema } from '../functions/core/model/postroom-config.ts';
import { startSandbox, type Sandbox } from '../functions/local/sandbox.ts';
import { createSqsClient } from '../functions/runtime/clients.ts';
import { generateMail } from './mails.ts';
import { quantile } from './stats.ts';

export interface EndToEndResult {
  /** Mails asked for; `sent` is lower when the time cap stopped the run first. */
  readonly target: number;
  readonly capped: boolean;
  readonly sent: number;
  readonly newMails: number;
  readonly replies: number;
  readonly connections: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Pointers taken off all skill queues through the SQS API after the run. */
  readonly onQueues: number;
  readonly byQueue: Readonly<Record<string, number>>;
  /** Pointers that opened a conversation: must equal `newMails` (every reply threaded). */
  readonly newConversations: number;
}

const ADDRESS = 'support@example.com';

function sandboxConfig() {
  return PostroomConfigSchema.parse({
    domains: ['example.com'],
    skills: ['support', 'billing'],
    channels: [
      {
        id: 'support',
        address: ADDRESS,
        defaultSkill: 'support',
        routing: [{ name: 'billing-words', when: { subjectKeywords: ['invoice'] }, skill: 'billing' }],
      },
    ],
  });
}

/** Takes every pointer off every skill queue, as agents' apps would; counts them per skill. */
async function drain(sandbox: Sandbox): Promise<{ byQueue: Record<string, number>; newConversations: number }> {
  const { aws, queues } = sandbox.info;
  const sqs = createSqsClient({ region: aws.region, endpoint: aws.endpoints.sqs, credentials: { ...aws.credentials } });
  const byQueue: Record<string, number> = {};
  let newConversations = 0;
  try {
    for (const [skill, url] of Object.entries(queues)) {
      byQueue[skill] = 0;
      for (;;) {
        const page = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
        const messages = page.Messages ?? [];
        if (messages.length === 0) break;
        byQueue[skill] += messages.length;
        newConversations += messages.filter((m) => (JSON.parse(m.Body ?? '{}') as { isNewConversation?: boolean }).isNewConversation === true).length;
        await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: messages.map((m, i) => ({ Id: `${i}`, ReceiptHandle: m.ReceiptHandle })) }));
      }
    }
  } finally {
    sqs.destroy();
  }
  return { byQueue, newConversations };
}

/**
 * Sends `total` 5 KB mails through the sandbox over `connections` SMTP connections, each
 * alternating a new mail and a reply to it; every fourth new mail is about an invoice (billing
 * queue). Latency per mail runs from the start of the send to the server's 250, which the
 * sandbox gives only after the handler has put the pointer on its queue. No new mail starts
 * after `maxSeconds`, so the run stays bounded on a slow machine.
 */
export async function measureEndToEnd(options: { readonly total: number; readonly connections: number; readonly maxSeconds: number }): Promise<EndToEndResult> {
  const sandbox = await startSandbox({ config: sandboxConfig(), smtpPort: 0, logLevel: 'SILENT', stateFile: null });
  const latencies: number[] = [];
  let next = 0;
  let newMails = 0;
  try {
    const worker = async (w: number): Promise<void> => {
      const transport = nodemailer.createTransport({
        host: '127.0.0.1',
        port: sandbox.info.smtp.port,
        secure: false,
        ignoreTLS: true,
        pool: true,
        maxConnections: 1,
      });
      let parent: string | null = null;
      try {
        // A reply is always sent after its parent, even past the deadline, so threading is checked.
        for (let n = next++; n < options.total && (parent !== null || performance.now() < deadline); n = next++) {
          const messageId = `e2e-${n}@customer.example`;
          const topic = n % 8 === w % 8 ? 'Invoice 2026-11 is wrong' : 'Printer broken';
          const raw = generateMail('reply-5k', { messageId, inReplyTo: parent, subject: parent ? `Re: ${topic}` : topic, seed: n });
          const start = performance.now();
          await transport.sendMail({ envelope: { from: 'anna@customer.example', to: [ADDRESS] }, raw });
          latencies.push(performance.now() - start);
          if (parent === null) newMails += 1;
          parent = parent === null ? messageId : null;
        }
      } finally {
        transport.close();
      }
    };
    const started = performance.now();
    const deadline = started + options.maxSeconds * 1000;
    await Promise.all(Array.from({ length: options.connections }, (_, w) => worker(w)));
    const seconds = (performance.now() - started) / 1000;
    const { byQueue, newConversations } = await drain(sandbox);
    return {
      target: options.total,
      capped: latencies.length < options.total,
      sent: latencies.length,
      newMails,
      replies: latencies.length - newMails,
      connections: options.connections,
      seconds,
      perSecond: latencies.length / seconds,
      p50Ms: quantile(latencies, 0.5),
      p99Ms: quantile(latencies, 0.99),
      onQueues: Object.values(byQueue).reduce((a, b) => a + b, 0),
      byQueue,
      newConversations,
    };
  } finally {
    await sandbox.stop();
  }
}
