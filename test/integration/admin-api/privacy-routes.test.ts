import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostroomConfigSchema } from '../../../functions/core/model/postroom-config.ts';
import { startSandbox, type Sandbox } from '../../../functions/local/sandbox.ts';

const config = PostroomConfigSchema.parse({
  domains: ['example.test'],
  skills: ['support'],
  channels: [{ id: 'support', address: 'support@example.test', name: 'Example Support', defaultSkill: 'support' }],
  users: [
    { id: 'admin', role: 'admin', displayName: 'Ada Admin' },
    { id: 'supervisor-1', role: 'supervisor', displayName: 'Sam Supervisor' },
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
  readonly body: Record<string, unknown> & { error?: { code: string; message: string; issues: { field: string; problem: string }[] } };
}

async function as(user: string, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Answer> {
  const res = await fetch(`${sandbox.info.adminApi?.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${sandbox.tokens[user]}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Answer['body']) : {} };
}

async function done(kind: 'exports' | 'erasures', id: string): Promise<Answer> {
  for (let i = 0; i < 200; i++) {
    const answer = await as('admin', 'GET', `/privacy/${kind}/${id}`);
    if (answer.body.status === 'done' || answer.body.status === 'failed') return answer;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${kind} ${id} did not finish`);
}

describe('privacy routes', () => {
  it('queue an export (202), report it (200) with a short-lived download link, and record who asked without the address', async () => {
    // Act
    const created = await as('admin', 'POST', '/privacy/exports', { address: 'Dora@Customer.Example' });
    const finished = await done('exports', String(created.body.id));
    const audit = await as('admin', 'GET', '/audit?limit=20');
    // Assert
    expect(created).toMatchObject({
      status: 202,
      body: { kind: 'export', status: 'queued', address: 'dora@customer.example', requestedBy: 'admin', download: null },
    });
    expect(finished).toMatchObject({ status: 200, body: { status: 'done', progress: { phase: 'done', percent: 100 }, error: null } });
    const download = finished.body.download as { url: string; expiresAt: string };
    expect(Date.parse(download.expiresAt) - Date.now()).toBeLessThanOrEqual(300_000);
    expect((await fetch(download.url)).status).toBe(200);
    const entries = audit.body.items as { action: string; resource: { type: string; id: string } }[];
    expect(entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'privacy.export.request', resource: { type: 'privacy-export', id: created.body.id } }),
        expect.objectContaining({ action: 'privacy.export.download-link', resource: { type: 'privacy-export', id: created.body.id } }),
      ]),
    );
    expect(JSON.stringify(entries)).not.toContain('dora@');
  });

  it('queue an erasure (202) that ends done without the address, and answer 404 for a job of the other kind or none', async () => {
    // Act
    const created = await as('admin', 'POST', '/privacy/erasures', { address: 'erin@customer.example' });
    const finished = await done('erasures', String(created.body.id));
    const wrongKind = await as('admin', 'GET', `/privacy/exports/${String(created.body.id)}`);
    const missing = await as('admin', 'GET', '/privacy/erasures/no-such-job');
    // Assert
    expect(created).toMatchObject({ status: 202, body: { kind: 'erasure', status: 'queued', address: 'erin@customer.example' } });
    expect(finished.body).toMatchObject({ status: 'done', address: null, heldConversations: [], counts: { hashedSuppressions: 1 } });
    expect(wrongKind).toMatchObject({ status: 404, body: { error: { code: 'not-found' } } });
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'not-found' } } });
  });

  it.each([
    ['agent-1', 'POST', '/privacy/exports'],
    ['agent-1', 'POST', '/privacy/erasures'],
    ['agent-1', 'GET', '/privacy/exports/x'],
    ['supervisor-1', 'POST', '/privacy/erasures'],
    ['supervisor-1', 'GET', '/privacy/erasures/x'],
  ])('refuse %s: %s %s needs the admin role (403)', async (user, method, path) => {
    // Act
    const answer = await as(user, method, path, method === 'POST' ? { address: 'dora@customer.example' } : undefined);
    // Assert
    expect(answer).toMatchObject({ status: 403, body: { error: { code: 'forbidden', message: expect.stringContaining('needs the admin role') } } });
  });

  it.each([
    ['not an address', { address: 'dora at customer' }, 'address'],
    ['an empty address', { address: '' }, 'address'],
    ['no address', {}, 'address'],
    ['a field it does not take', { address: 'dora@customer.example', scope: 'all' }, 'scope'],
  ])('answer %s with 400 naming the field and its problem', async (_what, body, field) => {
    // Act
    const answer = await as('admin', 'POST', '/privacy/erasures', body);
    // Assert
    expect(answer.status).toBe(400);
    expect(answer.body.error?.code).toBe('validation');
    expect(answer.body.error?.issues).toEqual(expect.arrayContaining([expect.objectContaining({ field, problem: expect.any(String) })]));
  });

  it('answers a body that is not JSON with 415, and a hostile job id with 400', async () => {
    expect((await as('admin', 'POST', '/privacy/exports', 'address=dora@customer.example', 'text/plain')).status).toBe(415);
    expect((await as('admin', 'GET', `/privacy/exports/${encodeURIComponent('../../x')}`)).status).toBe(400);
  });
});
