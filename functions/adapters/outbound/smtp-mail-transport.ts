import nodemailer, { type Mail } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { ConfigError, DependencyError, TransportError } from '../../core/errors.ts';
import { credentialEndpointKey } from '../../core/model/credential-endpoint.ts';
import { oauthEndpoints, type SmtpTransportSettings } from '../../core/model/transport-settings.ts';
import { queueIdFromReply } from '../../core/outbound/send/smtp-reply.ts';
import type { Envelope, MailTransport, SentMail } from '../../core/ports/outbound.ts';
import type { HostGuard, VettedHost } from './host-guard.ts';
import type { OAuthClient, OAuthSecrets, OAuthTokenProvider } from './oauth-token-provider.ts';
import { isConnectFailure, replyLine, translateSmtpError } from './smtp-errors.ts';

/** Where the secrets of the channel's SMTP login come from; decrypted only when needed. */
export type SmtpCredentials =
  | { readonly type: 'password'; readonly password: () => Promise<string> }
  | { readonly type: 'oauth2'; readonly tokens: OAuthTokenProvider; readonly secrets: () => Promise<OAuthSecrets> };

export interface SmtpMailTransportOptions {
  readonly channelId: string;
  readonly settings: SmtpTransportSettings;
  readonly guard: HostGuard;
  readonly credentials: SmtpCredentials;
  /** Extra CA certificates to trust (tests, sandbox); the system CAs otherwise. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** The name we greet with in EHLO. @default the host name of this machine */
  readonly ehloName?: string;
  /** Most resolved addresses tried when connecting fails. @default 3 */
  readonly maxAddresses?: number;
  /**
   * The OAuth client's endpoint key and scope when the channel shares it with its mailbox source
   * (`secretEndpointKey`, `channelOAuthClient`); the SMTP settings' own otherwise.
   */
  readonly oauth?: { readonly endpoint: string; readonly scope: string };
}

/** What an admin's "test connection" learned. */
export interface SmtpCheck {
  readonly host: string;
  readonly address: string;
  readonly port: number;
}

type Auth = NonNullable<SMTPTransport.Options['auth']>;
type SmtpTransporter = Mail<SMTPTransport.SentMessageInfo, SMTPTransport.Options>;

/**
 * Sends raw MIME through the channel's own SMTP server (OUT-2) with nodemailer. Connects to
 * the address the host guard vetted, with the configured name for SNI and certificate checks;
 * implicit TLS or STARTTLS, and under Force TLS never in clear; certificates verified, TLS 1.2+.
 * One connection per send: no pool to outlive a Lambda invocation.
 */
export class SmtpMailTransport implements MailTransport {
  private readonly settings: SmtpTransportSettings;

  constructor(private readonly options: SmtpMailTransportOptions) {
    this.settings = options.settings;
    if (options.credentials.type !== this.settings.auth.type) {
      throw new ConfigError(`channel ${options.channelId}: ${this.settings.auth.type} settings with ${options.credentials.type} credentials`);
    }
  }

  async send(raw: Uint8Array, envelope: Envelope, options: { readonly messageId: string }): Promise<SentMail> {
    const message = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    const info = await this.session(async (transporter) => transporter.sendMail({ raw: message, envelope: { from: envelope.from, to: [...envelope.to] } }));
    const response = replyLine(info.response) || null;
    return { providerMessageId: queueIdFromReply(response), messageIds: [options.messageId], response };
  }

  /** Connects, upgrades to TLS, logs in and says QUIT, sending nothing: the admin's "test connection". */
  async verify(): Promise<SmtpCheck> {
    let used: VettedHost | null = null;
    await this.session(async (transporter, vetted) => {
      used = vetted;
      await transporter.verify();
    });
    const vetted = used as VettedHost | null;
    return { host: this.settings.host, address: vetted?.address ?? '', port: this.settings.port };
  }

