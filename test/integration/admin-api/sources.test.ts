import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminHarness, TOKENS, type AdminHarness } from '../../support/admin-api.ts';

/** The source, poll and import routes as an admin, a supervisor, an agent and an attacker use them. */
let h: AdminHarness;
const PASSWORD = 'src-Pa55word-that-never-shows';

async function call(
  method: string,
  path: string,
  options: Parameters<AdminHarness['call']>[2] = {},
): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
  const res = await h.call(method, path, options);
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, text };
}

const MAILBOX = {
  id: 'inbox',
  address: 'service@company.example',
  defaultSkill: 'support',
  source: { type: 'imap', host: 'imap.company.example', user: 'service@company.example', auth: 'password', initialSync: 'import-closed' },
};

beforeAll(async () => {
  h = await startAdminHarness();
});
afterAll(async () => h.stop());

describe('mailbox source routes', () => {
  it('creates a channel reading a mailbox on a domain SES does not receive for, with no receipt rule, and shows its source', async () => {
    const created = await call('POST', '/channels', { body: MAILBOX });
    const status = await call('GET', '/channels/inbox/source', { token: TOKENS['supervisor-1'] });
    const ses = await call('GET', '/channels/support/source');

    expect(created.status).toBe(201);
    expect(h.receipt.rules.has('inbox')).toBe(false);
    expect(status.body).toMatchObject({
      channelId: 'inbox',
      type: 'imap',
      health: { status: 'unknown', reason: 'not polled yet' },
      initialized: false,
      cursor: null,
    });
    expect(ses.body).toMatchObject({ type: 'ses', health: { status: 'healthy' } });
  });

  it('keeps the source password write-only and encrypted, and refuses it for a channel that has none', async () => {
    const set = await call('PUT', '/channels/inbox/credentials/source-password', { body: { password: PASSWORD } });
    const read = await call('GET', '/channels/inbox/credentials');
    const wrongChannel = await call('PUT', '/channels/support/credentials/source-password', { body: { password: PASSWORD } });
    const asSupervisor = await call('PUT', '/channels/inbox/credentials/source-password', { body: { password: PASSWORD }, token: TOKENS['supervisor-1'] });
    const items = await h.aws.db.send(new ScanCommand({ TableName: h.aws.tableName }));

    expect(set.status).toBe(200);
    expect(read.body).toMatchObject({ sourcePassword: { set: true } });
    expect(`${set.text}${read.text}${JSON.stringify(items.Items)}`).not.toContain(PASSWORD);
    expect(wrongChannel.status).toBe(422);
    expect(asSupervisor.status).toBe(403);
  });

  it('clears the source password when the host moves, so it never reaches the new host', async () => {
    const channel = await call('GET', '/channels/inbox');
    const moved = await call('PATCH', '/channels/inbox', {
      headers: { 'if-match': `"${String(channel.body.version)}"` },
      body: { source: { ...MAILBOX.source, host: 'imap.elsewhere.example' } },
    });
    const read = await call('GET', '/channels/inbox/credentials');

    expect(moved.status).toBe(200);
    expect(moved.body.credentialsCleared).toContain('sourcePassword');
    expect(read.body).toMatchObject({ sourcePassword: { set: false } });
  });

  it('answers wrong and hostile input with clear 4xx: plaintext to a public host, a CR in the user, an unknown field, polling an SES channel or a missing one', async () => {
    const plaintext = await call('POST', '/channels', {
      body: { ...MAILBOX, id: 'plain', address: 'plain@company.example', source: { ...MAILBOX.source, security: 'none' } },
    });
    const injected = await call('POST', '/channels', {
      body: { ...MAILBOX, id: 'crlf', address: 'crlf@company.example', source: { ...MAILBOX.source, user: 'a\r\nA1 LOGOUT' } },
    });
    const unknown = await call('POST', '/channels', {
      body: { ...MAILBOX, id: 'odd', address: 'odd@company.example', source: { ...MAILBOX.source, tunnel: true } },
    });
    const graphHttp = await call('POST', '/channels', {
      body: {
        ...MAILBOX,
        id: 'graph',
        address: 'graph@company.example',
        source: { type: 'graph', tenantId: 't', mailbox: 'm@company.example', clientId: 'c', graphUrl: 'http://169.254.169.254/v1.0' },
      },
    });
    const pollSes = await call('POST', '/channels/support/source/poll');
    const pollMissing = await call('POST', '/channels/nope/source/poll');
    const badId = await call('GET', '/channels/inbox/imports/..%2F..%2Fetc');

    expect(plaintext.status).toBe(400);
    expect(plaintext.text).toMatch(/loopback/);
    expect(injected.status).toBe(400);
    expect(unknown.status).toBe(400);
    expect(graphHttp.status).toBe(400);
    expect(pollSes.status).toBe(422);
    expect(pollMissing.status).toBe(404);
    expect(badId.status).toBe(400);
  });

  it('reports a poll that cannot log in as an error with the reason, never a 500, and marks the source failing', async () => {
    // No password is set since the host moved: the poll says so, and the status keeps it.
    const polled = await call('POST', '/channels/inbox/source/poll');
    const status = await call('GET', '/channels/inbox/source');
    const asAgent = await call('POST', '/channels/inbox/source/poll', { token: TOKENS['agent-1'] });

    expect(polled.status).toBe(200);
    expect(polled.body).toMatchObject({ status: 'error', health: { status: 'failing', reason: expect.stringMatching(/no source password stored/) } });
    expect(status.body).toMatchObject({ health: { status: 'failing' } });
    expect(asAgent.status).toBe(403);
  });

  it('creates an import with an upload form, refuses to start it before the upload, and hides it from agents', async () => {
    const created = await call('POST', '/channels/support/imports');
    const id = (created.body.import as { id: string }).id;
    const early = await call('POST', `/channels/support/imports/${id}/start`);
    const status = await call('GET', `/channels/support/imports/${id}`, { token: TOKENS['supervisor-1'] });
    const asAgent = await call('GET', `/channels/support/imports/${id}`, { token: TOKENS['agent-1'] });
    const otherChannel = await call('GET', `/channels/billing/imports/${id}`);

    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      import: { status: 'awaiting-upload', counts: { processed: 0 } },
      upload: { url: expect.any(String), fields: expect.any(Object) },
    });
    expect(JSON.stringify(created.body.import)).not.toContain('objectKey');
    expect(early.status).toBe(422);
    expect(status.body).toMatchObject({ id, status: 'awaiting-upload' });
    expect(asAgent.status).toBe(403);
    expect(otherChannel.status).toBe(404);
  });
});
