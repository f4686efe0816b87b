import type { ChannelSettings } from '../model/channel.ts';
import type { ReceiptVerdicts } from '../model/classification.ts';
import type { ParsedMessage } from '../model/message.ts';
import type { ThreadLookup } from '../ports/conversation-store.ts';
import type { MimeParser } from '../ports/mime.ts';
import { decideMessage, type InboundDecision } from './decide-message.ts';

export interface InboundInput {
  readonly raw: Uint8Array;
  readonly channel: ChannelSettings;
  readonly verdicts?: ReceiptVerdicts | undefined;
  /** Envelope recipients (SES receipt `recipients`), lowercase. */
  readonly envelopeRecipients?: readonly string[] | undefined;
  /** The SMTP envelope sender, which SPF checked; undefined when unknown. */
  readonly envelopeSender?: string | undefined;
}

/**
 * The whole inbound decision for one raw mail, without I/O other than the thread lookup:
 * parse, classify, tag, thread and route.
 */
export async function decideInbound(
  deps: { readonly parser: MimeParser; readonly lookup: ThreadLookup },
  input: InboundInput,
): Promise<InboundDecision> {
  const message = await parseInbound(deps.parser, input.raw, input.channel);
  return decideMessage(deps, { ...input, message });
}

/** Parses raw mail for the inbound decision, within the channel's size limit. */
export function parseInbound(parser: MimeParser, raw: Uint8Array, channel: ChannelSettings): Promise<ParsedMessage> {
  // Nothing on the inbound path stores or shows HTML; it is sanitized where it is read.
  return parser.parse(raw, { maxBytes: channel.maxMessageBytes }, { html: 'omit' });
}