  /**
   * Runs `work` on a fresh connection: tries the vetted addresses in turn while connecting
   * fails, and with OAuth, once more with a fresh token when the server refuses the cached one.
   */
  private async session<T>(work: (transporter: SmtpTransporter, vetted: VettedHost) => Promise<T>): Promise<T> {
    const vetted = await this.vet();
    const addresses = vetted.addresses.slice(0, this.options.maxAddresses ?? 3);
    const ctx = { host: this.settings.host, forceTls: this.settings.forceTls, user: this.settings.auth.user };
    let freshToken = false;
    for (let i = 0; i < addresses.length; i++) {
      const address = addresses[i]?.address ?? vetted.address;
      const transporter = nodemailer.createTransport(this.transportOptions(address, vetted.servername, await this.auth(freshToken)));
      try {
        return await work(transporter, { ...vetted, address });
      } catch (error) {
        const e = error as { code?: string };
        if (e.code === 'EAUTH' && this.settings.auth.type === 'oauth2' && !freshToken) {
          // The cached token may have been revoked or cut short: one more try with a new one.
          this.dropToken();
          freshToken = true;
          i--;
          continue;
        }
        if (isConnectFailure(error) && i < addresses.length - 1) continue;
        throw translateSmtpError(error, ctx);
      } finally {
        transporter.close();
      }
    }
    throw new TransportError(`cannot reach ${this.settings.host}`, { permanent: false });
  }

  private async vet(): Promise<VettedHost> {
    try {
      return await this.options.guard.vet(this.settings.host);
    } catch (error) {
      // DNS trouble is the transport's concern; a blocked host stays a PolicyError.
      if (error instanceof DependencyError) throw new TransportError(error.message, { permanent: !error.retryable });
      throw error;
    }
  }

  private transportOptions(address: string, servername: string | null, auth: Auth): SMTPTransport.Options {
    const s = this.settings;
    const starttls = s.security === 'starttls';
    return {
      host: address,
      port: s.port,
      secure: s.security === 'tls',
      // Force TLS: STARTTLS is sent whatever EHLO says, and a refusal ends the session.
      requireTLS: starttls && s.forceTls,
      opportunisticTLS: starttls && !s.forceTls,
      tls: {
        servername: servername ?? undefined,
        ca: this.options.ca as string | Buffer | (string | Buffer)[] | undefined,
        minVersion: 'TLSv1.2',
        rejectUnauthorized: true,
      },
      name: this.options.ehloName,
      auth,
      connectionTimeout: s.timeouts.connectMs,
      greetingTimeout: s.timeouts.greetingMs,
      socketTimeout: s.timeouts.socketMs,
      dnsTimeout: s.timeouts.connectMs,
      logger: false,
      debug: false,
      disableFileAccess: true,
      disableUrlAccess: true,
    };
  }

  private async auth(forceRefresh: boolean): Promise<Auth> {
    const { auth } = this.settings;
    const credentials = this.options.credentials;
    if (credentials.type === 'password') return { type: 'login', user: auth.user, pass: await credentials.password() };
    const accessToken = await credentials.tokens.accessToken(this.oauthClient(), credentials.secrets, { forceRefresh });
    return { type: 'OAuth2', user: auth.user, accessToken };
  }

  private dropToken(): void {
    if (this.options.credentials.type === 'oauth2') this.options.credentials.tokens.invalidate(this.oauthClient());
  }

  private oauthClient(): OAuthClient {
    const { auth } = this.settings;
    if (auth.type !== 'oauth2') throw new ConfigError(`channel ${this.options.channelId} does not use OAuth`);
    const { tokenUrl, scope } = oauthEndpoints(auth);
    const shared = this.options.oauth;
    return {
      channelId: this.options.channelId,
      user: auth.user,
      endpoint: shared?.endpoint ?? credentialEndpointKey(this.settings),
      tokenUrl,
      scope: shared?.scope ?? scope,
      clientId: auth.clientId,
    };
  }
}
