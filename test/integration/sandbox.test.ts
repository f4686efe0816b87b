import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostroomConfigSchema, type PostroomConfig } from '../../functions/core/model/postroom-config.ts';
import { RoutedMessageSchema, type RoutedMessage } from '../../functions/core/model/routed-message.ts';
import { PortInUseError } from '../../functions/local/listen.ts';
import { startSandbox, type Sandbox } from '../../functions/local/sandbox.ts';
import { createSqsClient } from '../../functions/runtime/clients.ts';

const config: PostroomConfig = PostroomConfigSchema.parse({
  domains: ['example.test'],
  skills: ['support', 'billing', 'spam-review'],
  channels: [
    {
      id: 'support',
      address: 'support@example.test',
      defaultSkill: 'support',
      routing: [{ name: 'billing-words', when: { subjectKeywords: ['invoice'] }, skill: 'billing' }],
      spamPolicy: 'route',
      spamSkill: 'spam-review',
      maxMessageBytes: 64 * 1024,
    },
  ],
});

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ config, smtpPort: 0, logLevel: 'SILENT', stateFile: null });
});

afterAll(async () => {
  await sandbox?.stop();
});

async function send(mail: SendMailOptions): Promise<string> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sandbox.info.smtp.port, secure: false, ignoreTLS: true });
  try {
    return (await transport.sendMail(mail)).response;
  } finally {
    transport.close();
  }
}

/** Takes every pointer off a skill queue through the SQS API, as an agent's app does. */
async function take(skill: string): Promise<RoutedMessage[]> {
  const { aws, queues } = sandbox.info;
  const sqs = createSqsClient({ region: aws.region, endpoint: aws.endpoints.sqs, credentials: { ...aws.credentials } });
  const out: RoutedMessage[] = [];
  try {
    for (;;) {
      const page = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queues[skill], MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (!page.Messages?.length) return out;
      out.push(...page.Messages.map((m) => RoutedMessageSchema.parse(JSON.parse(m.Body ?? ''))));
      await sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl: queues[skill], Entries: page.Messages.map((m, i) => ({ Id: `${i}`, ReceiptHandle: m.ReceiptHandle })) }),
      );
    }
  } finally {
    sqs.destroy();
  }
}

const customer = { name: 'Anna Customer', address: 'anna@customer.example' };

