import type { Readable } from 'node:stream';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import type { ChannelSettings } from '../core/model/channel.ts';
import type { ReceiptVerdicts } from '../core/model/classification.ts';
import { newSesMessageId, parseVerdicts } from './ses-receipt.ts';

/** One accepted mail, handed on the way SES receiving hands it on: once per channel. */
export interface AcceptedMail {
  readonly sesMessageId: string;
  readonly raw: Buffer;
  readonly mailFrom: string;
  readonly channel: ChannelSettings;
  /** The envelope recipients of this channel, lowercase. */
  readonly recipients: readonly string[];
  readonly verdicts: ReceiptVerdicts;
}

export interface SmtpIngressOptions {
  /**
   * The channels, read on every recipient: a channel created through the admin API receives at
   * once, as a receipt rule the API adds in AWS does.
   */
  readonly channels: () => Promise<readonly ChannelSettings[]>;
  /** Largest message announced with SIZE; each channel's own limit is checked after DATA. @default 40 MB */
  readonly maxBytes?: number;
  readonly verdicts: ReceiptVerdicts;
  /** Stores the raw copy once per mail (the receipt rule's S3 action). */
  store(sesMessageId: string, raw: Buffer): Promise<void>;
  /** Runs the inbound handler for one channel's share of the mail (the Lambda action). */
  deliver(mail: AcceptedMail): Promise<void>;
}

/** Header the sandbox reads to try the spam and virus paths: `X-Sandbox-Verdicts: spam=FAIL`. */
export const VERDICTS_HEADER = 'x-sandbox-verdicts';

type SmtpError = Error & { responseCode: number };
const smtpError = (responseCode: number, message: string): SmtpError => Object.assign(new Error(message), { responseCode });

/** `local+token@domain` → `local@domain`: reply-token addresses belong to their channel. */
function baseAddress(address: string): string {
  return address.toLowerCase().replace(/^([^+@]+)\+[^@]*@/, '$1@');
}

/**
 * An SMTP server that stands where SES receiving stands: it accepts mail only for channel
 * addresses (550 otherwise), refuses mail over the channel's size limit (552, announced with
 * SIZE), stores the raw copy, then invokes the inbound handler once per channel. A handler
 * failure answers 451 so the sender retries, as SES would have Lambda retry.
 */
export function createSmtpIngress(options: SmtpIngressOptions): SMTPServer {
  const channelOf = async (address: string): Promise<ChannelSettings | undefined> =>
    (await options.channels()).find((c) => c.address === baseAddress(address) || c.aliases.includes(baseAddress(address)));
  const maxBytes = options.maxBytes ?? 40 * 1024 * 1024;

  return new SMTPServer({
    banner: 'Postroom sandbox (stands in for SES receiving)',
    size: maxBytes,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      channelOf(address.address).then(
        (channel) => (channel ? callback() : callback(smtpError(550, `5.1.1 <${address.address}>: no channel receives mail for this address`))),
        (error: unknown) => callback(smtpError(451, `4.3.0 temporary failure: ${String(error)}`)),
      );
    },
    onData(stream, session, callback) {
      receive(stream, session, options, channelOf, maxBytes).then(
        (id) => callback(null, `Ok: queued as ${id}`),
        (error: unknown) =>
          callback(error instanceof Error && 'responseCode' in error ? (error as SmtpError) : smtpError(451, `4.3.0 temporary failure: ${String(error)}`)),
      );
    },
  });
}

async function receive(
  stream: Readable & { sizeExceeded?: boolean },
  session: SMTPServerSession,
  options: SmtpIngressOptions,
  channelOf: (address: string) => Promise<ChannelSettings | undefined>,
  maxBytes: number,
): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  if (stream.sizeExceeded) throw smtpError(552, `5.3.4 message exceeds the fixed size limit of ${maxBytes} bytes`);
  const raw = Buffer.concat(chunks);

  const byChannel = new Map<string, { channel: ChannelSettings; recipients: string[] }>();
  for (const rcpt of session.envelope.rcptTo) {
    const channel = await channelOf(rcpt.address);
    if (channel) byChannel.set(channel.id, { channel, recipients: [...(byChannel.get(channel.id)?.recipients ?? []), rcpt.address.toLowerCase()] });
  }
  for (const { channel } of byChannel.values()) {
    if (raw.length > channel.maxMessageBytes) {
      throw smtpError(552, `5.3.4 message exceeds the size limit of ${channel.address} (${channel.maxMessageBytes} bytes)`);
    }
  }

  const verdicts = sandboxVerdicts(raw, options.verdicts);
  const sesMessageId = newSesMessageId();
  await options.store(sesMessageId, raw);
  const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
  for (const { channel, recipients } of byChannel.values()) {
    await options.deliver({ sesMessageId, raw, mailFrom, channel, recipients, verdicts });
  }
  return sesMessageId;
}

/** The sandbox's default verdicts, overridden by an `X-Sandbox-Verdicts` header in the mail's header block. */
function sandboxVerdicts(raw: Buffer, base: ReceiptVerdicts): ReceiptVerdicts {
  const ends = [raw.indexOf('\r\n\r\n'), raw.indexOf('\n\n')].filter((i) => i >= 0);
  const head = raw.subarray(0, ends.length > 0 ? Math.min(...ends) : Math.min(raw.length, 64 * 1024)).toString('latin1');
  const match = new RegExp(`^${VERDICTS_HEADER}:[ \\t]*(.*)$`, 'im').exec(head);
  if (!match?.[1]) return base;
  try {
    return parseVerdicts(match[1], base);
  } catch (error) {
    throw smtpError(550, `5.6.0 ${VERDICTS_HEADER}: ${(error as Error).message}`);
  }
}
