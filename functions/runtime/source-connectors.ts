import { HostGuard, type HostAllowance } from '../adapters/outbound/host-guard.ts';
import { OAuthTokenProvider } from '../adapters/outbound/oauth-token-provider.ts';
import { clientCredentialsToken, graphScope } from '../adapters/sources/graph-client.ts';
import { GraphMailboxConnector } from '../adapters/sources/graph-mailbox.ts';
import { ImapMailboxConnector } from '../adapters/sources/imap-mailbox.ts';
import { Pop3MailboxConnector } from '../adapters/sources/pop3-mailbox.ts';
import { ConfigError } from '../core/errors.ts';
import type { ChannelSettings } from '../core/model/channel.ts';
import { channelOAuthClient, secretEndpointKey } from '../core/model/channel-credentials.ts';
import type { MailboxSource } from '../core/model/mail-source.ts';
import type { CredentialStore, StoredCredentials } from '../core/ports/admin.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { MailboxConnector, MailboxCredentials } from '../core/ports/mailbox.ts';
import type { SecretCipher, SecretPurpose } from '../core/ports/outbound.ts';

export interface SourceConnectorOptions {
  readonly credentials: CredentialStore;
  readonly cipher: SecretCipher;
  readonly clock: Clock;
  /** What admin-set hosts may reach besides public addresses (the sandbox allows loopback). */
  readonly allow: HostAllowance;
  /** Extra CAs a mailbox server's certificate may chain to (the sandbox's own). */
  readonly ca?: string;
}

type MailboxChannel = ChannelSettings & { readonly source: MailboxSource };

/**
 * Opens channels' mailboxes with their stored credentials, each secret decrypted only for the
 * endpoint it was set for and only when a login needs it; one OAuth token cache per container.
 * A refresh token the endpoint rotates is stored again, bound as the old one was.
 */
export function sourceConnectors(options: SourceConnectorOptions): (channel: MailboxChannel) => Promise<MailboxConnector> {
  const guard = new HostGuard({ allow: options.allow });
  const tokens = new OAuthTokenProvider({
    guard,
    clock: options.clock,
    ...(options.ca ? { ca: options.ca } : {}),
    onRefreshTokenRotated: async (owner, refreshToken) => {
      const ciphertext = await options.cipher.encrypt(refreshToken, { channelId: owner.channelId, purpose: 'oauth-refresh-token', endpoint: owner.endpoint });
      await options.credentials.putSecret(owner.channelId, 'oauthRefreshToken', ciphertext, options.clock.now().toISOString());
    },
  });
  // A client-credentials token is cached by its getter: one getter per channel and endpoint, per container.
  const appTokens = new Map<string, (options?: { readonly fresh?: boolean }) => Promise<string>>();
  const appTokenOf = (key: string, build: () => (options?: { readonly fresh?: boolean }) => Promise<string>) => {
    const token = appTokens.get(key) ?? build();
    appTokens.set(key, token);
    return token;
  };
  return async (channel) => {
    const stored = (await options.credentials.get(channel.id)) ?? { ciphertexts: {}, setAt: {}, health: { status: 'unknown', checkedAt: null, detail: null } };
    const decrypt = (purpose: SecretPurpose, kind: keyof StoredCredentials['ciphertexts'], what: string) => {
      const ciphertext = stored.ciphertexts[kind];
      if (!ciphertext) throw new ConfigError(`channel ${channel.id} has no ${what} stored: set it through the credential routes`);
      return () => options.cipher.decrypt(ciphertext, { channelId: channel.id, purpose, endpoint: secretEndpointKey(channel, purpose) });
    };
    const { source } = channel;
    const common = { guard, ...(options.ca ? { ca: options.ca } : {}) };
    if (source.type === 'graph') {
      const clientSecret = decrypt('oauth-client-secret', 'oauthClientSecret', 'OAuth client secret');
      const token =
        source.auth === 'client-credentials'
          ? appTokenOf(`${channel.id}\n${secretEndpointKey(channel, 'oauth-client-secret')}\n${stored.setAt.oauthClientSecret ?? ''}`, () =>
              clientCredentialsToken({
                loginUrl: source.loginUrl,
                tenantId: source.tenantId,
                clientId: source.clientId,
                clientSecret,
                guard,
                scope: graphScope(source.graphUrl),
              }),
            )
          : delegatedToken(channel, tokens, clientSecret, decrypt('oauth-refresh-token', 'oauthRefreshToken', 'OAuth refresh token (no consent given yet)'));
      return new GraphMailboxConnector({ source, token, guard });
    }
    const credentials: MailboxCredentials =
      source.auth === 'password'
        ? { type: 'password', password: decrypt('source-password', 'sourcePassword', 'source password') }
        : (() => {
            const clientSecret = decrypt('oauth-client-secret', 'oauthClientSecret', 'OAuth client secret');
            const refreshToken = decrypt('oauth-refresh-token', 'oauthRefreshToken', 'OAuth refresh token (no consent given yet)');
            const accessToken = delegatedToken(channel, tokens, clientSecret, refreshToken);
            return { type: 'oauth2' as const, accessToken };
          })();
    return source.type === 'imap' ? new ImapMailboxConnector({ source, credentials, ...common }) : new Pop3MailboxConnector({ source, credentials, ...common });
  };
}

/** An access token from the channel's refresh token (authorization-code consent), refreshed when asked for a fresh one. */
function delegatedToken(
  channel: MailboxChannel,
  tokens: OAuthTokenProvider,
  clientSecret: () => Promise<string>,
  refreshToken: () => Promise<string>,
): (options?: { readonly fresh?: boolean }) => Promise<string> {
  const client = channelOAuthClient(channel);
  if (!client) throw new ConfigError(`channel ${channel.id} has no OAuth client`);
  const owner = { channelId: channel.id, user: client.auth.user, endpoint: secretEndpointKey(channel, 'oauth-refresh-token') };
  const oauth = { ...owner, tokenUrl: client.tokenUrl, scope: client.scope, clientId: client.auth.clientId };
  const secrets = async () => ({ clientSecret: await clientSecret(), refreshToken: await refreshToken() });
  return (options) => tokens.accessToken(oauth, secrets, { forceRefresh: options?.fresh ?? false });
}
