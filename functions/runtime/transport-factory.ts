import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { HostGuard, type HostAllowance } from '../adapters/outbound/host-guard.ts';
import { OAuthTokenProvider } from '../adapters/outbound/oauth-token-provider.ts';
import { SesMailTransport } from '../adapters/outbound/ses-mail-transport.ts';
import { smtpCredentials } from '../adapters/outbound/smtp-credentials.ts';
import { SmtpMailTransport } from '../adapters/outbound/smtp-mail-transport.ts';
import { ConfigError, DependencyError } from '../core/errors.ts';
import type { ChannelSettings } from '../core/model/channel.ts';
import { channelOAuthClient, secretEndpointKey } from '../core/model/channel-credentials.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { CredentialStore } from '../core/ports/admin.ts';
import type { MailTransport, SecretCipher, SentMail } from '../core/ports/outbound.ts';
import type { TransportFactory } from '../core/ports/outbound-store.ts';

export interface TransportFactoryOptions {
  readonly ses: SESv2Client;
  readonly region: string;
  /** Configuration set for channels that name none; empty for none. */
  readonly defaultConfigurationSet: string;
  readonly credentials: CredentialStore;
  readonly cipher: SecretCipher;
  readonly clock: Clock;
  /** What admin-set hosts may reach besides public addresses (the sandbox allows loopback). */
  readonly allow: HostAllowance;
  /** Extra CAs an SMTP server's certificate may chain to (the sandbox's own). */
  readonly ca?: string;
  /** Called when a channel's credentials were refused: the transport is unhealthy until an admin acts. */
  readonly onUnhealthy?: (channelId: string, reason: string) => void;
}

/**
 * The transport of each channel: SES (with the channel's configuration set, reporting the
 * Message-ID SES gives the mail) or the channel's own SMTP server behind the host guard, with
 * its credentials decrypted only when a login needs them. One OAuth token cache per container.
 */
export class RuntimeTransportFactory implements TransportFactory {
  private readonly guard: HostGuard;
  private readonly tokens: OAuthTokenProvider;

  constructor(private readonly options: TransportFactoryOptions) {
    this.guard = new HostGuard({ allow: options.allow });
    this.tokens = new OAuthTokenProvider({
      guard: this.guard,
      clock: options.clock,
      ...(options.ca ? { ca: options.ca } : {}),
      onRefreshTokenRotated: async (owner, refreshToken) => {
        // Bound to the endpoint it was refreshed at: after an admin changed it, this copy stays unusable.
        const ciphertext = await options.cipher.encrypt(refreshToken, { channelId: owner.channelId, purpose: 'oauth-refresh-token', endpoint: owner.endpoint });
        await options.credentials.putSecret(owner.channelId, 'oauthRefreshToken', ciphertext, options.clock.now().toISOString());
      },
      onRefreshRefused: (owner, oauthError) => this.unhealthy(owner.channelId, `the token endpoint refused the refresh token (${oauthError})`),
    });
  }

  async forChannel(channel: ChannelSettings): Promise<MailTransport> {
    if (channel.outbound.transport === 'ses') {
      return new SesMailTransport(this.options.ses, {
        region: this.options.region,
        rewriteMessageId: true,
        ...(channel.outbound.configurationSet || this.options.defaultConfigurationSet
          ? { configurationSet: channel.outbound.configurationSet ?? this.options.defaultConfigurationSet }
          : {}),
      });
    }
    if (!channel.smtp) throw new ConfigError(`channel ${channel.id} sends by SMTP but has no SMTP settings`);
    const stored = await this.options.credentials.get(channel.id);
    const oauthEndpoint = secretEndpointKey(channel, 'oauth-refresh-token');
    const oauth = channelOAuthClient(channel);
    const credentials = smtpCredentials(
      channel.id,
      channel.smtp,
      stored?.ciphertexts ?? {},
      { cipher: this.options.cipher, tokens: this.tokens },
      oauthEndpoint,
    );
    const smtp = new SmtpMailTransport({
      channelId: channel.id,
      settings: channel.smtp,
      guard: this.guard,
      credentials,
      ...(this.options.ca ? { ca: this.options.ca } : {}),
      ...(oauth ? { oauth: { endpoint: oauthEndpoint, scope: oauth.scope } } : {}),
    });
    return { send: (raw, envelope, options) => this.watched(channel.id, () => smtp.send(raw, envelope, options)) } satisfies MailTransport;
  }

  /** A refused login marks the channel's credentials unhealthy, for admins to see. */
  private async watched(channelId: string, send: () => Promise<SentMail>): Promise<SentMail> {
    try {
      return await send();
    } catch (error) {
      if (error instanceof DependencyError && error.code === 'credentials') this.unhealthy(channelId, error.message);
      throw error;
    }
  }

  private unhealthy(channelId: string, reason: string): void {
    this.options.onUnhealthy?.(channelId, reason);
    const health = { status: 'failing' as const, checkedAt: this.options.clock.now().toISOString(), detail: reason.slice(0, 500) };
    void this.options.credentials.putHealth(channelId, health).catch(() => undefined);
  }
}
