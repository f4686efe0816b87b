import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCredentialStore } from '../../../functions/adapters/dynamo-credential-store.ts';
import { HostGuard } from '../../../functions/adapters/outbound/host-guard.ts';
import { OAuthTokenProvider } from '../../../functions/adapters/outbound/oauth-token-provider.ts';
import { SmtpTransportTester } from '../../../functions/adapters/outbound/smtp-transport-tester.ts';
import { startAdminHarness, type AdminHarness } from '../../support/admin-api.ts';
import { SMTP_PASSWORD, SMTP_USER, TEST_TLS, startSmtp, type TestSmtp } from '../outbound-peers.ts';

let h: AdminHarness;
let first: TestSmtp;
let second: TestSmtp;
let version = 1;

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers = method === 'PATCH' ? { 'if-match': `"${version}"` } : undefined;
  const res = await h.call(method, path, { ...(body === undefined ? {} : { body }), ...(headers ? { headers } : {}) });
  const text = await res.text();
  const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (method === 'PATCH' && res.status === 200) version = Number(parsed.version);
  return { status: res.status, body: parsed };
}

const smtpAt = (host: string, port: number) => ({ host, port, security: 'starttls', auth: { type: 'password', user: SMTP_USER } });

beforeAll(async () => {
  const guard = new HostGuard({ allow: { loopback: true } });
  const tokens = new OAuthTokenProvider({ guard, ca: TEST_TLS.ca });
  // The real tester: it decrypts what the API stored and logs in over the network.
  h = await startAdminHarness(undefined, { tester: (cipher) => new SmtpTransportTester({ cipher, tokens, guard, ca: TEST_TLS.ca }) });
  [first, second] = await Promise.all([startSmtp({ security: 'starttls' }), startSmtp({ security: 'starttls' })]);
  await call('PATCH', '/channels/billing', { outbound: { enabled: false, transport: 'smtp' }, smtp: smtpAt('localhost', first.port) });
});
afterAll(async () => {
  await Promise.all([first.close(), second.close()]);
  await h.stop();
});

describe('credentials bound to their endpoint, through the API', () => {
  it('clears the password when the host changes: the answer and the audit say so, and the test refuses without reaching the new host', async () => {
    // Arrange: a password that works on the first server
    await call('PUT', '/channels/billing/credentials/smtp-password', { password: SMTP_PASSWORD });
    const healthy = await call('POST', '/channels/billing/credentials/test', {});
    // Act
    const patched = await call('PATCH', '/channels/billing', { smtp: smtpAt('127.0.0.1', second.port) });
    const status = await call('GET', '/channels/billing/credentials');
    const tested = await call('POST', '/channels/billing/credentials/test', {});
    const audit = await call('GET', '/audit?limit=20');
    // Assert
    expect(healthy.body).toMatchObject({ health: { status: 'healthy' } });
    expect(first.authMethodsSeen).toEqual(['PLAIN']);
    expect(patched.status).toBe(200);
    expect(patched.body.credentialsCleared).toEqual(['smtpPassword']);
    const detail = 'cleared: smtp.host, smtp.port changed; set the credentials again';
    expect(status.body).toMatchObject({ smtpPassword: { set: false, setAt: null }, health: { status: 'unset', detail } });
    expect(tested.status).toBe(422);
    expect((tested.body.error as { message: string }).message).toMatch(/^credentials unset: channel billing has no smtpPassword/);
    expect(second.authMethodsSeen).toEqual([]);
    expect(second.received).toEqual([]);
    const cleared = (audit.body.items as { action: string; fields: string[] }[]).find((e) => e.action === 'credentials.clear');
    expect(cleared?.fields).toEqual(['smtp.host', 'smtp.port', 'smtpPassword']);
  });

  it('does not decrypt a ciphertext copied back after the endpoint changed: nothing reaches the new host', async () => {
    // Arrange: set a password for the current endpoint, keep its ciphertext, move the endpoint, put the copy back
    const store = new DynamoCredentialStore(h.aws.db, h.aws.tableName);
    await call('PATCH', '/channels/billing', { smtp: smtpAt('localhost', first.port) });
    await call('PUT', '/channels/billing/credentials/smtp-password', { password: SMTP_PASSWORD });
    const copy = (await store.get('billing'))?.ciphertexts.smtpPassword ?? '';
    await call('PATCH', '/channels/billing', { smtp: smtpAt('127.0.0.1', second.port) });
    await store.putSecret('billing', 'smtpPassword', copy, new Date().toISOString());
    // Act
    const tested = await call('POST', '/channels/billing/credentials/test', { to: 'ann@example.org' });
    // Assert
    expect(copy).not.toBe('');
    expect(tested.body).toMatchObject({ health: { status: 'failing' } });
    expect((tested.body.health as { detail: string }).detail).toBe(
      'credentials: credential was set for another endpoint of channel billing (its SMTP or OAuth settings changed): set it again',
    );
    expect(second.authMethodsSeen).toEqual([]);
    expect(second.received).toEqual([]);
  });
});
