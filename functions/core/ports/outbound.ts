/**
 * Ports of the send path. The core plans a mail (`OutboundMail`), a `MimeComposer` turns it into
 * raw MIME, a `MailTransport` (SES or the channel's own SMTP server) delivers the bytes.
 */

/** SMTP envelope of one send: the return path and every recipient (To, Cc and Bcc). */
export interface Envelope {
  readonly from: string;
  readonly to: readonly string[];
}

/** What a transport learned from a successful send. */
export interface SentMail {
  /** The id the provider gave the message (SES message id, SMTP queue id), when there is one. */
  readonly providerMessageId: string | null;
  /**
   * Message-IDs (with angle brackets) the recipient's client sees on the delivered mail: ours,
   * and for SES the id it rewrote the Message-ID to (`<id@REGION.amazonses.com>`). A reply may
   * carry any of them.
   */
  readonly messageIds: readonly string[];
  /** The server's last reply line, for the record (never holds credentials). */
  readonly response: string | null;
}

/**
 * Delivers raw MIME. Throws `TransportError` (permanent or transient, with the SMTP status when
 * there is one), `DependencyError('credentials')` when the server or token endpoint refuses the
 * credentials, `PolicyError('blocked-host')` when a host resolves to an address it must not reach.
 */
export interface MailTransport {
  send(raw: Uint8Array, envelope: Envelope, options: { readonly messageId: string }): Promise<SentMail>;
}

/** Why a secret is stored; part of its encryption context. */
export type SecretPurpose = 'smtp-password' | 'source-password' | 'oauth-client-secret' | 'oauth-refresh-token';

/** Binds a ciphertext to the channel, purpose and endpoint it was written for. */
export interface SecretContext {
  readonly channelId: string;
  readonly purpose: SecretPurpose;
  /**
   * The settings the secret is used with, as `credentialEndpointKey` writes them (host, port,
   * security, user, auth type, OAuth client and endpoints). The cipher binds a hash of it, so a
   * secret never decrypts for an endpoint other than the one it was set for.
   */
  readonly endpoint: string;
}

/**
 * Envelope encryption of credentials. A ciphertext decrypts only under the context it was
 * encrypted with (another channel's or endpoint's copy fails), with the right key, untampered; any failure is
 * a `DependencyError('credentials')` and never reveals the plaintext.
 */
export interface SecretCipher {
  /** Base64 ciphertext of the secret. */
  encrypt(plaintext: string, context: SecretContext): Promise<string>;
  decrypt(ciphertext: string, context: SecretContext): Promise<string>;
}
