import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replyInSandbox } from '../../functions/cli/reply.ts';
import { PostroomConfigSchema, type PostroomConfig } from '../../functions/core/model/postroom-config.ts';
import { startSandbox, type Sandbox } from '../../functions/local/sandbox.ts';
import { sendToSandbox, takeFromSandbox } from '../support/sandbox.ts';

const config: PostroomConfig = PostroomConfigSchema.parse({
  domains: ['example.test'],
  skills: ['support'],
  channels: [{ id: 'support', address: 'support@example.test', defaultSkill: 'support' }],
});

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ config, smtpPort: 0, logLevel: 'SILENT', stateFile: null });
});

afterAll(async () => {
  await sandbox?.stop();
});

const customer = { name: 'Anna 🌻 Customer', address: 'anna@customer.example' };

describe('the sandbox: emoji subjects and spoofed follow-ups', () => {
  it('puts the pointer of a mail with an emoji subject on its queue, the subject unchanged for the agent’s app', async () => {
    // Act: the local SQS refuses characters above U+FFFF in a message body
    const subject = '📦 Wo ist mein Paket? 🚚';
    await sendToSandbox(sandbox.info, { from: customer, to: 'support@example.test', subject, text: 'Seit einer Woche unterwegs.' });
    const [pointer, ...more] = await takeFromSandbox(sandbox.info);

    // Assert
    expect(more).toEqual([]);
    expect(pointer).toMatchObject({ subject: '📦 Wo ist mein Paket? 🚚', from: { address: 'anna@customer.example', name: 'Anna 🌻 Customer' } });
  });

  it('keeps a forged follow-up with the ticket number and a Reply-To of the forger out of the conversation; the answer goes to the customer', async () => {
    // Arrange: the customer's conversation
    await sendToSandbox(sandbox.info, { from: customer, to: 'support@example.test', subject: 'Printer broken', text: 'It does not start.' });
    const [opened] = await takeFromSandbox(sandbox.info);

    // Act: SPF fails and the customer's domain publishes no DMARC record
    await sendToSandbox(sandbox.info, {
      from: customer,
      replyTo: 'attacker@attacker.example',
      to: 'support@example.test',
      subject: `Re: Printer broken [#${opened?.ticketNumber}]`,
      text: 'Please send the invoice to my new address.',
      headers: { 'X-Sandbox-Verdicts': 'spf=FAIL, dkim=GRAY, dmarc=GRAY' },
    });
    const [forged] = await takeFromSandbox(sandbox.info);
    const answer = await replyInSandbox(sandbox.info, {
      conversationId: forged?.conversationId ?? '',
      agentId: 'agent-1',
      text: 'We sent it to the address we know.',
      html: null,
      cc: [],
      attachments: [],
      wait: false,
    });

    // Assert
    expect(forged).toMatchObject({ isNewConversation: true, autoAnswerAllowed: false });
    expect(forged?.conversationId).not.toBe(opened?.conversationId);
    expect(forged?.tags).toEqual(expect.arrayContaining(['unauthenticated-follow-up', 'reply-to-differs']));
    expect(answer.to.map((a) => a.address)).toEqual(['anna@customer.example']);
  });
});
