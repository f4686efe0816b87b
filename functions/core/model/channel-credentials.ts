import { credentialEndpoint, credentialEndpointKey, endpointChanges } from './credential-endpoint.ts';
import type { MailSource } from './mail-source.ts';
import { OAUTH_PRESETS, oauthEndpoints, type OAuth2Auth, type SmtpTransportSettings } from './transport-settings.ts';

/**
 * Which stored secret serves which setting of a channel, and the endpoint each is bound to. A
 * channel has at most one OAuth 2.0 client: the SMTP transport's, or the mailbox source's, and a
 * source that logs in with OAuth but names no client of its own uses the SMTP one, so one consent
 * serves both directions.
 */

/** What a channel's credential settings are read from. */
export interface CredentialSettings {
  readonly id: string;
  readonly smtp: SmtpTransportSettings | null;
  readonly source: MailSource;
}

export type SecretPurposeName = 'smtp-password' | 'source-password' | 'oauth-client-secret' | 'oauth-refresh-token';

/** The OAuth client of a channel with the grant it uses, presets applied; scope covers every direction that uses it. */
export interface ChannelOAuthClient {
  readonly grant: 'authorization_code' | 'client_credentials';
  readonly auth: OAuth2Auth;
  readonly tokenUrl: string;
  readonly authorizeUrl: string | null;
  readonly scope: string;
}

const MICROSOFT_MAIL = 'https://outlook.office.com';
const SOURCE_SCOPES = { imap: `${MICROSOFT_MAIL}/IMAP.AccessAsUser.All`, pop3: `${MICROSOFT_MAIL}/POP.AccessAsUser.All` } as const;

/** The source's login fields a secret is bound to: where it goes and as whom. Empty for SES. */
export function sourceEndpoint(source: MailSource): ReadonlyMap<string, string | number | null> {
  if (source.type === 'ses') return new Map();
  if (source.type === 'graph') {
    return new Map<string, string | number | null>([
      ['source.type', 'graph'],
      ['source.tenantId', source.tenantId],
      ['source.mailbox', source.mailbox],
      ['source.auth', source.auth],
      ['source.clientId', source.clientId],
      ['source.graphUrl', source.graphUrl],
      ['source.loginUrl', source.loginUrl],
    ]);
  }
  const fields = new Map<string, string | number | null>([
    ['source.type', source.type],
    ['source.host', source.host],
    ['source.port', source.port ?? null],
    ['source.security', source.security],
    ['source.user', source.user],
    ['source.auth', source.auth],
  ]);
  if (source.oauth) {
    for (const [k, v] of Object.entries(source.oauth)) fields.set(`source.oauth.${k}`, v ?? null);
  }
  return fields;
}

/** True when the mailbox source logs in with OAuth 2.0 (IMAP/POP3 XOAUTH2, or Graph in any mode). */
export function sourceUsesOAuth(source: MailSource): boolean {
  return source.type === 'graph' || ((source.type === 'imap' || source.type === 'pop3') && source.auth === 'oauth2');
}

function smtpOAuth(channel: CredentialSettings): OAuth2Auth | null {
  return channel.smtp?.auth.type === 'oauth2' ? channel.smtp.auth : null;
}

/** The channel's OAuth client, or null when nothing of it logs in with OAuth. */
export function channelOAuthClient(channel: CredentialSettings): ChannelOAuthClient | null {
  const { source } = channel;
  const smtp = smtpOAuth(channel);
  if (source.type === 'graph') {
    const base = source.loginUrl.replace(/\/+$/, '');
    const graphOrigin = new URL(source.graphUrl).origin;
    const delegated = source.auth === 'delegated';
    const auth: OAuth2Auth = {
      type: 'oauth2',
      user: source.mailbox,
      provider: 'custom',
      clientId: source.clientId,
      tokenUrl: `${base}/${source.tenantId}/oauth2/v2.0/token`,
      authorizeUrl: `${base}/${source.tenantId}/oauth2/v2.0/authorize`,
      scope: delegated ? `${graphOrigin}/Mail.ReadWrite offline_access` : `${graphOrigin}/.default`,
    };
    return {
      grant: delegated ? 'authorization_code' : 'client_credentials',
      auth,
      tokenUrl: auth.tokenUrl ?? '',
      authorizeUrl: delegated ? (auth.authorizeUrl ?? null) : null,
      scope: auth.scope ?? '',
    };
  }
  const sourceOAuth = (source.type === 'imap' || source.type === 'pop3') && source.auth === 'oauth2' ? source : null;
  if (sourceOAuth?.oauth) {
    const own = sourceOAuth.oauth;
    const preset =
      own.provider === 'microsoft' ? `${SOURCE_SCOPES[sourceOAuth.type]} offline_access` : own.provider === 'google' ? OAUTH_PRESETS.google.scope : '';
    const auth: OAuth2Auth = { type: 'oauth2', user: sourceOAuth.user, ...own, scope: own.scope ?? preset };
    return codeClient(auth);
  }
  if (!smtp) return null;
  if (!sourceOAuth || smtp.scope) return codeClient(smtp);
  // One consent for both directions: the preset scope asks for sending and for reading the mailbox.
  const scope = smtp.provider === 'microsoft' ? `${MICROSOFT_MAIL}/SMTP.Send ${SOURCE_SCOPES[sourceOAuth.type]} offline_access` : oauthEndpoints(smtp).scope;
  return codeClient({ ...smtp, scope });
}

function codeClient(auth: OAuth2Auth): ChannelOAuthClient {
  const endpoints = oauthEndpoints(auth);
  return { grant: 'authorization_code', auth, ...endpoints };
}

/**
 * The endpoint a secret of this purpose is bound to (part of its encryption context). The SMTP
 * password and an SMTP-only OAuth client keep the key they always had; a source's password is
 * bound to the source's login fields, and an OAuth client a source uses to both directions' fields.
 */
export function secretEndpointKey(channel: CredentialSettings, purpose: SecretPurposeName): string {
  if (purpose === 'smtp-password') return channel.smtp ? credentialEndpointKey(channel.smtp) : 'v1:[]';
  if (purpose === 'source-password') return `v1:${JSON.stringify([...sourceEndpoint(channel.source)])}`;
  const smtp = channel.smtp && smtpOAuth(channel) ? channel.smtp : null;
  if (!sourceUsesOAuth(channel.source)) return smtp ? credentialEndpointKey(smtp) : 'v1:[]';
  const client = channelOAuthClient(channel);
  const fields = [...(smtp ? credentialEndpoint(smtp) : []), ...sourceEndpoint(channel.source), ['oauth.scope', client?.scope ?? null]];
  return `v1:${JSON.stringify(fields)}`;
}

/**
 * The endpoint settings that differ between two versions of a channel (SMTP and source): any of
 * them changed clears the channel's secrets. Empty: the stored secrets still apply.
 */
export function channelEndpointChanges(before: CredentialSettings, after: CredentialSettings): string[] {
  const smtp: string[] = endpointChanges(before.smtp, after.smtp);
  const a = sourceEndpoint(before.source);
  const b = sourceEndpoint(after.source);
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...smtp, ...[...keys].filter((k) => a.get(k) !== b.get(k))];
}
