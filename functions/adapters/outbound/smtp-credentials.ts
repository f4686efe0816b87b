import { ConfigError } from '../../core/errors.ts';
import { credentialEndpointKey } from '../../core/model/credential-endpoint.ts';
import type { SmtpTransportSettings } from '../../core/model/transport-settings.ts';
import type { SecretCipher, SecretPurpose } from '../../core/ports/outbound.ts';
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
 * token refresh needs it (a cached access token costs no KMS call), and only for the endpoint
 * in `settings`: a secret set for other settings does not decrypt. A secret that was never
 * stored is a `ConfigError` naming what is missing, raised at once.
 */
export function smtpCredentials(
  channelId: string,
  settings: SmtpTransportSettings,
  stored: StoredSmtpSecrets,
  deps: { readonly cipher: SecretCipher; readonly tokens: OAuthTokenProvider },
  /** The OAuth secrets' endpoint key when the channel's mailbox source shares the client (`secretEndpointKey`). */
  oauthEndpoint?: string,
): SmtpCredentials {
  const need = (value: string | null | undefined, what: string): string => {
    if (!value) throw new ConfigError(`channel ${channelId} has no ${what} stored`);
    return value;
  };
  const endpoint = credentialEndpointKey(settings);
  const decrypt = (ciphertext: string, purpose: SecretPurpose) =>
    deps.cipher.decrypt(ciphertext, { channelId, purpose, endpoint: purpose === 'smtp-password' ? endpoint : (oauthEndpoint ?? endpoint) });
  if (settings.auth.type === 'password') {
    const password = need(stored.smtpPassword, 'SMTP password');
    return { type: 'password', password: () => decrypt(password, 'smtp-password') };
  }
  const clientSecret = need(stored.oauthClientSecret, 'OAuth client secret');
  const refreshToken = need(stored.oauthRefreshToken, 'OAuth refresh token (the admin has not consented yet)');
  return {
    type: 'oauth2',
    tokens: deps.tokens,
    secrets: async () => ({
      clientSecret: await decrypt(clientSecret, 'oauth-client-secret'),
      refreshToken: await decrypt(refreshToken, 'oauth-refresh-token'),
    }),
  };
}
