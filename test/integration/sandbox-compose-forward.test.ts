import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ParsedMail, simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostroomConfigSchema } from '../../functions/core/model/postroom-config.ts';
import type { RoutedMessage } from '../../functions/core/model/routed-message.ts';
import { startSandbox, type Sandbox } from '../../functions/local/sandbox.ts';
import { sendToSandbox, takeFromSandbox } from '../support/sandbox.ts';

// The whole way through the sandbox: the admin API starts a conversation and forwards mail, the
// outbound function sends into the outbox, SMTP in and the real inbound handler thread the answers.
const VERA = 'vera@customer.example';
const SUPPLIER = 'parts@supplier.example';
const COLLEAGUE = 'colleague@supplier.example';
const config = PostroomConfigSchema.parse({
  domains: ['example.test'],
  skills: ['support', 'billing'],
  retention: { mailDays: 30 },
  channels: [
    { id: 'support', address: 'support@example.test', name: 'Example Support', defaultSkill: 'support' },
    { id: 'billing', address: 'billing@example.test', name: 'Example Billing', defaultSkill: 'billing' },
  ],
  users: [
    { id: 'admin', role: 'admin', displayName: 'Ada Admin' },
    { id: 'agent-1', role: 'agent', displayName: 'Alex Agent', skills: ['support'] },
  ],
});

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ config, smtpPort: 0, outboxSmtpPort: 0, apiPort: 0, logLevel: 'SILENT', stateFile: null });
});

afterAll(async () => {
  await sandbox?.stop();
});

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

