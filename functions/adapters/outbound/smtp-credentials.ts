import { ConfigError } from '../../core/errors.ts';
import type { SmtpAuth } from '../../core/model/transport-settings.ts';
import type { SecretCipher } from '../../core/ports/outbound.ts';
import type { OAuthTokenProvider } from './oauth-token-provider.ts';
import type { SmtpCredentials } from './smtp-mail-transport.ts';

/** The ciphertexts stored for a channel's SMTP login (as `SecretCipher.encrypt` made them). */
export interface StoredSmtpSecrets {
  readonly smtpPassword?: string | null;
  readonly oauthClientSecret?: string | null;
  readonly oauthRefreshToken?: string | null;
}

/**
 * The transport's credentials for a channel, decrypting each secret only when a login or a
 * token refresh needs it (a cached access token costs no KMS call). A secret that was never
 * stored is a `ConfigError` naming what is missing, raised at once.
 */
export function smtpCredentials(
  channelId: string,
  auth: SmtpAuth,
  stored: StoredSmtpSecrets,
  deps: { readonly cipher: SecretCipher; readonly tokens: OAuthTokenProvider },
): SmtpCredentials {
  const need = (value: string | null | undefined, what: string): string => {
    if (!value) throw new ConfigError(`channel ${channelId} has no ${what} stored`);
    return value;
  };
  if (auth.type === 'password') {
    const password = need(stored.smtpPassword, 'SMTP password');
    return { type: 'password', password: () => deps.cipher.decrypt(password, { channelId, purpose: 'smtp-password' }) };
  }
  const clientSecret = need(stored.oauthClientSecret, 'OAuth client secret');
  const refreshToken = need(stored.oauthRefreshToken, 'OAuth refresh token (the admin has not consented yet)');
  return {
    type: 'oauth2',
    tokens: deps.tokens,
    secrets: async () => ({
      clientSecret: await deps.cipher.decrypt(clientSecret, { channelId, purpose: 'oauth-client-secret' }),
      refreshToken: await deps.cipher.decrypt(refreshToken, { channelId, purpose: 'oauth-refresh-token' }),
    }),
  };
}
