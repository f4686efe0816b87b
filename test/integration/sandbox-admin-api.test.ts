import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostroomConfigSchema } from '../../functions/core/model/postroom-config.ts';
import { RoutedMessageSchema } from '../../functions/core/model/routed-message.ts';
import { startSandbox, type Sandbox } from '../../functions/local/sandbox.ts';
import { createSqsClient } from '../../functions/runtime/clients.ts';

const config = PostroomConfigSchema.parse({
  domains: ['example.test'],
  skills: ['support'],
  channels: [{ id: 'support', address: 'support@example.test', defaultSkill: 'support' }],
});

let sandbox: Sandbox;
const TOKEN = 'test-admin-token-0123456789';

beforeAll(async () => {
  sandbox = await startSandbox({ config, smtpPort: 0, outboxSmtpPort: 0, apiPort: 0, adminToken: TOKEN, logLevel: 'SILENT', stateFile: null });
});

afterAll(async () => {
  await sandbox?.stop();
});

async function api(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; etag: string | null }> {
  const response = await fetch(`${sandbox.info.adminApi?.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, etag: response.headers.get('etag') };
}

async function waitFor<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('timed out');
}

describe('sandbox: a new admin sets up a channel through the API and an agent answers through it', () => {
  it('creates a skill, a channel and a rule; a mail to the new address reaches the new queue; the agent reads it and the reply is in the outbox', async () => {
    // Arrange: a skill (its queues), a second channel, a rule sending bigcorp mail to the skill
    const skill = await api('POST', '/skills', { name: 'vip', description: 'Key accounts' });
    const channel = await api('POST', '/channels', { id: 'sales', address: 'sales@example.test', name: 'Example Sales', defaultSkill: 'support' });
    const rule = await api(
      'POST',
      '/channels/sales/rules',
      { name: 'key-accounts', when: { senderDomains: ['bigcorp.example'] }, skill: 'vip' },
      { 'if-match': channel.etag ?? '' },
    );
    // Act: the customer writes to the new address
    const smtp = nodemailer.createTransport({ host: '127.0.0.1', port: sandbox.info.smtp.port, secure: false, ignoreTLS: true });
    await smtp.sendMail({
      from: 'Vera <vera@bigcorp.example>',
      to: 'sales@example.test',
      subject: 'Volume licence',
      text: 'We need 500 seats.',
      messageId: '<vera-1@bigcorp.example>',
    });
    smtp.close();
    const queueUrl = (skill.body.queueUrl as string | undefined) ?? '';
    const { aws } = sandbox.info;
    const sqs = createSqsClient({ region: aws.region, endpoint: aws.endpoints.sqs, credentials: { ...aws.credentials } });
    const pointer = await waitFor(async () => {
      const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0 }));
      const body = out.Messages?.[0]?.Body;
      return body ? RoutedMessageSchema.parse(JSON.parse(body)) : undefined;
    });
    sqs.destroy();
    const listed = await api('GET', '/conversations?skill=vip&status=open');
    const history = await api('GET', `/conversations/${pointer.conversationId}`);
    const reply = await api('POST', `/conversations/${pointer.conversationId}/reply`, { text: 'Hello Vera, we are on it.' });
    const mail = await waitFor(async () => {
      const names = (await readdir(sandbox.info.outbox)).filter((n) => n.endsWith('.eml'));
      return names[0] ? simpleParser(await readFile(join(sandbox.info.outbox, names[0]))) : undefined;
    });
    // Assert
    expect([skill.status, channel.status]).toEqual([201, 201]);
    expect(rule.status).toBeLessThan(300);
    expect(pointer).toMatchObject({ channelId: 'sales', skill: 'vip', routingRule: 'key-accounts' });
    expect(JSON.stringify(listed.body)).toContain(pointer.conversationId);
    expect(JSON.stringify(history.body)).toContain('We need 500 seats.');
    expect(reply.status).toBeLessThan(300);
    expect(mail.inReplyTo).toBe('<vera-1@bigcorp.example>');
    expect(mail.subject).toBe(`Re: Volume licence [#${pointer.ticketNumber}]`);
    expect(mail.from?.value[0]?.address).toBe('sales@example.test');
  });

  it('refuses a request without the token and answers a bad body with the field and the problem', async () => {
    // Act
    const anonymous = await fetch(`${sandbox.info.adminApi?.url}/channels`);
    const bad = await api('POST', '/channels', { id: 'x', address: 'not-an-address', defaultSkill: 'support' });
    const openapi = await fetch(`${sandbox.info.adminApi?.url}/openapi.json`);
    // Assert
    expect(anonymous.status).toBe(401);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('address');
    expect(openapi.status).toBe(200);
  });
});