describe('the sandbox, end to end over SMTP', () => {
  it('threads a conversation: new mail, reply by In-Reply-To, reply by ticket number only; an out-of-office opens nothing', async () => {
    // Arrange / Act: a new mail
    await send({ from: customer, to: 'support@example.test', subject: 'Printer broken', text: 'It does not start.', messageId: '<first@customer.example>' });
    const [opened] = await take('support');

    // Assert
    expect(opened).toMatchObject({ isNewConversation: true, lane: 'human', skill: 'support', internetMessageId: 'first@customer.example' });
    expect(opened?.ticketNumber).toMatch(/^\d{7}$/);

    // Act: a reply with In-Reply-To, and one with only the ticket number in the subject
    await send({
      from: customer,
      to: 'support@example.test',
      subject: 'Re: Printer broken',
      text: 'Still broken.',
      inReplyTo: '<first@customer.example>',
      references: ['<first@customer.example>'],
    });
    await send({ from: customer, to: 'support@example.test', subject: `Printer again [#${opened?.ticketNumber}]`, text: 'Any news?' });
    const joined = await take('support');

    // Assert
    expect(joined.map((m) => [m.conversationId, m.isNewConversation])).toEqual([
      [opened?.conversationId, false],
      [opened?.conversationId, false],
    ]);

    // Act: an out-of-office answer to a mail Postroom never sent
    await send({
      from: customer,
      to: 'support@example.test',
      subject: 'Automatic reply: Printer broken',
      text: 'I am out of the office until Monday.',
      inReplyTo: '<never-sent@example.test>',
      headers: { 'Auto-Submitted': 'auto-replied' },
    });

    // Assert: accepted, but no queue gets anything
    expect(await Promise.all(['support', 'billing', 'spam-review'].map(take))).toEqual([[], [], []]);
  });

  it('routes by rule and by the spam verdict', async () => {
    await send({ from: customer, to: 'support@example.test', subject: 'Question about invoice 7', text: 'Why?' });
    await send({ from: customer, to: 'support@example.test', subject: 'Cheap watches', text: 'Buy now', headers: { 'X-Sandbox-Verdicts': 'spam=FAIL' } });

    expect((await take('billing')).map((m) => m.routingRule)).toEqual(['billing-words']);
    const [spam] = await take('spam-review');
    expect(spam?.tags).toContain('spam');
    expect(spam?.autoAnswerAllowed).toBe(false);
  });

  it('refuses mail for an unknown address at SMTP with 550', async () => {
    await expect(send({ from: customer, to: 'nobody@example.test', subject: 'Hi', text: 'x' })).rejects.toMatchObject({ responseCode: 550 });
  });

  it('refuses mail over the channel size limit with the SMTP size error 552', async () => {
    const big = 'x'.repeat(100 * 1024);
    await expect(send({ from: customer, to: 'support@example.test', subject: 'Big', text: big })).rejects.toMatchObject({ responseCode: 552 });
    expect(await take('support')).toEqual([]);
  });

  it('says clearly when the SMTP port is taken', async () => {
    // Arrange
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;

    // Act / Assert
    await expect(startSandbox({ config, smtpPort: port, logLevel: 'SILENT', stateFile: null })).rejects.toThrow(PortInUseError);
    await expect(startSandbox({ config, smtpPort: port, logLevel: 'SILENT', stateFile: null })).rejects.toThrow(/port \d+ .*in use.*POSTROOM_SMTP_PORT/);
    blocker.close();
  });
});

describe('the sandbox with --data', () => {
  it('keeps conversations and queued mail across a restart', async () => {
    // Arrange
    const dir = await mkdtemp(join(tmpdir(), 'postroom-data-'));
    const first = await startSandbox({ config, smtpPort: 0, logLevel: 'SILENT', stateFile: null, dataDir: dir });
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: first.info.smtp.port, secure: false, ignoreTLS: true });
    await transport.sendMail({ from: customer, to: 'support@example.test', subject: 'Before restart', text: 'a', messageId: '<persist-1@customer.example>' });
    transport.close();
    await first.stop();

    // Act
    const second = await startSandbox({ config, smtpPort: 0, logLevel: 'SILENT', stateFile: null, dataDir: dir });
    const again = nodemailer.createTransport({ host: '127.0.0.1', port: second.info.smtp.port, secure: false, ignoreTLS: true });
    await again.sendMail({ from: customer, to: 'support@example.test', subject: 'Re: Before restart', text: 'b', inReplyTo: '<persist-1@customer.example>' });
    again.close();
    const { aws, queues } = second.info;
    const sqs = createSqsClient({ region: aws.region, endpoint: aws.endpoints.sqs, credentials: { ...aws.credentials } });
    const bodies: RoutedMessage[] = [];
    for (let i = 0; i < 2; i += 1) {
      const page = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queues.support, MaxNumberOfMessages: 10 }));
      for (const m of page.Messages ?? []) {
        bodies.push(RoutedMessageSchema.parse(JSON.parse(m.Body ?? '')));
        await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queues.support, Entries: [{ Id: '0', ReceiptHandle: m.ReceiptHandle }] }));
      }
    }
    sqs.destroy();
    await second.stop();
    await rm(dir, { recursive: true, force: true });

    // Assert: the mail queued before the restart is still there, and the reply joined its conversation
    expect(bodies.map((b) => b.subject)).toEqual(['Before restart', 'Re: Before restart']);
    expect(bodies[1]?.conversationId).toBe(bodies[0]?.conversationId);
  });
});
