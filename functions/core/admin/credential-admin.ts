import { PolicyError, ValidationError } from '../errors.ts';
import type { ChannelResource, CredentialHealth, CredentialStatus, SecretKind } from '../model/admin-resources.ts';
import { type ChannelOAuthClient, channelOAuthClient, secretEndpointKey } from '../model/channel-credentials.ts';
import { authorizationUrl, type SmtpTransportSettings } from '../model/transport-settings.ts';
import type { ChannelStore, CredentialStore, StoredCredentials } from '../ports/admin.ts';
import type { SecretCipher, SecretContext, SecretPurpose } from '../ports/outbound.ts';
import { recordChange, type AdminRequest, type AuditDeps } from './admin-context.ts';
import { channelOf } from './rule-admin.ts';

/** The OAuth authorization-code exchange (RFC 6749 §4.1.3). */
export interface CodeExchange {
  exchange(
    client: { readonly tokenUrl: string; readonly clientId: string; readonly scope: string },
    input: { readonly code: string; readonly redirectUri: string; readonly clientSecret: string },
  ): Promise<{ readonly refreshToken: string }>;
}

/** Checks a channel's SMTP login (and sends a test mail when `to` is given). Never returns a secret. */
export interface TransportTester {
  test(input: {
    readonly channelId: string;
    readonly settings: SmtpTransportSettings;
    readonly stored: StoredCredentials;
    readonly from: string;
    readonly to: string | null;
  }): Promise<{ readonly ok: boolean; readonly detail: string }>;
}

export interface CredentialAdminDeps extends AuditDeps {
  readonly channels: ChannelStore;
  readonly credentials: CredentialStore;
  readonly cipher: SecretCipher;
  readonly oauth: CodeExchange;
  readonly tester: TransportTester;
}

const PURPOSE: Record<SecretKind, SecretPurpose> = {
  smtpPassword: 'smtp-password',
  sourcePassword: 'source-password',
  oauthClientSecret: 'oauth-client-secret',
  oauthRefreshToken: 'oauth-refresh-token',
};

const UNKNOWN: CredentialHealth = { status: 'unknown', checkedAt: null, detail: null };

/** How long a consent's `state` can be exchanged: long enough to sign in, short enough to be useless later. */
export const OAUTH_STATE_TTL_MS = 15 * 60_000;

/** The secrets a channel's logins use (SMTP and mailbox source); the OAuth ones once for both. */
export function secretsOf(channel: ChannelResource): readonly SecretKind[] {
  const kinds: SecretKind[] = [];
  if (channel.smtp?.auth.type === 'password') kinds.push('smtpPassword');
  if ((channel.source.type === 'imap' || channel.source.type === 'pop3') && channel.source.auth === 'password') kinds.push('sourcePassword');
  const oauth = channelOAuthClient(channel);
  if (oauth) kinds.push(...(oauth.grant === 'client_credentials' ? (['oauthClientSecret'] as const) : (['oauthClientSecret', 'oauthRefreshToken'] as const)));
  return kinds;
}

/** The encryption context of a channel's secret: bound to the endpoint settings it is used with. */
export function contextOf(channel: ChannelResource, purpose: SecretPurpose): SecretContext {
  return { channelId: channel.id, purpose, endpoint: secretEndpointKey(channel, purpose) };
}

/**
 * The SMTP transport settings of a channel (its outbound part, `outbound.smtp` or an SMTP
 * `outbound.transport`), or a `PolicyError` when it has none: secrets make sense only for one.
 */
export function smtpSettingsOf(channel: ChannelResource): SmtpTransportSettings {
  if (!channel.smtp) throw new PolicyError('policy', `channel ${channel.id} has no SMTP settings (smtp): set them first`);
  return channel.smtp;
}

/** The channel's OAuth client that an admin consents to (authorization code), or a `PolicyError`. */
function consentClientOf(channel: ChannelResource): ChannelOAuthClient {
  const client = channelOAuthClient(channel);
  if (!client) throw new PolicyError('policy', `channel ${channel.id} logs in with a password, not OAuth 2.0`);
  if (client.grant === 'client_credentials')
    throw new PolicyError(
      'policy',
      `channel ${channel.id} reads its mailbox with the application's own permission (client credentials): there is no consent to give`,
    );
  return client;
}

/** What is stored, since when, and how the last check went; never a value. */
export async function credentialStatus(deps: Pick<CredentialAdminDeps, 'channels' | 'credentials'>, channelId: string): Promise<CredentialStatus> {
  await channelOf(deps, channelId);
  const stored = await deps.credentials.get(channelId);
  const status = (kind: SecretKind) => ({ set: Boolean(stored?.ciphertexts[kind]), setAt: stored?.setAt[kind] ?? null });
  return {
    channelId,
    smtpPassword: status('smtpPassword'),
    sourcePassword: status('sourcePassword'),
    oauthClientSecret: status('oauthClientSecret'),
    oauthRefreshToken: status('oauthRefreshToken'),
    health: stored?.health ?? UNKNOWN,
  };
}

/**
 * Sets or rotates one secret, encrypted under the channel, purpose and the channel's current
 * endpoint settings; only the ciphertext is stored. A secret the channel's login does not use is
 * refused (`PolicyError`): it could only wait for an endpoint it was never meant for.
 */
