import { SendEmailCommand, type SendEmailCommandOutput, type SESv2Client } from '@aws-sdk/client-sesv2';
import { bracketMessageId } from '../../core/model/outbound-mail.ts';
import type { Envelope, MailTransport, SentMail } from '../../core/ports/outbound.ts';
import { translateSesError } from './ses-errors.ts';

export interface SesMailTransportOptions {
  /** Configuration set of the channel (event publishing: bounces, complaints). @default none */
  readonly configurationSet?: string | null;
  /** Region for the rewritten id. @default the client's region */
  readonly region?: string;
  /**
   * Whether the endpoint gives the mail its own Message-ID, as SES does. True for SES, and in
   * the sandbox, which simulates it in front of aws-ses-v2-local (that server rewrites nothing):
   * the local id is then reported as SES's would be, and the sandbox rewrites its stored copy
   * of the mail with `rewriteMessageIdHeader(raw, messageIds[1])`. False reports only our id.
   * @default true
   */
  readonly rewriteMessageId?: boolean;
}

/**
 * The domain of the Message-IDs SES gives the mail it sends: `email.amazonses.com` in us-east-1,
 * `REGION.amazonses.com` elsewhere (`eu-west-1.amazonses.com`, `ap-southeast-2.amazonses.com`).
 */
export function sesMessageIdDomain(region: string): string {
  return region === 'us-east-1' ? 'email.amazonses.com' : `${region}.amazonses.com`;
}

/**
 * `MailTransport` on SES v2 `SendEmail` with raw content. One instance per channel (its
 * configuration set); the client is shared. The envelope's recipients go in `Destination`, so
 * Bcc recipients (absent from the headers) receive the mail too.
 */
export class SesMailTransport implements MailTransport {
  constructor(
    private readonly client: SESv2Client,
    private readonly options: SesMailTransportOptions = {},
  ) {}

  async send(raw: Uint8Array, envelope: Envelope, options: { readonly messageId: string }): Promise<SentMail> {
    let out: SendEmailCommandOutput;
    try {
      out = await this.client.send(
        new SendEmailCommand({
          FromEmailAddress: envelope.from,
          Destination: { ToAddresses: [...envelope.to] },
          Content: { Raw: { Data: raw } },
          ...(this.options.configurationSet ? { ConfigurationSetName: this.options.configurationSet } : {}),
        }),
      );
    } catch (error) {
      throw translateSesError(error);
    }
    const ours = bracketMessageId(options.messageId);
    const sesId = out.MessageId ?? null;
    // SES always answers with an id; without one the mail was still accepted, and retrying
    // would send it twice, so only our id is reported.
    if (!sesId || this.options.rewriteMessageId === false) {
      return { providerMessageId: sesId, messageIds: [ours], response: sesId ? `accepted as ${sesId}` : 'accepted' };
    }
    const region = this.options.region ?? (await this.client.config.region());
    return { providerMessageId: sesId, messageIds: [ours, `<${sesId}@${sesMessageIdDomain(region)}>`], response: `accepted as ${sesId}` };
  }
}
