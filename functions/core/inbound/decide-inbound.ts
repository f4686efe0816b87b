import type { ChannelSettings } from '../model/channel.ts';
import type { ReceiptVerdicts } from '../model/classification.ts';
import type { ThreadLookup } from '../ports/conversation-store.ts';
import type { LanguageDetector } from '../ports/language.ts';
import type { MimeParser } from '../ports/mime.ts';
import { decideMessage, type InboundDecision } from './decide-message.ts';
import { parseMail } from './load-message.ts';

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
 * The decision for one raw mail, written nowhere: parse (`parseMail`), then `decideMessage`
 * (classify, tag, thread, route) with no I/O but the thread lookup. For dry runs and benchmarks;
 * `receiveMail` takes the same two steps and then writes.
 */
export async function decideInbound(
  deps: { readonly parser: MimeParser; readonly lookup: ThreadLookup; readonly language?: LanguageDetector | undefined },
  input: InboundInput,
): Promise<InboundDecision> {
  const message = await parseMail(deps.parser, input.raw, input.channel);
  return decideMessage(deps, { ...input, message });
}
