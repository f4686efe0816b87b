import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { SendMailOptions } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendToSandbox, takeFromSandbox } from '../support/sandbox.ts';
import { DynamoMessageStore } from '../../functions/adapters/dynamo-message-store.ts';
import { DynamoSuppressionList } from '../../functions/adapters/dynamo-suppression-list.ts';
import { sandboxClients } from '../../functions/cli/sandbox-clients.ts';
import { replyInSandbox } from '../../functions/cli/reply.ts';
import { PolicyError } from '../../functions/core/errors.ts';
import { PostroomConfigSchema, type PostroomConfig } from '../../functions/core/model/postroom-config.ts';
import type { RoutedMessage } from '../../functions/core/model/routed-message.ts';
import type { OutboundStoredMessage, StoredMessage } from '../../functions/core/model/stored-message.ts';
import { startSandbox, type Sandbox } from '../../functions/local/sandbox.ts';

// `support` acknowledges new conversations; `orders` does not, so its replies are the only mail to the simulator.
const config: PostroomConfig = PostroomConfigSchema.parse({
  domains: ['example.test'],
  skills: ['support'],
  channels: [
    { id: 'support', address: 'support@example.test', name: 'Example Support', defaultSkill: 'support', acknowledgement: { enabled: true } },
    { id: 'orders', address: 'orders@example.test', name: 'Example Orders', defaultSkill: 'support' },
    { id: 'partner', address: 'partner@example.test', name: 'Example Partner Desk', defaultSkill: 'support', acknowledgement: { enabled: true } },
  ],
});

let sandbox: Sandbox;
let clients: ReturnType<typeof sandboxClients>;

beforeAll(async () => {
  sandbox = await startSandbox({ config, smtpPort: 0, outboxSmtpPort: 0, logLevel: 'SILENT', stateFile: null });
  clients = sandboxClients(sandbox.info);
});

afterAll(async () => {
  clients?.destroy();
  await sandbox?.stop();
});

const send = (mail: SendMailOptions): Promise<void> => sendToSandbox(sandbox.info, mail);

const take = (): Promise<RoutedMessage[]> => takeFromSandbox(sandbox.info);

/** A customer opens a conversation; its pointer. */
async function open(mail: SendMailOptions): Promise<RoutedMessage> {
  await send(mail);
  const [pointer] = await take();
  if (!pointer) throw new Error('no pointer');
  return pointer;
}

const reply = (conversationId: string, text: string) =>
  replyInSandbox(sandbox.info, { conversationId, agentId: 'agent-7', text, html: null, cc: [], attachments: [], wait: true });

const history = (conversationId: string): Promise<StoredMessage[]> => new DynamoMessageStore(clients.db, sandbox.info.table).list(conversationId);

