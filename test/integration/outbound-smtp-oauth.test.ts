import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HostGuard } from '../../functions/adapters/outbound/host-guard.ts';
import { OAuthTokenProvider, TokenRefusedError, type OAuthClient, type TokenOwner } from '../../functions/adapters/outbound/oauth-token-provider.ts';
import { SmtpMailTransport } from '../../functions/adapters/outbound/smtp-mail-transport.ts';
import { DependencyError, PolicyError } from '../../functions/core/errors.ts';
import { credentialEndpointKey } from '../../functions/core/model/credential-endpoint.ts';
import { SmtpTransportSettingsSchema } from '../../functions/core/model/transport-settings.ts';
import type { Clock } from '../../functions/core/ports/clock.ts';
import { CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, SMTP_USER, TEST_TLS, TestTokenEndpoint, startSmtp, type TestSmtp } from './outbound-peers.ts';

const SANDBOX = new HostGuard({ allow: { loopback: true } });
const ENVELOPE = { from: SMTP_USER, to: ['ann@example.org'] };
const RAW = new TextEncoder().encode('Subject: Hello\r\n\r\nHi Ann\r\n');

class TestClock implements Clock {
  private ms = Date.now();
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

let endpoint: TestTokenEndpoint;
let smtp: TestSmtp;
let refreshToken: string;
let clock: TestClock;
let rotated: { owner: TokenOwner; refreshToken: string }[];
let refused: { owner: TokenOwner; oauthError: string }[];
let tokens: OAuthTokenProvider;

beforeAll(async () => {
  endpoint = await new TestTokenEndpoint().start();
  smtp = await startSmtp({ security: 'starttls', acceptToken: (t) => endpoint.isValid(t) });
});
afterAll(() => Promise.all([endpoint.close(), smtp.close()]));
beforeEach(() => {
  endpoint.rotate = false;
  endpoint.expiresIn = 3600;
  endpoint.grants.length = 0;
  refreshToken = endpoint.newRefreshToken();
  clock = new TestClock();
  rotated = [];
  refused = [];
  tokens = newProvider(SANDBOX);
});

function newProvider(guard: HostGuard): OAuthTokenProvider {
  return new OAuthTokenProvider({
    guard,
    clock,
    ca: TEST_TLS.ca,
    onRefreshTokenRotated: async (owner, token) => {
      rotated.push({ owner, refreshToken: token });
    },
    onRefreshRefused: (owner, oauthError) => {
      refused.push({ owner, oauthError });
    },
  });
}

function settingsOf() {
  return SmtpTransportSettingsSchema.parse({
    host: 'localhost',
    port: smtp.port,
    timeouts: { connectMs: 2000, greetingMs: 2000, socketMs: 5000 },
    auth: { type: 'oauth2', user: SMTP_USER, provider: 'custom', tokenUrl: endpoint.url, clientId: CLIENT_ID, scope: 'https://mail.google.com/' },
  });
}

function transport(provider = tokens): SmtpMailTransport {
  const settings = settingsOf();
  return new SmtpMailTransport({
    channelId: 'support',
    settings,
    guard: SANDBOX,
    ca: TEST_TLS.ca,
    credentials: { type: 'oauth2', tokens: provider, secrets: async () => ({ clientSecret: CLIENT_SECRET, refreshToken }) },
  });
}

const client = (): OAuthClient => ({
  channelId: 'support',
  user: SMTP_USER,
  endpoint: credentialEndpointKey(settingsOf()),
  tokenUrl: endpoint.url,
  clientId: CLIENT_ID,
  scope: 'https://mail.google.com/',
});
const secrets = async () => ({ clientSecret: CLIENT_SECRET, refreshToken });

describe('XOAUTH2 through the SMTP transport', () => {
  it('logs in with a token from the refresh grant and reuses it for the next send', async () => {
    // Act
    await transport().send(RAW, ENVELOPE, { messageId: '<a@x>' });
    await transport().send(RAW, ENVELOPE, { messageId: '<b@x>' });
    // Assert
    expect(endpoint.grants).toEqual(['refresh_token']);
    expect(smtp.authMethodsSeen.slice(-2)).toEqual(['XOAUTH2', 'XOAUTH2']);
    expect(smtp.received.at(-1)?.user).toBe(SMTP_USER);
  });

  it('drops a token the server refuses and logs in again with a fresh one', async () => {
    // Arrange
    await transport().send(RAW, ENVELOPE, { messageId: '<a@x>' });
    endpoint.expireAccessTokens();
    const before = smtp.received.length;
    // Act
    await transport().send(RAW, ENVELOPE, { messageId: '<b@x>' });
    // Assert
    expect(endpoint.grants).toEqual(['refresh_token', 'refresh_token']);
    expect(smtp.received.length).toBe(before + 1);
  });

  it('marks the transport unhealthy when the refresh token is revoked, and says so without a token', async () => {
    // Arrange
    endpoint.revoke(refreshToken);
    const before = smtp.received.length;
    // Act
    const error = await transport()
      .send(RAW, ENVELOPE, { messageId: '<a@x>' })
      .catch((e: unknown) => e);
    // Assert
    expect(error).toBeInstanceOf(TokenRefusedError);
    expect(error).toMatchObject({ code: 'credentials', retryable: false, oauthError: 'invalid_grant' });
    expect((error as Error).message).toBe(
      `token endpoint ${new URL(endpoint.url).host} refused the refresh token (invalid_grant): AADSTS70008: The refresh token has expired or was revoked.`,
    );
    expect(refused).toEqual([{ owner: { channelId: 'support', user: SMTP_USER, endpoint: credentialEndpointKey(settingsOf()) }, oauthError: 'invalid_grant' }]);
    expect(JSON.stringify(error) + (error as Error).message).not.toMatch(new RegExp(`${refreshToken}|${CLIENT_SECRET}`));
    expect(smtp.received.length).toBe(before);
  });
});

describe('OAuthTokenProvider', () => {
  it('refreshes before expiry: a tenth of the lifetime, at most five minutes, ahead', async () => {
    // Arrange
    endpoint.expiresIn = 600;
    const first = await tokens.accessToken(client(), secrets);
    // Act
    clock.advance(539_000);
    const stillCached = await tokens.accessToken(client(), secrets);
    clock.advance(2_000);
    const renewed = await tokens.accessToken(client(), secrets);
    // Assert
    expect(stillCached).toBe(first);
    expect(renewed).not.toBe(first);
    expect(endpoint.grants).toEqual(['refresh_token', 'refresh_token']);
  });

  it('runs one refresh for concurrent callers of the same mailbox', async () => {
    const all = await Promise.all([1, 2, 3, 4].map(() => tokens.accessToken(client(), secrets)));
    expect(new Set(all).size).toBe(1);
    expect(endpoint.grants).toEqual(['refresh_token']);
  });

  it('hands a rotated refresh token to the caller to store, and uses it for the next refresh', async () => {
    // Arrange
    endpoint.rotate = true;
    // Act
    await tokens.accessToken(client(), secrets);
    await tokens.accessToken(client(), secrets, { forceRefresh: true });
    // Assert: the endpoint refuses a rotated token's reuse, so the second refresh used the new one.
    expect(rotated).toHaveLength(2);
    expect(rotated[0]?.owner).toEqual({ channelId: 'support', user: SMTP_USER, endpoint: credentialEndpointKey(settingsOf()) });
    expect(rotated[0]?.refreshToken).not.toBe(refreshToken);
    expect(rotated[1]?.refreshToken).not.toBe(rotated[0]?.refreshToken);
    expect(refused).toEqual([]);
  });

  it('treats an outage of the token endpoint as retryable, not as refused credentials', async () => {
    // Arrange
    endpoint.failNext = [503];
    // Act
    const error = await tokens.accessToken(client(), secrets).catch((e: unknown) => e);
    // Assert
    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({ code: 'dependency-unavailable', retryable: true });
    expect(refused).toEqual([]);
  });

  it('reports a wrong client secret as refused credentials', async () => {
    const error = await tokens.accessToken(client(), async () => ({ clientSecret: 'nope', refreshToken })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'credentials', oauthError: 'invalid_client' });
  });

  it("exchanges the admin's consent code for a refresh token, once", async () => {
    // Arrange
    const code = endpoint.authorizationCode();
    const input = { code, redirectUri: REDIRECT_URI, clientSecret: CLIENT_SECRET };
    // Act
    const grant = await tokens.exchangeAuthorizationCode(client(), input);
    const again = await tokens.exchangeAuthorizationCode(client(), input).catch((e: unknown) => e);
    // Assert
    expect(grant.refreshToken).toMatch(/^rt-/);
    expect(endpoint.isValid(grant.accessToken)).toBe(true);
    expect(grant.expiresAt.getTime()).toBe(clock.now().getTime() + 3_600_000);
    expect(again).toBeInstanceOf(TokenRefusedError);
    expect((again as Error).message).toContain('refused the authorization code (invalid_grant): AADSTS54005');
    expect((await tokens.accessToken(client(), async () => ({ clientSecret: CLIENT_SECRET, refreshToken: grant.refreshToken }))).startsWith('at-')).toBe(true);
  });

  it('reaches the token endpoint only through the host guard', async () => {
    // Arrange
    const guarded = newProvider(new HostGuard());
    // Act
    const error = await guarded.accessToken(client(), secrets).catch((e: unknown) => e);
    // Assert
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as Error).message).toBe('host localhost (resolves to 127.0.0.1) is a loopback address, which outbound connections may not reach');
    expect(endpoint.grants).toEqual([]);
  });

  it('verifies the certificate of the token endpoint', async () => {
    const untrusting = new OAuthTokenProvider({ guard: SANDBOX });
    const error = await untrusting.accessToken(client(), secrets).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'dependency-rejected', message: expect.stringContaining('TLS verification failed') });
    expect(endpoint.grants).toEqual([]);
  });
});
