import { randomUUID } from 'node:crypto';
import { AppError } from '../../core/errors.ts';
import type { TransportTester } from '../../core/admin/credential-admin.ts';
import type { SecretCipher } from '../../core/ports/outbound.ts';
import type { HostGuard } from './host-guard.ts';
import type { OAuthTokenProvider } from './oauth-token-provider.ts';
import { smtpCredentials } from './smtp-credentials.ts';
import { SmtpMailTransport } from './smtp-mail-transport.ts';

export interface SmtpTransportTesterDeps {
  readonly cipher: SecretCipher;
  readonly tokens: OAuthTokenProvider;
  readonly guard: HostGuard;
  /** Extra CA certificates (tests, sandbox). */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
}

/** A short plain-text test mail; every value in it was validated as an address before. */
function testMail(from: string, to: string, messageId: string): Uint8Array {
  const lines = [
    `From: <${from}>`,
    `To: <${to}>`,
    'Subject: Postroom test mail',
    `Message-ID: ${messageId}`,
    `Date: ${new Date().toUTCString()}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Auto-Submitted: auto-generated',
    '',
    "This is a test mail from Postroom: the channel's SMTP login works.",
    '',
  ];
  return Buffer.from(lines.join('\r\n'), 'utf8');
}

/**
 * "Test the credentials" over the channel's own SMTP server: connect, TLS, log in, QUIT
 * (`SmtpMailTransport.verify`), then a real send when a recipient is given. The answer names
 * what failed (its error code and message, which never hold a secret).
 */
export class SmtpTransportTester implements TransportTester {
  constructor(private readonly deps: SmtpTransportTesterDeps) {}

  async test(input: Parameters<TransportTester['test']>[0]): Promise<{ ok: boolean; detail: string }> {
    try {
      const credentials = smtpCredentials(input.channelId, input.settings, input.stored.ciphertexts, { cipher: this.deps.cipher, tokens: this.deps.tokens });
      const transport = new SmtpMailTransport({
        channelId: input.channelId,
        settings: input.settings,
        guard: this.deps.guard,
        credentials,
        ...(this.deps.ca ? { ca: this.deps.ca } : {}),
      });
      const check = await transport.verify();
      if (!input.to) return { ok: true, detail: `logged in to ${check.host} (${check.address}:${check.port})` };
      const messageId = `<${randomUUID()}@postroom.test-mail>`;
      const sent = await transport.send(testMail(input.from, input.to, messageId), { from: input.from, to: [input.to] }, { messageId });
      return { ok: true, detail: `logged in to ${check.host} and sent a test mail to ${input.to}: ${sent.response ?? 'accepted'}` };
    } catch (error) {
      if (error instanceof AppError) return { ok: false, detail: `${error.code}: ${error.message}` };
      throw error;
    }
  }
}
