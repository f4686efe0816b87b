import { DependencyError, NotFoundError } from '../errors.ts';
import type { ChannelSettings } from '../model/channel.ts';
import type { InboundMail } from '../model/inbound-record.ts';
import type { ParsedMessage } from '../model/message.ts';
import type { RawMailStore } from '../ports/inbound.ts';
import type { MimeParser } from '../ports/mime.ts';

/**
 * Loads the raw copy of a mail and parses it for the channel (`parseMail`). A raw copy that is
 * not there is a permanent `raw-missing` failure: retrying cannot bring it back.
 */
export async function loadMessage(
  deps: { readonly rawMail: RawMailStore; readonly parser: MimeParser },
  mail: InboundMail,
  channel: ChannelSettings,
): Promise<ParsedMessage> {
  const raw = await deps.rawMail.get(mail.rawKey).catch((error: unknown) => {
    if (error instanceof NotFoundError) throw new DependencyError('raw-missing', error.message, { cause: error, retryable: false });
    throw error;
  });
  return parseMail(deps.parser, raw, channel);
}

/** Parses raw mail for the inbound decision, within the channel's size limit. */
export function parseMail(parser: MimeParser, raw: Uint8Array, channel: ChannelSettings): Promise<ParsedMessage> {
  // Nothing on the inbound path stores or shows HTML; it is sanitized where it is read.
  return parser.parse(raw, { maxBytes: channel.maxMessageBytes }, { html: 'omit' });
}
