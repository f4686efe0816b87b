import { PolicyError, ValidationError } from '../errors.ts';
import type { ChannelResource, CredentialHealth, CredentialStatus, SecretKind } from '../model/admin-resources.ts';
import { credentialEndpointKey } from '../model/credential-endpoint.ts';
import { authorizationUrl, oauthEndpoints, type OAuth2Auth, type SmtpAuth, type SmtpTransportSettings } from '../model/transport-settings.ts';
import type { ChannelStore, CredentialStore, StoredCredentials } from '../ports/admin.ts';
import type { SecretCipher, SecretContext, SecretPurpose } from '../ports/outbound.ts';
import { recordChange, type AdminRequest, type AuditDeps } from './admin-context.ts';
import { channelOf } from './rule-admin.ts';

/** The OAuth authorization-code exchange (RFC 6749 §4.1.3). */
export interface CodeExchange {
  exchange(client: { readonly tokenUrl: string; readonly clientId: string; readonly scope: string }, input: { readonly code: string; readonly redirectUri: string; readonly clientSecret: string }): Promise<{ readonly refreshToken: string }>;
}

/** Checks a channel's SMTP login (and sends a test mail when `to` is given). Never returns a secret. */
export interface TransportTester {
  test(input: { readonly channelId: string; readonly settings: SmtpTransportSettings; readonly stored: StoredCredentials; readonly from: string; readonly to: string | null }): Promise<{ readonly ok: boolean; readonly detail: string }>;
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
  oauthClientSecret: 'oauth-client-secret',
  oauthRefreshToken: 'oauth-refresh-token',
};

const UNKNOWN: CredentialHealth = { status: 'unknown', checkedAt: null, detail: null };

/** How long a consent's `state` can be exchanged: long enough to sign in, short enough to be useless later. */
export const OAUTH_STATE_TTL_MS = 15 * 60_000;

/** The secrets a login of this kind uses. */
function secretsOf(auth: SmtpAuth): readonly SecretKind[] {
  return auth.type === 'password' ? ['smtpPassword'] : ['oauthClientSecret', 'oauthRefreshToken'];
}

/** The encryption context of a channel's secret: bound to the endpoint settings it is used with. */
function contextOf(channelId: string, settings: SmtpTransportSettings, purpose: SecretPurpose): SecretContext {
  return { channelId, purpose, endpoint: credentialEndpointKey(settings) };
}

/**
 * The SMTP transport settings of a channel (its outbound part, `outbound.smtp` or an SMTP
 * `outbound.transport`), or a `PolicyError` when it has none: secrets make sense only for one.
 */
export function smtpSettingsOf(channel: ChannelResource): SmtpTransportSettings {
  if (!channel.smtp) throw new PolicyError('policy', `channel ${channel.id} has no SMTP settings (smtp): set them first`);
  return channel.smtp;
}

function oauthOf(channel: ChannelResource): OAuth2Auth {
  const settings = smtpSettingsOf(channel);
  if (settings.auth.type !== 'oauth2') throw new PolicyError('policy', `channel ${channel.id} logs in with a password, not OAuth 2.0`);
  return settings.auth;
}

/** What is stored, since when, and how the last check went; never a value. */
export async function credentialStatus(deps: Pick<CredentialAdminDeps, 'channels' | 'credentials'>, channelId: string): Promise<CredentialStatus> {
  await channelOf(deps, channelId);
  const stored = await deps.credentials.get(channelId);
  const status = (kind: SecretKind) => ({ set: Boolean(stored?.ciphertexts[kind]), setAt: stored?.setAt[kind] ?? null });
  return { channelId, smtpPassword: status('smtpPassword'), oauthClientSecret: status('oauthClientSecret'), oauthRefreshToken: status('oauthRefreshToken'), health: stored?.health ?? UNKNOWN };
}

/**
 * Sets or rotates one secret, encrypted under the channel, purpose and the channel's current
 * endpoint settings; only the ciphertext is stored. A secret the channel's login does not use is
 * refused (`PolicyError`): it could only wait for an endpoint it was never meant for.
 */
export async function setSecret(deps: CredentialAdminDeps, request: AdminRequest, channelId: string, kind: SecretKind, plaintext: string): Promise<CredentialStatus> {
  const settings = smtpSettingsOf((await channelOf(deps, channelId)).value);
  if (plaintext.length === 0) throw new ValidationError(`${kind}: must not be empty`, [{ path: kind, message: 'must not be empty' }]);
  if (kind === 'oauthRefreshToken' || !secretsOf(settings.auth).includes(kind)) {
    const uses = settings.auth.type === 'password' ? 'a password' : 'OAuth 2.0';
    throw new PolicyError('policy', `channel ${channelId} logs in with ${uses}: it does not use a ${PURPOSE[kind]}`);
  }
  const ciphertext = await deps.cipher.encrypt(plaintext, contextOf(channelId, settings, PURPOSE[kind]));
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
  const auth = oauthOf((await channelOf(deps, channelId)).value);
  const url = authorizationUrl(auth, { state: input.state, ...(input.redirectUri ? { redirectUri: input.redirectUri } : {}) });
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
  const settings = smtpSettingsOf(channel);
  const auth = oauthOf(channel);
  const redirectUri = input.redirectUri ?? auth.redirectUri;
  if (!redirectUri) throw new ValidationError('redirectUri: the channel has none; send the one the consent used', [{ path: 'redirectUri', message: 'required: the channel\'s OAuth settings have none' }]);
  const stored = await deps.credentials.get(channelId);
  const secret = stored?.ciphertexts.oauthClientSecret;
  if (!secret) throw new PolicyError('policy', `channel ${channelId} has no OAuth client secret: set it first`);
  if (!(await deps.credentials.takeOAuthState(channelId, input.state, deps.clock.now().toISOString()))) {
    const message = 'not handed out by a consent of this channel, expired (15 minutes) or used already: start the consent again';
    throw new ValidationError(`state: ${message}`, [{ path: 'state', message }]);
  }
  const clientSecret = await deps.cipher.decrypt(secret, contextOf(channelId, settings, 'oauth-client-secret'));
  const { tokenUrl, scope } = oauthEndpoints(auth);
  const grant = await deps.oauth.exchange({ tokenUrl, clientId: auth.clientId, scope }, { code: input.code, redirectUri, clientSecret });
  const ciphertext = await deps.cipher.encrypt(grant.refreshToken, contextOf(channelId, settings, 'oauth-refresh-token'));
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
  const missing = secretsOf(settings.auth).filter((kind) => !stored.ciphertexts[kind]);
  if (missing.length > 0) {
    const why = stored.health.status === 'unset' && stored.health.detail ? ` (${stored.health.detail})` : '';
    throw new PolicyError('policy', `credentials unset: channel ${channelId} has no ${missing.join(', ')}${why}`);
  }
  const result = await deps.tester.test({ channelId, settings, stored, from: channel.address, to });
  await deps.credentials.putHealth(channelId, { status: result.ok ? 'healthy' : 'failing', checkedAt: deps.clock.now().toISOString(), detail: result.detail });
  await recordChange(deps, request, 'credentials.test', { type: 'channel-credentials', id: channelId }, ['health']);
  return credentialStatus(deps, channelId);
}
