import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxInfo } from '../../functions/local/sandbox.ts';
import { startSandbox, type Sandbox } from '../../functions/local/sandbox.ts';
import { loadConfig } from '../../lib/load-config.ts';
import { sendToSandbox, takeFromSandbox } from '../support/sandbox.ts';

// The sandbox as `npm start` runs it: its own config with the four users, a token file per user.
let sandbox: Sandbox;
let dir: string;
let info: SandboxInfo;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'postroom-roles-'));
  sandbox = await startSandbox({
    config: loadConfig('postroom.sandbox.json'),
    smtpPort: 0,
    outboxSmtpPort: 0,
    apiPort: 0,
    logLevel: 'SILENT',
    stateFile: join(dir, 'sandbox.json'),
  });
  info = JSON.parse(await readFile(join(dir, 'sandbox.json'), 'utf8')) as SandboxInfo;
});

afterAll(async () => {
  await sandbox?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown> & { error?: { code: string; message: string; issues: { field: string; problem: string }[] } };
  readonly etag: string | null;
}

/** A request as one of the sandbox's users, with the token read from the file `.postroom/sandbox.json` names. */
async function as(user: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const file = info.adminApi?.tokens[user];
  if (!file) throw new Error(`no token file for ${user}`);
  const token = (await readFile(file, 'utf8')).trim();
  const res = await fetch(`${info.adminApi?.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Answer['body']) : {}, etag: res.headers.get('etag') };
}

async function outboxMail(predicate: (mail: ParsedMail) => boolean): Promise<ParsedMail> {
  for (let i = 0; i < 100; i++) {
    for (const name of (await readdir(info.outbox)).filter((n) => n.endsWith('.eml'))) {
      const mail = await simpleParser(await readFile(join(info.outbox, name)));
      if (predicate(mail)) return mail;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('no such mail in the outbox');
}

async function customerWrites(subject: string, text: string, messageId: string): Promise<string> {
  await sendToSandbox(sandbox.info, { from: 'Casey <casey@customer.example>', to: 'support@example.test', subject, text, messageId });
  for (let i = 0; i < 100; i++) {
    const pointer = (await takeFromSandbox(sandbox.info, 'support')).find((p) => p.subject === subject);
    if (pointer) return pointer.conversationId;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the mail was not routed');
}

describe('sandbox users and their tokens', () => {
  it('writes one token file per user, readable by its owner only, and lists them in sandbox.json', async () => {
    // Assert
    expect(Object.keys(info.adminApi?.tokens ?? {}).sort()).toEqual(['admin', 'agent-1', 'agent-2', 'supervisor-1']);
    for (const file of Object.values(info.adminApi?.tokens ?? {})) {
      expect((await stat(file)).mode & 0o777).toBe(0o600);
    }
    expect(info.adminApi?.tokenFile).toBe(join(dir, 'admin-token'));
    expect((await readFile(join(dir, 'admin-token'), 'utf8')).trim()).toBe(sandbox.adminToken);
    expect(JSON.stringify(info)).not.toContain(sandbox.adminToken ?? 'no token');
  });

  it('tells each user who they are', async () => {
    // Act
    const me = await as('agent-1', 'GET', '/me');
    // Assert
    expect(me.body).toMatchObject({ agentId: 'agent-1', role: 'agent', skills: ['support', 'billing'] });
  });
});

describe('an agent works within their skills, as themselves', () => {
  it.each([
    ['GET', '/channels'],
    ['PATCH', '/channels/support'],
    ['PUT', '/channels/orders/credentials/smtp-password'],
    ['POST', '/skills'],
    ['GET', '/audit'],
    ['POST', '/failed-messages/replay'],
    ['GET', '/agents'],
  ])('refuses agent-1 %s %s with 403 naming the role needed', async (method, path) => {
    // Act
    const res = await as('agent-1', method, path, method === 'GET' ? undefined : {}, { 'if-match': '"1"' });
    // Assert
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'forbidden', message: expect.stringMatching(/needs the (admin|supervisor) role/) });
  });

  it('lets agent-1 read and answer a support conversation that agent-2 cannot see, and not as agent-2', async () => {
    // Arrange
    const id = await customerWrites('My parcel never came', 'Order 4711 is two weeks late.', '<parcel-1@customer.example>');
    // Act
    const read = await as('agent-1', 'GET', `/conversations/${id}`);
    const hidden = await as('agent-2', 'GET', `/conversations/${id}`);
    const listed = await as('agent-2', 'GET', '/conversations?status=open');
    const spoofed = await as('agent-1', 'POST', `/conversations/${id}/reply`, { text: 'Sent as someone else', agentId: 'agent-2' });
    const answered = await as('agent-1', 'POST', `/conversations/${id}/reply`, { text: 'Your parcel is on its way.' });
    const othersNote = await as('agent-2', 'POST', `/conversations/${id}/notes`, { text: 'peeking' });
    // Assert
    expect(read.status).toBe(200);
    expect(JSON.stringify(read.body)).toContain('two weeks late');
    expect(hidden.status).toBe(404);
    expect(JSON.stringify(listed.body)).not.toContain(id);
    expect(othersNote.status).toBe(404);
    expect(spoofed.status).toBe(403);
    expect(answered.status).toBe(202);
    expect(answered.body).toMatchObject({ agentId: 'agent-1' });
  });

  it('refuses giving a conversation to an agent who does not work on it, and answers a role question before a content type', async () => {
    // Arrange
    const id = await customerWrites('Broken zipper', 'The zipper broke on day one.', '<zipper-1@customer.example>');
    // Act
    const assigned = await as('supervisor-1', 'POST', `/conversations/${id}/assign`, { agentId: 'agent-2' });
    const forAgent2 = await as('supervisor-1', 'POST', `/conversations/${id}/reply`, { text: 'On it.', agentId: 'agent-2' });
    const form = await as('agent-2', 'POST', '/skills', 'name=vip', { 'content-type': 'application/x-www-form-urlencoded' });
    // Assert
    expect(assigned.status).toBe(400);
    expect(assigned.body.error?.issues[0]?.field).toBe('agentId');
    expect(forAgent2.status).toBe(400);
    expect(form.status).toBe(403);
  });

  it('lets a supervisor answer for agent-1, and the audit record says so', async () => {
    // Arrange
    const id = await customerWrites('Wrong size', 'The shoes are too small.', '<size-1@customer.example>');
    // Act
    const answered = await as('supervisor-1', 'POST', `/conversations/${id}/reply`, { text: 'We will swap them.', agentId: 'agent-1' });
    const audit = await as('supervisor-1', 'GET', '/audit?limit=100');
    // Assert
    expect(answered.status).toBe(202);
    expect(answered.body).toMatchObject({ agentId: 'agent-1' });
    const entry = (audit.body.items as { action: string; resource: { id: string }; actor: { agentId?: string }; onBehalfOf?: string }[]).find(
      (e) => e.action === 'conversation.reply' && e.resource.id === id,
    );
    expect(entry).toMatchObject({ actor: { agentId: 'supervisor-1', role: 'supervisor' }, onBehalfOf: 'agent-1' });
    expect((audit.body.items as { action: string; resource: { id: string } }[]).some((e) => e.action === 'conversation.read')).toBe(true);
  });

  it("puts agent-1's stored signature, sanitized, into the mail the customer gets", async () => {
    // Arrange
    const id = await customerWrites('Password reset', 'I cannot sign in any more.', '<password-1@customer.example>');
    const signature = await as('agent-1', 'PUT', '/agents/agent-1/signature', {
      html: '<p>Alex from Support<img src=x onerror="alert(1)"><script>alert(2)</script></p>',
      text: 'Alex from Support',
    });
    const othersSignature = await as('agent-1', 'PUT', '/agents/agent-2/signature', { text: 'not mine' });
    const template = await as('admin', 'PUT', '/channels/support/templates/default', {
      html: '<html><body><p>{{body}}</p><p>Yours, {{agentName}}</p>{{signature}}<p>{{channelName}} {{ticketNumber}}</p></body></html>',
    });
    // Act
    const read = await as('agent-1', 'GET', '/agents/agent-1/signature');
    const answered = await as('agent-1', 'POST', `/conversations/${id}/reply`, { text: 'Attached again.' });
    const mail = await outboxMail((m) => m.subject?.startsWith('Re: Password reset') ?? false);
    // Assert
    expect(signature.status).toBe(200);
    expect(othersSignature.status).toBe(403);
    expect(template.status).toBe(200);
    expect(String(mail.html)).toContain('Yours, Alex Agent');
    expect(JSON.stringify(read.body)).not.toMatch(/onerror|<script/i);
    expect(answered.status).toBe(202);
    expect(mail.text).toContain('Alex from Support');
    expect(String(mail.html)).toContain('Alex from Support');
    expect(String(mail.html)).not.toMatch(/onerror|<script/i);
  });
});

describe("an admin's settings and hostile input", () => {
  it('forgets the SMTP password when the host changes', async () => {
    // Arrange
    const set = await as('admin', 'PUT', '/channels/orders/credentials/smtp-password', { password: 'correct horse battery staple' });
    const channel = await as('admin', 'GET', '/channels/orders');
    // Act
    const moved = await as(
      'admin',
      'PATCH',
      '/channels/orders',
      { smtp: { ...(channel.body.smtp as object), host: 'smtp.elsewhere.example' } },
      { 'if-match': channel.etag ?? '' },
    );
    const status = await as('admin', 'GET', '/channels/orders/credentials');
    // Assert
    expect(set.status).toBe(200);
    expect(moved.status).toBe(200);
    expect(JSON.stringify(moved.body)).toContain('smtpPassword');
    expect(status.body).toMatchObject({ smtpPassword: { set: false } });
  });

  it.each([
    ['a display name with CR/LF', 'PATCH', '/channels/support', { name: 'Support\r\nBcc: all@victim.example' }, 400, 'name'],
    ['an unknown field', 'PATCH', '/channels/support', { maxMessageByte: 5 }, 400, 'maxMessageByte'],
    ['a 1 MB skill description', 'POST', '/skills', { name: 'huge', description: 'x'.repeat(1_000_000) }, 400, 'description'],
    ['an id with a path in it', 'PUT', '/agents/..%2F..%2Fetc', { role: 'agent' }, 400, 'agentId'],
    ['an id with CR/LF in the path', 'GET', '/channels/a%0d%0ab', undefined, 400, 'channelId'],
    ['a bidi override in a display name', 'PATCH', '/channels/support', { name: 'Sales\u202Elivé' }, 400, 'name'],
    ['a lone surrogate in a display name', 'PATCH', '/channels/support', { name: 'Sales\ud800' }, 400, 'name'],
    [
      'a From address on a foreign domain',
      'PATCH',
      '/channels/support',
      { allowedFrom: [{ address: 'ceo@gmail.com', name: 'CEO' }] },
      400,
      'allowedFrom[0].address',
    ],
    [
      'a plus address, which carries reply tokens',
      'POST',
      '/channels',
      { id: 'dup', address: 'orders+x@example.test', defaultSkill: 'support' },
      400,
      'address',
    ],
    ['another id in a patch', 'PATCH', '/channels/support', { id: 'other' }, 400, 'id'],
    ['an unknown query parameter', 'GET', '/conversations?bogus=1', undefined, 400, 'bogus'],
  ])('answers %s with a named 4xx', async (_what, method, path, body, status, field) => {
    // Arrange
    const channel = await as('admin', 'GET', '/channels/support');
    // Act
    const res = await as('admin', method, path, body, { 'if-match': channel.etag ?? '' });
    // Assert
    expect(res.status).toBe(status);
    expect(JSON.stringify(res.body.error?.issues)).toContain(field);
  });

  it('answers a body that is not JSON with 415 and a dry run of garbage with 400', async () => {
    // Act
    const form = await as('admin', 'POST', '/skills', 'name=vip', { 'content-type': 'application/x-www-form-urlencoded' });
    const garbage = await as('admin', 'POST', '/channels/support/dry-run', '\u0000\u0001 not a mail', { 'content-type': 'message/rfc822' });
    const empty = await as('admin', 'POST', '/channels/support/dry-run', '', { 'content-type': 'message/rfc822' });
    // Assert
    expect(form.status).toBe(415);
    expect(garbage.status).toBe(400);
    expect(empty.status).toBe(400);
  });
});