export async function setSecret(
  deps: CredentialAdminDeps,
  request: AdminRequest,
  channelId: string,
  kind: SecretKind,
  plaintext: string,
): Promise<CredentialStatus> {
  const channel = (await channelOf(deps, channelId)).value;
  if (plaintext.length === 0) throw new ValidationError(`${kind}: must not be empty`, [{ path: kind, message: 'must not be empty' }]);
  const uses = secretsOf(channel);
  if (kind === 'oauthRefreshToken' || !uses.includes(kind)) {
    const what =
      uses
        .filter((k) => k !== 'oauthRefreshToken')
        .map((k) => PURPOSE[k])
        .join(', ') || 'no secret';
    throw new PolicyError('policy', `channel ${channelId} does not use a ${PURPOSE[kind]} (its logins use: ${what})`);
  }
  const ciphertext = await deps.cipher.encrypt(plaintext, contextOf(channel, PURPOSE[kind]));
  await deps.credentials.putSecret(channelId, kind, ciphertext, deps.clock.now().toISOString());
  await recordChange(deps, request, 'credentials.set', { type: 'channel-credentials', id: channelId }, [kind]);
  return credentialStatus(deps, channelId);
}

/**
 * The consent page an admin opens; the provider sends them back with `?code=` and `state` for
 * `exchangeCode`. The state is recorded (not a secret) for `OAUTH_STATE_TTL_MS`: only a code
 * that comes back with it is exchanged, once.
 */
export async function consentUrl(
  deps: Pick<CredentialAdminDeps, 'channels' | 'credentials' | 'clock'>,
  channelId: string,
  input: { readonly state: string; readonly redirectUri?: string | undefined },
): Promise<{ readonly url: string; readonly expiresAt: string }> {
  const { auth, scope } = consentClientOf((await channelOf(deps, channelId)).value);
  const url = authorizationUrl({ ...auth, scope }, { state: input.state, ...(input.redirectUri ? { redirectUri: input.redirectUri } : {}) });
  if (!url) throw new PolicyError('policy', `channel ${channelId} has no authorize URL or redirect URI in its OAuth settings`);
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + OAUTH_STATE_TTL_MS).toISOString();
  await deps.credentials.putOAuthState(channelId, input.state, expiresAt, now.toISOString());
  return { url, expiresAt };
}

/**
 * Exchanges the consent code for a refresh token and stores it encrypted: no admin ever handles
 * one. The `state` must be one a consent of this channel handed out, unexpired and unused.
 */
export async function exchangeCode(
  deps: CredentialAdminDeps,
  request: AdminRequest,
  channelId: string,
  input: { readonly code: string; readonly state: string; readonly redirectUri?: string | undefined },
): Promise<CredentialStatus> {
  const channel = (await channelOf(deps, channelId)).value;
  const client = consentClientOf(channel);
  const { auth } = client;
  const redirectUri = input.redirectUri ?? auth.redirectUri;
  if (!redirectUri)
    throw new ValidationError('redirectUri: the channel has none; send the one the consent used', [
      { path: 'redirectUri', message: "required: the channel's OAuth settings have none" },
    ]);
  const stored = await deps.credentials.get(channelId);
  const secret = stored?.ciphertexts.oauthClientSecret;
  if (!secret) throw new PolicyError('policy', `channel ${channelId} has no OAuth client secret: set it first`);
  if (!(await deps.credentials.takeOAuthState(channelId, input.state, deps.clock.now().toISOString()))) {
    const message = 'not handed out by a consent of this channel, expired (15 minutes) or used already: start the consent again';
    throw new ValidationError(`state: ${message}`, [{ path: 'state', message }]);
  }
  const clientSecret = await deps.cipher.decrypt(secret, contextOf(channel, 'oauth-client-secret'));
  const grant = await deps.oauth.exchange(
    { tokenUrl: client.tokenUrl, clientId: auth.clientId, scope: client.scope },
    { code: input.code, redirectUri, clientSecret },
  );
  const ciphertext = await deps.cipher.encrypt(grant.refreshToken, contextOf(channel, 'oauth-refresh-token'));
  const at = deps.clock.now().toISOString();
  await deps.credentials.putSecret(channelId, 'oauthRefreshToken', ciphertext, at);
  await deps.credentials.putHealth(channelId, { status: 'healthy', checkedAt: at, detail: 'authorization code exchanged for a refresh token' });
  await recordChange(deps, request, 'credentials.oauth-exchange', { type: 'channel-credentials', id: channelId }, ['oauthRefreshToken']);
  return credentialStatus(deps, channelId);
}

/**
 * Logs in to the channel's SMTP server (and sends a test mail to `to`), and records whether that
 * worked. Refused (`PolicyError`, nothing sent anywhere) while a secret the login needs is unset.
 */
export async function testCredentials(deps: CredentialAdminDeps, request: AdminRequest, channelId: string, to: string | null): Promise<CredentialStatus> {
  const channel = (await channelOf(deps, channelId)).value;
  const settings = smtpSettingsOf(channel);
  const stored = (await deps.credentials.get(channelId)) ?? { ciphertexts: {}, setAt: {}, health: UNKNOWN };
  const missing = secretsOf({ ...channel, source: { type: 'ses' } }).filter((kind) => !stored.ciphertexts[kind]);
  if (missing.length > 0) {
    const why = stored.health.status === 'unset' && stored.health.detail ? ` (${stored.health.detail})` : '';
    throw new PolicyError('policy', `credentials unset: channel ${channelId} has no ${missing.join(', ')}${why}`);
  }
  const result = await deps.tester.test({ channelId, settings, stored, from: channel.address, to });
  await deps.credentials.putHealth(channelId, { status: result.ok ? 'healthy' : 'failing', checkedAt: deps.clock.now().toISOString(), detail: result.detail });
  await recordChange(deps, request, 'credentials.test', { type: 'channel-credentials', id: channelId }, ['health']);
  return credentialStatus(deps, channelId);
}
