import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminHarness, type AdminHarness } from '../../support/admin-api.ts';

let h: AdminHarness;
const PASSWORD = 'pw-Sup3r-S3cret-9931';
const CLIENT_SECRET = 'cs-Client-S3cret-7734';
const responses: string[] = [];

async function call(
  method: string,
  path: string,
  options: Parameters<AdminHarness['call']>[2] = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await h.call(method, path, options);
  const text = await res.text();
  responses.push(text, JSON.stringify([...res.headers]));
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

beforeAll(async () => {
  h = await startAdminHarness();
  const channel = await call('GET', '/channels/support');
  await call('PATCH', '/channels/support', {
    headers: { 'if-match': `"${String(channel.body.version)}"` },
    body: {
      outbound: { enabled: false, transport: 'smtp' },
      smtp: {
        host: 'smtp.example.com',
        auth: { type: 'oauth2', user: 'support@example.com', provider: 'microsoft', clientId: 'client-id-1', redirectUri: 'https://admin.example.com/oauth' },
      },
    },
  });
  await call('PATCH', '/channels/billing', {
    headers: { 'if-match': '"1"' },
    body: { outbound: { enabled: false, transport: 'smtp' }, smtp: { host: 'smtp.example.com', auth: { type: 'password', user: 'billing@example.com' } } },
  });
});
afterAll(async () => h.stop());

describe('credentials (write-only)', () => {
  it('says nothing is set at first', async () => {
    // Act
    const res = await call('GET', '/channels/billing/credentials');
    // Assert
    expect(res.body).toEqual({
      channelId: 'billing',
      smtpPassword: { set: false, setAt: null },
      sourcePassword: { set: false, setAt: null },
      oauthClientSecret: { set: false, setAt: null },
      oauthRefreshToken: { set: false, setAt: null },
      health: { status: 'unknown', checkedAt: null, detail: null },
    });
  });

  it('sets an SMTP password, tests the login, and keeps only ciphertext', async () => {
    // Act
    const set = await call('PUT', '/channels/billing/credentials/smtp-password', { body: { password: PASSWORD } });
    const tested = await call('POST', '/channels/billing/credentials/test', { body: {} });
    // Assert
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ smtpPassword: { set: true, setAt: expect.any(String) } });
    expect(tested.body).toMatchObject({ health: { status: 'healthy', detail: 'logged in' } });
    expect(h.tested.at(-1)?.stored.ciphertexts.smtpPassword).toMatch(/^[A-Za-z0-9+/=]{100,}$/);
  });

  it('runs the OAuth consent and code exchange: the refresh token is stored encrypted, never shown', async () => {
    // Act
    await call('PUT', '/channels/support/credentials/oauth-client', { body: { clientSecret: CLIENT_SECRET } });
    const consent = await call('POST', '/channels/support/credentials/oauth/consent', { body: { state: 'state-1234567' } });
    const exchanged = await call('POST', '/channels/support/credentials/oauth/exchange', { body: { code: 'code-1', state: 'state-1234567' } });
    const second = await call('POST', '/channels/support/credentials/oauth/consent', { body: {} });
    const refused = await call('POST', '/channels/support/credentials/oauth/exchange', { body: { code: 'bad-code', state: second.body.state } });
    // Assert
    const url = new URL(String(consent.body.url));
    expect(url.origin).toBe('https://login.microsoftonline.com');
    expect(url.searchParams.get('client_id')).toBe('client-id-1');
    expect(url.searchParams.get('state')).toBe('state-1234567');
    expect(Date.parse(String(consent.body.expiresAt)) - Date.now()).toBeGreaterThan(14 * 60_000);
    expect(second.body.state).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(h.exchanged[0]).toEqual({ code: 'code-1', clientSecret: CLIENT_SECRET });
    expect(exchanged.body).toMatchObject({ oauthClientSecret: { set: true }, oauthRefreshToken: { set: true }, health: { status: 'healthy' } });
    expect(refused.status).toBe(422);
  });

  it('exchanges a code only with a state a consent of the channel handed out, once: 400 naming state otherwise', async () => {
    // Arrange
    const consent = await call('POST', '/channels/support/credentials/oauth/consent', { body: { state: 'state-once-0001' } });
    const before = h.exchanged.length;
    // Act
    const missing = await call('POST', '/channels/support/credentials/oauth/exchange', { body: { code: 'code-2' } });
    const forged = await call('POST', '/channels/support/credentials/oauth/exchange', { body: { code: 'code-2', state: 'state-forged-01' } });
    const used = await call('POST', '/channels/support/credentials/oauth/exchange', { body: { code: 'code-2', state: consent.body.state } });
    const replayed = await call('POST', '/channels/support/credentials/oauth/exchange', { body: { code: 'code-3', state: consent.body.state } });
    // Assert
    expect([missing.status, forged.status, used.status, replayed.status]).toEqual([400, 400, 200, 400]);
    for (const res of [missing, forged, replayed]) {
      expect((res.body.error as { issues: { field: string }[] }).issues.map((i) => i.field)).toEqual(['state']);
    }
    expect(h.exchanged.slice(before).map((e) => e.code)).toEqual(['code-2']);
  });

  it('refuses OAuth routes for a password channel and unknown channels', async () => {
    // Act
    const password = await call('POST', '/channels/billing/credentials/oauth/consent', { body: {} });
    const unknown = await call('PUT', '/channels/nope/credentials/smtp-password', { body: { password: 'x' } });
    const empty = await call('PUT', '/channels/billing/credentials/smtp-password', { body: { password: '' } });
    // Assert
    expect(password.status).toBe(422);
    expect(unknown.status).toBe(404);
    expect(empty.status).toBe(400);
  });

  it('never puts a secret in a response, a header, the audit log, a log line or a table item', async () => {
    // Arrange
    const audit = await call('GET', '/audit?limit=100');
    const items = await h.aws.db.send(new ScanCommand({ TableName: h.aws.tableName }));
    const everything = [...responses, JSON.stringify(audit.body), ...h.logs, JSON.stringify(items.Items)].join('\n');
    // Assert
    for (const secret of [PASSWORD, CLIENT_SECRET, 'refresh-for-code-1']) expect(everything).not.toContain(secret);
    const actions = (audit.body.items as { action: string; fields: string[] }[]).filter((e) => e.action.startsWith('credentials.'));
    expect(actions.map((a) => a.action)).toEqual(expect.arrayContaining(['credentials.set', 'credentials.oauth-exchange', 'credentials.test']));
  });
});
