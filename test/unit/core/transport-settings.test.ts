import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/core/errors.ts';
import {
  OAuth2AuthSchema,
  SmtpTransportSettingsSchema,
  authorizationUrl,
  isIpv6Literal,
  oauthEndpoints,
  type OAuth2Auth,
} from '../../../functions/core/model/transport-settings.ts';
import { parseOrThrow } from '../../../functions/core/validation.ts';

const password = { type: 'password', user: 'support@example.com' } as const;
const parse = (input: unknown) => parseOrThrow(SmtpTransportSettingsSchema, input, 'smtp settings');
const problem = (input: unknown): string => {
  try {
    parse(input);
    return 'accepted';
  } catch (e) {
    return e instanceof ValidationError ? e.message : String(e);
  }
};

describe('SmtpTransportSettingsSchema', () => {
  it('defaults to STARTTLS on 587 with Force TLS on, and implicit TLS to 465', () => {
    // Act
    const starttls = parse({ host: 'SMTP.Example.com', auth: password });
    const tls = parse({ host: 'smtp.example.com', security: 'tls', auth: password });
    // Assert
    expect(starttls).toEqual({
      host: 'smtp.example.com',
      port: 587,
      security: 'starttls',
      forceTls: true,
      timeouts: { connectMs: 10_000, greetingMs: 10_000, socketMs: 30_000 },
      auth: password,
    });
    expect(tls).toMatchObject({ port: 465, security: 'tls' });
  });

  it.each([
    'smtp://smtp.example.com',
    'smtp.example.com:587',
    'smtp.example.com/path',
    'user@smtp.example.com',
    '-bad.example.com',
    '127.1',
    '0x7f.1',
    '1.2.3.256',
    '',
  ])('refuses host %j', (host) => {
    expect(problem({ host, auth: password })).toContain('host: a host name or IP address, without scheme, port or path');
  });

  it('takes IP literals, IPv6 with or without brackets', () => {
    expect(parse({ host: '[2001:DB8::25]', auth: password }).host).toBe('2001:db8::25');
    expect(parse({ host: '192.0.2.25', auth: password }).host).toBe('192.0.2.25');
    expect(['::1', '::ffff:10.0.0.1', '1:2:3:4:5:6:7:8', 'fe80::'].every(isIpv6Literal)).toBe(true);
    expect(['1:2:3:4:5:6:7:8:9', ':::1', '1::2::3', 'g::1', 'localhost'].some(isIpv6Literal)).toBe(false);
  });

  it('keeps secrets out: a password or refresh token in the settings is refused, not silently kept', () => {
    expect(problem({ host: 'smtp.example.com', auth: { ...password, password: 'hunter2' } })).toMatch(/auth.password: unknown field/);
    const oauth = { type: 'oauth2', user: 'a@example.com', provider: 'google', clientId: 'id', refreshToken: 'r' };
    expect(problem({ host: 'smtp.example.com', auth: oauth })).toMatch(/auth.refreshToken: unknown field/);
    expect(problem({ host: 'smtp.example.com', auth: { ...password, user: 'a@example.com\r\nRCPT TO:<x>' } })).toContain('auth.user: no line breaks');
  });
});

describe('OAuth2AuthSchema', () => {
  const base = { type: 'oauth2', user: 'support@example.com', clientId: 'client-1' } as const;

  it('needs a https token URL and a scope for a custom provider', () => {
    const custom = OAuth2AuthSchema.safeParse({ ...base, provider: 'custom' });
    const http = OAuth2AuthSchema.safeParse({ ...base, provider: 'custom', tokenUrl: 'http://idp.example.com/token', scope: 'smtp' });
    const creds = OAuth2AuthSchema.safeParse({ ...base, provider: 'custom', tokenUrl: 'https://u:p@idp.example.com/token', scope: 'smtp' });
    expect(custom.error?.issues.map((i) => i.message)).toEqual(['a custom provider needs a https token URL', 'a custom provider needs a scope']);
    expect(http.error?.issues.map((i) => i.message)).toEqual(['tokenUrl must use https']);
    expect(creds.error?.issues.map((i) => i.message)).toEqual(['tokenUrl must not carry credentials']);
  });

  it('names an unparsable or overlong token URL as an issue instead of throwing', () => {
    const bad = OAuth2AuthSchema.safeParse({ ...base, provider: 'custom', tokenUrl: 'not a url', scope: 'smtp' });
    const long = OAuth2AuthSchema.safeParse({ ...base, provider: 'custom', tokenUrl: `https://idp.example.com/${'x'.repeat(2048)}`, scope: 'smtp' });
    expect(bad.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(['tokenUrl: tokenUrl must be a URL']);
    expect(long.error?.issues.map((i) => `${i.path.join('.')}: ${i.code}`)).toEqual(['tokenUrl: too_big']);
  });

  it('refuses a token URL or tenant that the preset does not take', () => {
    const result = OAuth2AuthSchema.safeParse({ ...base, provider: 'google', tokenUrl: 'https://evil.example/token', tenant: 'contoso.com' });
    expect(result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'tokenUrl: the google preset sets the token URL; use provider custom for another',
      'tenant: only the microsoft provider has a tenant',
    ]);
    expect(OAuth2AuthSchema.safeParse({ ...base, provider: 'microsoft', tenant: 'contoso.com/../x' }).success).toBe(false);
  });

  it('resolves the Microsoft and Google presets', () => {
    const ms = OAuth2AuthSchema.parse({ ...base, provider: 'microsoft', tenant: 'contoso.onmicrosoft.com' });
    const msCommon = OAuth2AuthSchema.parse({ ...base, provider: 'microsoft' });
    const google = OAuth2AuthSchema.parse({ ...base, provider: 'google' });
    expect(oauthEndpoints(ms)).toEqual({
      tokenUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
      authorizeUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize',
      scope: 'https://outlook.office.com/SMTP.Send offline_access',
    });
    expect(oauthEndpoints(msCommon).tokenUrl).toBe('https://login.microsoftonline.com/common/oauth2/v2.0/token');
    expect(oauthEndpoints(google)).toEqual({
      tokenUrl: 'https://oauth2.googleapis.com/token',
      authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
      scope: 'https://mail.google.com/',
    });
  });

  it('builds the consent URL the admin opens, asking Google for offline access', () => {
    // Arrange
    const google: OAuth2Auth = OAuth2AuthSchema.parse({ ...base, provider: 'google', redirectUri: 'https://admin.example.com/oauth/callback' });
    // Act
    const url = new URL(authorizationUrl(google, { state: 's-1' }) ?? '');
    // Assert
    expect(url.origin + url.pathname).toBe('https://accounts.google.com/o/oauth2/v2/auth');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'client-1',
      response_type: 'code',
      redirect_uri: 'https://admin.example.com/oauth/callback',
      scope: 'https://mail.google.com/',
      state: 's-1',
      access_type: 'offline',
      prompt: 'consent',
    });
    expect(authorizationUrl({ ...google, redirectUri: undefined }, { state: 's' })).toBeNull();
  });
});
