import { SESv2Client } from '@aws-sdk/client-sesv2';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EncryptionSdkSecretCipher, localKeyring } from '../../functions/adapters/outbound/encryption-sdk-secret-cipher.ts';
import { HostGuard } from '../../functions/adapters/outbound/host-guard.ts';
import { OAuthTokenProvider } from '../../functions/adapters/outbound/oauth-token-provider.ts';
import { smtpCredentials } from '../../functions/adapters/outbound/smtp-credentials.ts';
import { SmtpMailTransport } from '../../functions/adapters/outbound/smtp-mail-transport.ts';
import { ConfigError, DependencyError } from '../../functions/core/errors.ts';
import { ChannelSettingsSchema } from '../../functions/core/model/channel.ts';
import { credentialEndpointKey } from '../../functions/core/model/credential-endpoint.ts';
import { SmtpTransportSettingsSchema, type SmtpTransportSettings } from '../../functions/core/model/transport-settings.ts';
import { RuntimeTransportFactory } from '../../functions/runtime/transport-factory.ts';
import { MemoryCredentialStore } from '../support/memory-admin.ts';
import { CLIENT_ID, CLIENT_SECRET, SMTP_PASSWORD, SMTP_USER, TEST_TLS, TestTokenEndpoint, startSmtp, type TestSmtp } from './outbound-peers.ts';

const guard = new HostGuard({ allow: { loopback: true } });
const RAW = new TextEncoder().encode('Subject: Hello\r\n\r\nHi\r\n');
const ENVELOPE = { from: SMTP_USER, to: ['ann@example.org'] };

let dir: string;
let cipher: EncryptionSdkSecretCipher;
let smtp: TestSmtp;
let endpoint: TestTokenEndpoint;
let tokens: OAuthTokenProvider;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'postroom-smtp-cred-'));
  cipher = new EncryptionSdkSecretCipher(await localKeyring(join(dir, 'local.key')));
  endpoint = await new TestTokenEndpoint().start();
  smtp = await startSmtp({ security: 'starttls', acceptToken: (t) => endpoint.isValid(t) });
  tokens = new OAuthTokenProvider({ guard, ca: TEST_TLS.ca });
});
afterAll(async () => {
  await Promise.all([smtp.close(), endpoint.close()]);
  await rm(dir, { recursive: true, force: true });
});

function settings(auth: object): SmtpTransportSettings {
  return SmtpTransportSettingsSchema.parse({ host: 'localhost', port: smtp.port, auth });
}

describe('SMTP credentials stored as ciphertext', () => {
  it('sends with a password decrypted for its channel, and refuses the same ciphertext on another channel', async () => {
    // Arrange
    const s = settings({ type: 'password', user: SMTP_USER });
    const stored = {
      smtpPassword: await cipher.encrypt(SMTP_PASSWORD, { channelId: 'support', purpose: 'smtp-password', endpoint: credentialEndpointKey(s) }),
    };
    const mine = new SmtpMailTransport({
      channelId: 'support',
      settings: s,
      guard,
      ca: TEST_TLS.ca,
      credentials: smtpCredentials('support', s, stored, { cipher, tokens }),
    });
    const copied = new SmtpMailTransport({
      channelId: 'sales',
      settings: s,
      guard,
      ca: TEST_TLS.ca,
      credentials: smtpCredentials('sales', s, stored, { cipher, tokens }),
    });
    // Act
    await mine.send(RAW, ENVELOPE, { messageId: '<a@x>' });
    const error = await copied.send(RAW, ENVELOPE, { messageId: '<b@x>' }).catch((e: unknown) => e);
    // Assert
    expect(smtp.received).toHaveLength(1);
    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({ code: 'credentials', message: 'credential does not belong to channel sales' });
  });

  it('sends over XOAUTH2 with the client secret and refresh token decrypted on refresh', async () => {
    // Arrange
    const s = settings({ type: 'oauth2', user: SMTP_USER, provider: 'custom', tokenUrl: endpoint.url, clientId: CLIENT_ID, scope: 'https://mail.google.com/' });
    const bound = { channelId: 'support', endpoint: credentialEndpointKey(s) };
    const stored = {
      oauthClientSecret: await cipher.encrypt(CLIENT_SECRET, { ...bound, purpose: 'oauth-client-secret' }),
      oauthRefreshToken: await cipher.encrypt(endpoint.newRefreshToken(), { ...bound, purpose: 'oauth-refresh-token' }),
    };
    const transport = new SmtpMailTransport({
      channelId: 'support',
      settings: s,
      guard,
      ca: TEST_TLS.ca,
      credentials: smtpCredentials('support', s, stored, { cipher, tokens }),
    });
    // Act
    await transport.send(RAW, ENVELOPE, { messageId: '<c@x>' });
    // Assert
    expect(smtp.authMethodsSeen.at(-1)).toBe('XOAUTH2');
    expect(smtp.received).toHaveLength(2);
  });

  it('says which secret is missing before connecting', () => {
    const s = settings({ type: 'oauth2', user: SMTP_USER, provider: 'google', clientId: CLIENT_ID });
    expect(() => smtpCredentials('support', s, { oauthClientSecret: 'x' }, { cipher, tokens })).toThrow(
      new ConfigError('channel support has no OAuth refresh token (the admin has not consented yet) stored'),
    );
  });
});

describe('the outbound sender with secrets bound to their endpoint', () => {
  it('refuses a password set for another endpoint of the channel: the new host sees no login and no mail', async () => {
    // Arrange: the password was set while the channel pointed at the first server; it now names the capture
    const capture = await startSmtp({ security: 'starttls' });
    const credentials = new MemoryCredentialStore();
    const before = SmtpTransportSettingsSchema.parse({ host: 'localhost', port: smtp.port, auth: { type: 'password', user: SMTP_USER } });
    const after = SmtpTransportSettingsSchema.parse({ host: '127.0.0.1', port: capture.port, auth: { type: 'password', user: SMTP_USER } });
    const ciphertext = await cipher.encrypt(SMTP_PASSWORD, { channelId: 'support', purpose: 'smtp-password', endpoint: credentialEndpointKey(before) });
    await credentials.putSecret('support', 'smtpPassword', ciphertext, new Date().toISOString());
    const unhealthy: string[] = [];
    const factory = new RuntimeTransportFactory({
      ses: new SESv2Client({ region: 'us-east-1' }),
      region: 'us-east-1',
      defaultConfigurationSet: '',
      credentials,
      cipher,
      clock: { now: () => new Date() },
      allow: { loopback: true },
      ca: TEST_TLS.ca,
      onUnhealthy: (_channel, reason) => unhealthy.push(reason),
    });
    const channel = ChannelSettingsSchema.parse({
      id: 'support',
      address: 'support@example.com',
      defaultSkill: 'support',
      outbound: { enabled: true, transport: 'smtp' },
      smtp: after,
    });
    try {
      // Act
      const transport = await factory.forChannel(channel);
      const error = await transport.send(RAW, ENVELOPE, { messageId: '<moved@x>' }).catch((e: unknown) => e);
      // Assert
      expect(error).toBeInstanceOf(DependencyError);
      expect(error).toMatchObject({ code: 'credentials', retryable: false });
      expect(capture.authMethodsSeen).toEqual([]);
      expect(capture.received).toEqual([]);
      expect(unhealthy).toEqual(['credential was set for another endpoint of channel support (its SMTP or OAuth settings changed): set it again']);
      expect((await credentials.get('support'))?.health.status).toBe('failing');
    } finally {
      await capture.close();
    }
  });
});