async function api(method: string, path: string, body?: unknown, user = 'agent-1', ifMatch?: string): Promise<Answer> {
  const res = await fetch(`${sandbox.info.adminApi?.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${sandbox.tokens[user]}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(ifMatch ? { 'if-match': ifMatch } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** The outbox's mails once there are `count`, parsed, oldest first. */
async function outbox(count: number): Promise<(ParsedMail & { raw: string })[]> {
  for (let i = 0; i < 200; i++) {
    const names = (await readdir(sandbox.info.outbox)).filter((n) => n.endsWith('.eml')).sort();
    if (names.length >= count) {
      return Promise.all(
        names.map(async (n) => {
          const raw = await readFile(join(sandbox.info.outbox, n));
          return Object.assign(await simpleParser(raw), { raw: raw.toString('utf8') });
        }),
      );
    }
    await sleep(100);
  }
  throw new Error(`the outbox has fewer than ${count} mails`);
}

async function take(): Promise<RoutedMessage> {
  for (let i = 0; i < 100; i++) {
    const [pointer] = await takeFromSandbox(sandbox.info);
    if (pointer) return pointer;
    await sleep(100);
  }
  throw new Error('nothing was routed');
}

async function history(conversationId: string): Promise<Record<string, unknown>[]> {
  const { status, body } = await api('GET', `/conversations/${conversationId}?bodies=false`);
  expect(status).toBe(200);
  return (body.entries as { type: string; message?: Record<string, unknown> }[]).filter((e) => e.type === 'message').map((e) => e.message ?? {});
}

/** Turns a channel's outbound flow on, as an admin does. */
async function outboundFlowOn(channelId: string): Promise<number> {
  const res = await fetch(`${sandbox.info.adminApi?.url}/channels/${channelId}`, { headers: { authorization: `Bearer ${sandbox.tokens.admin}` } });
  return (await api('PATCH', `/channels/${channelId}`, { outboundFlow: true }, 'admin', res.headers.get('etag') ?? '')).status;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('agents start conversations and forward mail (sandbox)', () => {
  let conversationId = '';
  let ticketNumber = '';

  it("refuses a new conversation while the channel's outboundFlow is off, naming the setting", async () => {
    const { status, body } = await api('POST', '/conversations', { channelId: 'support', to: [VERA], subject: 'Your replacement part', text: 'Hello Vera' });
    expect(status).toBe(409);
    expect((body.error as { message: string }).message).toContain('outboundFlow');
  });

  it("starts a conversation: 201 with id and ticket number, the mail leaves with both, and the customer's answer joins it", async () => {
    expect(await outboundFlowOn('support')).toBe(200);
    const { status, body } = await api('POST', '/conversations', {
      channelId: 'support',
      to: [{ address: VERA, name: 'Vera Kunde' }],
      subject: 'Your replacement part',
      text: 'Hello Vera, the part ships on Monday.',
    });
    expect(status).toBe(201);
    conversationId = String(body.id);
    ticketNumber = String(body.ticketNumber);
    expect(ticketNumber).toMatch(/^\d{7}$/);
    expect(body.participants).toEqual([VERA]);
    expect((body.message as Record<string, unknown>).purpose).toBe('new');
    // Kept as long as the account's retention says, like a conversation a customer opened.
    const days = (Date.parse(String(body.expiresAt)) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29);
    expect(days).toBeLessThan(31);

    const [sent] = await outbox(1);
    expect(sent?.subject).toBe(`Your replacement part [#${ticketNumber}]`);
    expect(sent?.to).toMatchObject({ value: [{ address: VERA }] });
    expect(sent?.inReplyTo).toBeUndefined();
    expect(sent?.replyTo?.value[0]?.address).toMatch(/^support\+[a-z0-9-]+@example\.test$/);

    await sendToSandbox(sandbox.info, {
      from: VERA,
      to: 'support@example.test',
      subject: `Re: ${sent?.subject}`,
      text: 'Thanks, Monday is fine.',
      inReplyTo: sent?.messageId ?? '',
      references: sent?.messageId ?? '',
    });
    const pointer = await take();
    expect(pointer.conversationId).toBe(conversationId);
    expect(pointer.isNewConversation).toBe(false);
    const messages = await history(conversationId);
    expect(messages.map((m) => [m.direction, m.purpose ?? null])).toEqual([
      ['outbound', 'new'],
      ['inbound', null],
    ]);
  });

  it("forwards the customer's mail to a supplier: 202, the original enclosed as message/rfc822, recorded with purpose forward", async () => {
    const { status, body } = await api('POST', `/conversations/${conversationId}/forward`, { to: [SUPPLIER], note: 'Can you confirm the part ships Monday?' });
    expect(status).toBe(202);
    expect(body.purpose).toBe('forward');
    const mails = await outbox(2);
    const forwarded = mails.find((m) => m.subject?.startsWith('Fwd:'));
    expect(forwarded?.subject).toBe(`Fwd: Your replacement part [#${ticketNumber}]`);
    expect(forwarded?.to).toMatchObject({ value: [{ address: SUPPLIER }] });
    expect(forwarded?.text).toContain('Can you confirm the part ships Monday?');
    expect(forwarded?.text).toContain(`From: ${VERA}`);
    // Enclosed as received: a message/rfc822 part with the customer's own headers and text, not re-encoded.
    const raw = forwarded?.raw ?? '';
    const part = raw.slice(raw.indexOf('Content-Type: message/rfc822'));
    expect(part).toMatch(/^Content-Type: message\/rfc822; name=forwarded-\d{7}-1\.eml/);
    expect(part).not.toMatch(/^Content-Transfer-Encoding: base64/m);
    expect(part).toContain(`From: ${VERA}`);
    expect(part).toContain('Thanks, Monday is fine.');

    // The supplier answers the forward: recorded on the conversation, flagged, and not the customer.
    // It copies a colleague: neither becomes a participant.
    await sendToSandbox(sandbox.info, {
      from: SUPPLIER,
      to: forwarded?.replyTo?.value[0]?.address ?? 'support@example.test',
      cc: COLLEAGUE,
      subject: `Re: ${forwarded?.subject}`,
      messageId: '<supplier-answer@supplier.example>',
      text: 'Confirmed, it ships Monday.',
      inReplyTo: forwarded?.messageId ?? '',
      references: forwarded?.messageId ?? '',
    });
    const pointer = await take();
    expect(pointer.conversationId).toBe(conversationId);
    expect(pointer.tags).toContain('external-party');
    expect(pointer.autoAnswerAllowed).toBe(false);
    const conversation = (await api('GET', `/conversations/${conversationId}?bodies=false`)).body.conversation as Record<string, unknown>;
    expect(conversation.externalParties).toEqual([COLLEAGUE, SUPPLIER]);
    expect(conversation.participants).toEqual([VERA]);
    const answer = (await history(conversationId)).at(-1);
    expect(answer?.from).toMatchObject({ address: SUPPLIER });
    expect(answer?.tags).toContain('external-party');

    // A reply naming no message still answers the customer, not the supplier.
    const replied = await api('POST', `/conversations/${conversationId}/reply`, { text: 'Confirmed: Monday.' });
    expect(replied.status).toBe(202);
    expect((replied.body.to as { address: string }[]).map((a) => a.address)).toEqual([VERA]);
  });

  it("takes a later mail of an external party that answers no forward as theirs, not the customer's", async () => {
    // The colleague answers the supplier's mail, not our forward: known as an external party by address.
    await sendToSandbox(sandbox.info, {
      from: COLLEAGUE,
      to: 'support@example.test',
      subject: 'Re: Your replacement part',
      text: 'Tracking: 1Z999.',
      inReplyTo: '<supplier-answer@supplier.example>',
      references: '<supplier-answer@supplier.example>',
    });
    const pointer = await take();
    expect(pointer.conversationId).toBe(conversationId);
    expect(pointer.tags).toContain('external-party');
    const conversation = (await api('GET', `/conversations/${conversationId}?bodies=false`)).body.conversation as Record<string, unknown>;
    expect(conversation.participants).toEqual([VERA]);
  });

  it('answers the supplier when the reply names their mail, and keeps them outside the customers', async () => {
    const supplierMail = (await history(conversationId)).find((m) => (m.from as { address?: string } | null)?.address === SUPPLIER);
    const replied = await api('POST', `/conversations/${conversationId}/reply`, { text: 'Thanks, noted.', inReplyTo: supplierMail?.messageId });
    expect(replied.status).toBe(202);
    expect(replied.body.external).toBe(true);
    expect((replied.body.to as { address: string }[]).map((a) => a.address)).toEqual([SUPPLIER]);
    await outbox(4);
    for (let i = 0; i < 50 && (await history(conversationId)).some((m) => m.status === 'queued'); i++) await sleep(100);
    const conversation = (await api('GET', `/conversations/${conversationId}?bodies=false`)).body.conversation as Record<string, unknown>;
    expect(conversation.participants).toEqual([VERA]);
    expect(conversation.externalParties).toEqual([COLLEAGUE, SUPPLIER]);
  });

  it('answers wrong input with a 4xx naming the field, and a channel the agent does not work on as unknown (404)', async () => {
    const bad: [unknown, string][] = [
      [{ channelId: 'support', to: [], subject: 'x', text: 'y' }, 'to'],
      [{ channelId: 'support', to: ['not an address'], subject: 'x', text: 'y' }, 'to'],
      [{ channelId: 'support', to: [VERA], subject: 'x\r\nBcc: evil@example.org', text: 'y' }, 'subject'],
      [{ channelId: 'support', to: [VERA], subject: 'x' }, 'text'],
      [{ channelId: 'support', to: [VERA], subject: 'x', text: 'y', bogus: 1 }, 'bogus'],
    ];
    for (const [body, field] of bad) {
      const answer = await api('POST', '/conversations', body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(answer.body)).toContain(field);
    }
    expect((await api('POST', '/conversations', { channelId: 'nope', to: [VERA], subject: 'x', text: 'y' })).status).toBe(404);
    expect(await outboundFlowOn('billing')).toBe(200);
    expect((await api('POST', '/conversations', { channelId: 'billing', to: [VERA], subject: 'x', text: 'y' })).status).toBe(404);

    const forward = (body: unknown) => api('POST', `/conversations/${conversationId}/forward`, body);
    expect((await forward({ to: [VERA] })).status).toBe(400);
    // Another channel's address: the mail would come back in as a customer's.
    const loop = await forward({ to: ['billing@example.test'] });
    expect(loop.status).toBe(400);
    expect(JSON.stringify(loop.body)).toContain('channel billing');
    expect((await api('POST', '/conversations', { channelId: 'support', to: ['billing@example.test'], subject: 'x', text: 'y' })).status).toBe(400);
    expect((await forward({ to: [] })).status).toBe(400);
    expect((await forward({ to: [SUPPLIER], messageIds: ['no-such-message'] })).status).toBe(404);
    expect((await forward({ to: [SUPPLIER], note: 'x', extra: true })).status).toBe(400);
    expect((await api('POST', '/conversations/no-such-conversation/forward', { to: [SUPPLIER] })).status).toBe(404);
  });
});
