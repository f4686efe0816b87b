import { PolicyError, ValidationError } from '../errors.ts';
import type { ChannelResource, CredentialHealth, CredentialStatus, SecretKind } from '../model/admin-resources.ts';
import { authorizationUrl, oauthEndpoints, type OAuth2Auth, type SmtpTransportSettings } from '../model/transport-settings.ts';
import type { ChannelStore, CredentialStore, StoredCredentials } from '../ports/admin.ts';
import type { SecretCipher, SecretPurpose } from '../ports/outbound.ts';
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

/** Sets or rotates one secret, encrypted under the channel and purpose; only the ciphertext is stored. */
export async function setSecret(deps: CredentialAdminDeps, request: AdminRequest, channelId: string, kind: SecretKind, plaintext: string): Promise<CredentialStatus> {
  await channelOf(deps, channelId);
  if (plaintext.length === 0) throw new ValidationError(`${kind}: must not be empty`, [{ path: kind, message: 'must not be empty' }]);
  const ciphertext = await deps.cipher.encrypt(plaintext, { channelId, purpose: PURPOSE[kind] });
  await deps.credentials.putSecret(channelId, kind, ciphertext, deps.clock.now().toISOString());
  await recordChange(deps, request, 'credentials.set', { type: 'channel-credentials', id: channelId }, [kind]);
  return credentialStatus(deps, channelId);
}

/** The consent page an admin opens; the provider sends them back with `?code=` for `exchangeCode`. */
export async function consentUrl(deps: Pick<CredentialAdminDeps, 'channels'>, channelId: string, input: { readonly state: string; readonly redirectUri?: string | undefined }): Promise<string> {
  const auth = oauthOf((await channelOf(deps, channelId)).value);
  const url = authorizationUrl(auth, { state: input.state, ...(input.redirectUri ? { redirectUri: input.redirectUri } : {}) });
  if (!url) throw new PolicyError('policy', `channel ${channelId} has no authorize URL or redirect URI in its OAuth settings`);
  return url;
}

/** Exchanges the consent code for a refresh token and stores it encrypted: no admin ever handles one. */
export async function exchangeCode(deps: CredentialAdminDeps, request: AdminRequest, channelId: string, input: { readonly code: string; readonly redirectUri?: string | undefined }): Promise<CredentialStatus> {
  const auth = oauthOf((await channelOf(deps, channelId)).value);
  const redirectUri = input.redirectUri ?? auth.redirectUri;
  if (!redirectUri) throw new ValidationError('redirectUri: the channel has none; send the one the consent used', [{ path: 'redirectUri', message: 'required: the channel\'s OAuth settings have none' }]);
  const stored = await deps.credentials.get(channelId);
  const secret = stored?.ciphertexts.oauthClientSecret;
  if (!secret) throw new PolicyError('policy', `channel ${channelId} has no OAuth client secret: set it first`);
  const clientSecret = await deps.cipher.decrypt(secret, { channelId, purpose: 'oauth-client-secret' });
  const { tokenUrl, scope } = oauthEndpoints(auth);
  const grant = await deps.oauth.exchange({ tokenUrl, clientId: auth.clientId, scope }, { code: input.code, redirectUri, clientSecret });
  const ciphertext = await deps.cipher.encrypt(grant.refreshToken, { channelId, purpose: 'oauth-refresh-token' });
  const at = deps.clock.now().toISOString();
  await deps.credentials.putSecret(channelId, 'oauthRefreshToken', ciphertext, at);
  await deps.credentials.putHealth(channelId, { status: 'healthy', checkedAt: at, detail: 'authorization code exchanged for a refresh token' });
  await recordChange(deps, request, 'credentials.oauth-exchange', { type: 'channel-credentials', id: channelId }, ['oauthRefreshToken']);
  return credentialStatus(deps, channelId);
}

/** Logs in to the channel's SMTP server (and sends a test mail to `to`), and records whether that worked. */
export async function testCredentials(deps: CredentialAdminDeps, request: AdminRequest, channelId: string, to: string | null): Promise<CredentialStatus> {
  const channel = (await channelOf(deps, channelId)).value;
  const settings = smtpSettingsOf(channel);
  const stored = (await deps.credentials.get(channelId)) ?? { ciphertexts: {}, setAt: {}, health: UNKNOWN };
  const result = await deps.tester.test({ channelId, settings, stored, from: channel.address, to });
  await deps.credentials.putHealth(channelId, { status: result.ok ? 'healthy' : 'failing', checkedAt: deps.clock.now().toISOString(), detail: result.detail });
  await recordChange(deps, request, 'credentials.test', { type: 'channel-credentials', id: channelId }, ['health']);
  return credentialStatus(deps, channelId);
}
