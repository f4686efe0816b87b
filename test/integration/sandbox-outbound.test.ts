import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { SendMailOptions } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendToSandbox, takeFromSandbox } from '../support/sandbox.ts';
import { replyInSandbox } from '../../functions/cli/reply.ts';
import { PostroomConfigSchema, type PostroomConfig } from '../../functions/core/model/postroom-config.ts';
import type { RoutedMessage } from '../../functions/core/model/routed-message.ts';
import { startSandbox, type Sandbox } from '../../functions/local/sandbox.ts';

const config: PostroomConfig = PostroomConfigSchema.parse({
  domains: ['example.test'],
  skills: ['support'],
  channels: [
    { id: 'support', address: 'support@example.test', name: 'Example Support', defaultSkill: 'support' },
    {
      id: 'sales',
      address: 'sales@example.test',
      name: 'Example Sales',
      defaultSkill: 'support',
      outbound: { enabled: true, transport: 'smtp' },
      smtp: { host: 'localhost', port: 587, security: 'starttls', auth: { type: 'password', user: 'postroom' } },
    },
  ],
});

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ config, smtpPort: 0, outboxSmtpPort: 0, logLevel: 'SILENT', stateFile: null });
});

afterAll(async () => {
  await sandbox?.stop();
});

const send = (mail: SendMailOptions): Promise<void> => sendToSandbox(sandbox.info, mail);

const take = (): Promise<RoutedMessage[]> => takeFromSandbox(sandbox.info);

/** The newest mail in the outbox once there are `count`, parsed. */
async function outboxMail(count: number): Promise<ParsedMail & { raw: string }> {
  for (let i = 0; i < 100; i++) {
    const names = (await readdir(sandbox.info.outbox)).filter((n) => n.endsWith('.eml')).sort();
    const name = names[count - 1];
    if (name) {
      const raw = await readFile(join(sandbox.info.outbox, name));
      return Object.assign(await simpleParser(raw), { raw: raw.toString('utf8') });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the outbox has fewer than ${count} mails`);
}

const reply = (conversationId: string, text: string) =>
  replyInSandbox(sandbox.info, { conversationId, agentId: 'agent-7', text, html: null, cc: [], attachments: [], wait: true });

describe('sandbox: an agent answers and the customer answer threads back', () => {
  it('SES path: the reply has the threading headers, the ticket number and a reply token, and an answer carrying only the SES Message-ID joins', async () => {
    // Arrange: a customer writes to the SES channel
    await send({
      from: 'Carla Customer <carla@customer.example>',
      to: 'support@example.test',
      subject: 'Where is my parcel?',
      text: 'Order 4711.',
      messageId: '<q-ses@customer.example>',
    });
    const [question] = await take();
    if (!question) throw new Error('no pointer');
    // Act: the agent replies; the customer answers the mail she got
    const sent = await reply(question.conversationId, 'It left our warehouse today.');
    const mail = await outboxMail(1);
    await send({
      from: 'carla@customer.example',
      to: 'support@example.test',
      subject: `Re: ${mail.subject}`,
      text: 'Thanks!',
      inReplyTo: mail.messageId ?? '',
      references: [mail.messageId ?? ''],
    });
    const [answer] = await take();
    // Assert
    expect(sent).toMatchObject({ status: 'sent', retrying: false });
    expect(mail.messageId).toMatch(/@email\.amazonses\.com>$/);
    expect(mail.inReplyTo).toBe('<q-ses@customer.example>');
    expect(mail.references).toContain('<q-ses@customer.example>');
    expect(mail.subject).toBe(`Re: Where is my parcel? [#${question.ticketNumber}]`);
    expect(mail.from?.value[0]).toMatchObject({ address: 'support@example.test', name: 'Example Support' });
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value[0]?.address : null).toBe('carla@customer.example');
    expect(mail.replyTo?.value[0]?.address).toMatch(/^support\+[a-z0-9-]+@example\.test$/);
    // Our own id rides in References too, so a client that answers it threads as well.
    expect(sent.threadIds.some((id) => mail.raw.includes(id) && !id.endsWith('amazonses.com'))).toBe(true);
    expect(answer).toMatchObject({ conversationId: question.conversationId, isNewConversation: false, previousAgent: 'agent-7' });
  });

  it('SMTP path: the reply crosses STARTTLS with a login into the outbox, and the answer by its Message-ID joins', async () => {
    // Arrange
    await send({
      from: 'dan@buyer.example',
      to: 'sales@example.test',
      subject: 'Quote for 40 chairs',
      text: 'Please send a quote.',
      messageId: '<q-smtp@buyer.example>',
    });
    const [question] = await take();
    if (!question) throw new Error('no pointer');
    // Act
    const sent = await reply(question.conversationId, 'Our quote is attached in spirit.');
    const mail = await outboxMail(2);
    await send({ from: 'dan@buyer.example', to: 'sales@example.test', subject: 'Re: Quote', text: 'Deal.', inReplyTo: mail.messageId ?? '' });
    const [answer] = await take();
    // Assert
    expect(sent).toMatchObject({ status: 'sent' });
    expect(mail.messageId).toMatch(/@example\.test>$/);
    expect(mail.inReplyTo).toBe('<q-smtp@buyer.example>');
    expect(mail.subject).toBe(`Re: Quote for 40 chairs [#${question.ticketNumber}]`);
    expect(answer).toMatchObject({ conversationId: question.conversationId, isNewConversation: false });
  });

  it('a customer client that drops every header still threads by the reply-token address', async () => {
    // Arrange
    await send({ from: 'erin@customer.example', to: 'support@example.test', subject: 'Broken lamp', text: 'It flickers.' });
    const [question] = await take();
    if (!question) throw new Error('no pointer');
    await reply(question.conversationId, 'Sorry to hear that; a new one is on its way.');
    const mail = await outboxMail(3);
    // Act: a new mail (no In-Reply-To, no References, a new subject) to the Reply-To address
    await send({ from: 'erin@customer.example', to: mail.replyTo?.value[0]?.address ?? '', subject: 'lamp', text: 'Got it.' });
    const [answer] = await take();
    // Assert
    expect(answer).toMatchObject({ conversationId: question.conversationId, isNewConversation: false });
  });
});
