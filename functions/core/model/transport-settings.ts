import { z } from 'zod';
import { TEXT_LIMITS } from './fields.ts';

/**
 * A channel's own SMTP server (OUT-2). Secrets are not part of this model: the SMTP password,
 * the OAuth client secret and the refresh token are stored apart, as ciphertext bound to the
 * channel (`SecretCipher`), and never come back out of the API.
 */

/** OAuth 2.0 endpoints and scope of the providers Postroom knows. */
export const OAUTH_PRESETS = {
  microsoft: {
    tokenUrl: (tenant: string): string => `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/token`,
    authorizeUrl: (tenant: string): string => `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/authorize`,
    // `offline_access` is what makes the token endpoint hand out a refresh token.
    scope: 'https://outlook.office.com/SMTP.Send offline_access',
    defaultTenant: 'common',
  },
  google: {
    tokenUrl: (): string => 'https://oauth2.googleapis.com/token',
    authorizeUrl: (): string => 'https://accounts.google.com/o/oauth2/v2/auth',
    scope: 'https://mail.google.com/',
  },
} as const;

export const OAUTH_PROVIDERS = ['microsoft', 'google', 'custom'] as const;
export type OAuthProvider = (typeof OAUTH_PROVIDERS)[number];

const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HOSTNAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const HEX_GROUP = /^[0-9a-f]{1,4}$/i;

/** A DNS name whose last label is no number: `0x7f.1` or `127.1` are IPv4 in disguise. */
function isHostname(text: string): boolean {
  const last = text.slice(text.lastIndexOf('.') + 1);
  return HOSTNAME.test(text) && !/^(?:\d+|0x[0-9a-f]*)$/i.test(last);
}

/** True for an IPv6 literal without brackets or zone (`::1`, `fc00::1`, `::ffff:10.0.0.1`). */
export function isIpv6Literal(text: string): boolean {
  const halves = text.split('::');
  if (halves.length > 2 || !text.includes(':')) return false;
  const groups = halves.flatMap((h) => (h === '' ? [] : h.split(':')));
  const last = groups[groups.length - 1];
  const v4Tail = last !== undefined && IPV4.test(last);
  const hex = v4Tail ? groups.slice(0, -1) : groups;
  if (!hex.every((g) => HEX_GROUP.test(g))) return false;
  const width = hex.length + (v4Tail ? 2 : 0);
  return halves.length === 2 ? width < 8 : width === 8;
}

/** A host name or IP literal; no scheme, port, path, user info or brackets survive. */
export const SmtpHostSchema = z
  .string()
  .max(TEXT_LIMITS.domain + 2)
  .trim()
  .transform((h) => (h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h).toLowerCase())
  .refine((h) => IPV4.test(h) || isIpv6Literal(h) || isHostname(h), {
    message: 'a host name or IP address, without scheme, port or path',
  });

/** One SMTP line-safe value: no CR, LF or NUL (they would end the AUTH or XOAUTH2 line). */
const LineSafe = z
  .string()
  .min(1)
  .max(320)
  .regex(/^[^\r\n\0]+$/, 'no line breaks');

function httpsUrl(what: string, options: { loopbackHttp?: boolean } = {}) {
  return z
    .url({ error: `${what} must be a URL` })
    .max(TEXT_LIMITS.url)
    .superRefine((value, ctx) => {
      // Refinements run after a failed format check too: an unparsable value has its issue already.
      if (!URL.canParse(value)) return;
      const url = new URL(value);
      const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
      if (url.protocol !== 'https:' && !(options.loopbackHttp && url.protocol === 'http:' && loopback)) {
        ctx.addIssue({ code: 'custom', message: `${what} must use https` });
      }
      if (url.username || url.password) ctx.addIssue({ code: 'custom', message: `${what} must not carry credentials` });
      if (url.hash) ctx.addIssue({ code: 'custom', message: `${what} must not have a fragment` });
    });
}

export const PasswordAuthSchema = z.strictObject({
  type: z.literal('password'),
  user: LineSafe,
});