/** Polls until `check` returns something, up to 15 s. */
async function eventually<T>(check: () => Promise<T | null | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 150; i++) {
    const value = await check();
    if (value !== null && value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The outbound message once feedback moved it to `status`. */
const settledAs = (sent: OutboundStoredMessage, status: OutboundStoredMessage['status']) =>
  eventually(
    async () =>
      (await history(sent.conversationId)).find(
        (m): m is OutboundStoredMessage => m.direction === 'outbound' && m.messageId === sent.messageId && m.status === status,
      ),
    `${sent.messageId} ${status}`,
  );

/** Outbox mails to `address`, parsed. */
async function outboxTo(address: string): Promise<ParsedMail[]> {
  const names = (await readdir(sandbox.info.outbox)).filter((n) => n.endsWith('.eml')).sort();
  const parsed = await Promise.all(names.map(async (n) => simpleParser(await readFile(join(sandbox.info.outbox, n)))));
  return parsed.filter((m) => m.to && !Array.isArray(m.to) && m.to.value.some((v) => v.address === address));
}

describe('sandbox: SES delivery feedback through the real feedback function', () => {
  it('a reply to bounce@ ends bounced, the address is suppressed, and a second reply is refused before anything is sent', async () => {
    // Arrange
    const question = await open({ from: 'bounce@simulator.amazonses.com', to: 'orders@example.test', subject: 'Order 1', text: 'Where is it?' });
    // Act
    const first = await reply(question.conversationId, 'It is on its way.');
    const bounced = await settledAs(first, 'bounced');
    const entry = await new DynamoSuppressionList(clients.db, sandbox.info.table).find('orders', 'bounce@simulator.amazonses.com');
    const second = reply(question.conversationId, 'Did you get it?');
    // Assert
    expect(first.status).toBe('sent');
    expect(bounced.recipients).toEqual([expect.objectContaining({ address: 'bounce@simulator.amazonses.com', status: 'bounced', smtpStatus: '5.1.1' })]);
    expect(entry).toMatchObject({ reason: 'bounce', messageId: first.messageId, scope: { kind: 'channel', channelId: 'orders' } });
    await expect(second).rejects.toBeInstanceOf(PolicyError);
    await expect(second).rejects.toMatchObject({
      code: 'suppressed',
      message: expect.stringMatching(new RegExp(`bounce@simulator\\.amazonses\\.com is suppressed since ${entry?.since.slice(0, 10)} \\(bounce`)),
    });
    expect((await history(question.conversationId)).filter((m) => m.direction === 'outbound')).toHaveLength(1);
    expect(await outboxTo('bounce@simulator.amazonses.com')).toHaveLength(1);
  });

  it('a reply to complaint@ ends complained and suppressed; one to success@ ends delivered', async () => {
    // Arrange
    const complainer = await open({ from: 'complaint@simulator.amazonses.com', to: 'orders@example.test', subject: 'Order 2', text: 'Hello' });
    const happy = await open({ from: 'success@simulator.amazonses.com', to: 'orders@example.test', subject: 'Order 3', text: 'Hello' });
    // Act
    const toComplainer = await reply(complainer.conversationId, 'Thanks for your order.');
    const toHappy = await reply(happy.conversationId, 'Thanks for your order.');
    // Assert
    expect((await settledAs(toComplainer, 'complained')).recipients[0]).toMatchObject({ status: 'complained', detail: expect.stringContaining('abuse') });
    expect(await new DynamoSuppressionList(clients.db, sandbox.info.table).find('orders', 'complaint@simulator.amazonses.com')).toMatchObject({
      reason: 'complaint',
    });
    expect((await settledAs(toHappy, 'delivered')).recipients[0]).toMatchObject({ status: 'delivered' });
    expect(await new DynamoSuppressionList(clients.db, sandbox.info.table).find('orders', 'success@simulator.amazonses.com')).toBeNull();
  });
});

describe('sandbox: automatic acknowledgements', () => {
  it('acknowledges a customer’s new conversation once, threaded and marked automatic; a second mail within the window gets none', async () => {
    // Arrange
    const from = 'Carla Customer <carla@customer.example>';
    // Act
    const first = await open({
      from,
      to: 'support@example.test',
      subject: 'Printer broken',
      text: 'It does not start.',
      messageId: '<carla-1@customer.example>',
    });
    const ack = await eventually(async () => (await outboxTo('carla@customer.example'))[0], 'the acknowledgement');
    const second = await open({
      from,
      to: 'support@example.test',
      subject: 'Also the scanner',
      text: 'Same problem.',
      messageId: '<carla-2@customer.example>',
    });
    const stored = await eventually(
      async () => (await history(first.conversationId)).find((m): m is OutboundStoredMessage => m.direction === 'outbound' && m.status === 'sent'),
      'the stored acknowledgement',
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // Assert
    expect(second.isNewConversation).toBe(true);
    expect(ack.headers.get('auto-submitted')).toBe('auto-replied');
    expect(ack.headers.get('x-auto-response-suppress')).toBe('All');
    expect(ack.inReplyTo).toBe('<carla-1@customer.example>');
    expect(ack.references).toContain('<carla-1@customer.example>');
    expect(ack.subject).toBe(`Re: Printer broken [#${first.ticketNumber}]`);
    expect(ack.text).toContain(first.ticketNumber);
    expect(stored).toMatchObject({ purpose: 'acknowledgement', agentId: null, inReplyTo: first.messageId });
    expect(await outboxTo('carla@customer.example')).toHaveLength(1);
    expect((await history(second.conversationId)).filter((m) => m.direction === 'outbound')).toEqual([]);
  });

  it('stops loops: mail between two acknowledging channels is never acknowledged, and a vacation reply to an acknowledgement gets nothing back', async () => {
    // Arrange
    const before = (await readdir(sandbox.info.outbox)).length;
    // Act: one channel writes to the other; the ooto@ responder writes in and answers the acknowledgement with a vacation reply
    const internal = await open({
      from: 'Example Partner Desk <partner@example.test>',
      to: 'support@example.test',
      subject: 'Shared customer',
      text: 'Can you take this one?',
    });
    const traveller = await open({
      from: 'ooto@simulator.amazonses.com',
      to: 'support@example.test',
      subject: 'Question before my trip',
      text: 'Is my order shipped?',
    });
    const vacation = await eventually(async () => {
      const inbound = (await history(traveller.conversationId)).filter((m) => m.direction === 'inbound');
      return inbound.length > 1 ? inbound[1] : null;
    }, 'the vacation reply');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    // Assert
    expect((await history(internal.conversationId)).filter((m) => m.direction === 'outbound')).toEqual([]);
    expect(vacation).toMatchObject({ lane: 'out-of-office', from: expect.objectContaining({ address: 'ooto@simulator.amazonses.com' }) });
    const outbound = (await history(traveller.conversationId)).filter((m): m is OutboundStoredMessage => m.direction === 'outbound');
    expect(outbound.map((m) => [m.purpose, m.status])).toEqual([['acknowledgement', 'delivered']]);
    expect((await readdir(sandbox.info.outbox)).length).toBe(before + 1);
  });
});