export const OAuth2AuthSchema = z
  .strictObject({
    type: z.literal('oauth2'),
    /** The mailbox the token is for; sent in the XOAUTH2 line. */
    user: LineSafe,
    provider: z.enum(OAUTH_PROVIDERS),
    /** Microsoft only: tenant id or domain; `common` when absent. */
    tenant: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,99}$/, 'a tenant id or domain')
      .optional(),
    /** Custom provider only: the token endpoint (https). */
    tokenUrl: httpsUrl('tokenUrl').optional(),
    /** Custom provider only: the consent page the admin opens for the authorization code. */
    authorizeUrl: httpsUrl('authorizeUrl').optional(),
    clientId: LineSafe,
    /** Space-separated scopes; the preset's scope when absent. */
    scope: z
      .string()
      .min(1)
      .max(1000)
      .regex(/^[\x21\x23-\x5b\x5d-\x7e]+(?: [\x21\x23-\x5b\x5d-\x7e]+)*$/, 'space-separated scope tokens')
      .optional(),
    /** Where the consent page sends the admin back with `?code=`; registered with the provider. */
    redirectUri: httpsUrl('redirectUri', { loopbackHttp: true }).optional(),
  })
  .superRefine((auth, ctx) => {
    const issue = (path: string, message: string): void => ctx.addIssue({ code: 'custom', path: [path], message });
    if (auth.provider === 'custom' && !auth.tokenUrl) issue('tokenUrl', 'a custom provider needs a https token URL');
    if (auth.provider !== 'custom' && auth.tokenUrl) issue('tokenUrl', `the ${auth.provider} preset sets the token URL; use provider custom for another`);
    if (auth.provider !== 'custom' && auth.authorizeUrl) issue('authorizeUrl', `the ${auth.provider} preset sets the authorize URL`);
    if (auth.provider !== 'microsoft' && auth.tenant) issue('tenant', 'only the microsoft provider has a tenant');
    if (auth.provider === 'custom' && !auth.scope) issue('scope', 'a custom provider needs a scope');
  });

export const SmtpAuthSchema = z.discriminatedUnion('type', [PasswordAuthSchema, OAuth2AuthSchema]);
export type SmtpAuth = z.infer<typeof SmtpAuthSchema>;
export type OAuth2Auth = z.infer<typeof OAuth2AuthSchema>;

export const SmtpTimeoutsSchema = z.strictObject({
  /** TCP connect (and TLS handshake for implicit TLS). */
  connectMs: z.number().int().min(1000).max(120_000).default(10_000),
  /** Waiting for the 220 greeting. */
  greetingMs: z.number().int().min(1000).max(120_000).default(10_000),
  /** Idle socket during the session. */
  socketMs: z.number().int().min(1000).max(600_000).default(30_000),
});

export const SmtpTransportSettingsSchema = z
  .strictObject({
    host: SmtpHostSchema,
    /** 465 for implicit TLS, 587 for STARTTLS when absent. */
    port: z.number().int().min(1).max(65_535).optional(),
    /** `tls`: TLS from the first byte (port 465). `starttls`: plain connect, then STARTTLS. */
    security: z.enum(['tls', 'starttls']).default('starttls'),
    /**
     * Never send in clear: with STARTTLS, a server that does not offer it (or fails it) fails
     * the send. Off, a server without STARTTLS gets the mail in clear.
     * @default true
     */
    forceTls: z.boolean().default(true),
    timeouts: SmtpTimeoutsSchema.default(SmtpTimeoutsSchema.parse({})),
    auth: SmtpAuthSchema,
  })
  .transform((s) => ({ ...s, port: s.port ?? (s.security === 'tls' ? 465 : 587) }));
export type SmtpTransportSettings = z.infer<typeof SmtpTransportSettingsSchema>;
export type SmtpTransportSettingsInput = z.input<typeof SmtpTransportSettingsSchema>;

/** Token endpoint, consent page and scope of an OAuth 2.0 setting, presets applied. */
export interface OAuthEndpoints {
  readonly tokenUrl: string;
  readonly authorizeUrl: string | null;
  readonly scope: string;
}

export function oauthEndpoints(auth: OAuth2Auth): OAuthEndpoints {
  if (auth.provider === 'microsoft') {
    const tenant = auth.tenant ?? OAUTH_PRESETS.microsoft.defaultTenant;
    const p = OAUTH_PRESETS.microsoft;
    return { tokenUrl: p.tokenUrl(tenant), authorizeUrl: p.authorizeUrl(tenant), scope: auth.scope ?? p.scope };
  }
  if (auth.provider === 'google') {
    const p = OAUTH_PRESETS.google;
    return { tokenUrl: p.tokenUrl(), authorizeUrl: p.authorizeUrl(), scope: auth.scope ?? p.scope };
  }
  // The schema makes tokenUrl and scope present for a custom provider.
  return { tokenUrl: auth.tokenUrl ?? '', authorizeUrl: auth.authorizeUrl ?? null, scope: auth.scope ?? '' };
}

/**
 * The consent page an admin opens to grant Postroom the mailbox; the provider then redirects to
 * `redirectUri?code=…&state=…`, and the admin pastes the code back. Null without an authorize URL.
 */
export function authorizationUrl(auth: OAuth2Auth, options: { readonly state: string; readonly redirectUri?: string }): string | null {
  const { authorizeUrl, scope } = oauthEndpoints(auth);
  const redirectUri = options.redirectUri ?? auth.redirectUri;
  if (!authorizeUrl || !redirectUri) return null;
  const url = new URL(authorizeUrl);
  const params: Record<string, string> = {
    client_id: auth.clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope,
    state: options.state,
  };
  // Google hands out a refresh token only for offline access, and again only on a fresh consent.
  if (auth.provider === 'google') Object.assign(params, { access_type: 'offline', prompt: 'consent' });
  if (auth.provider === 'microsoft') params.response_mode = 'query';
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}
