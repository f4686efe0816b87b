import { MailParseError, PayloadTooLargeError, ValidationError } from '../errors.ts';
import { decideInbound } from '../inbound/decide-inbound.ts';
import type { InboundDecision } from '../inbound/decide-message.ts';
import type { ReceiptVerdicts } from '../model/classification.ts';
import type { ThreadSignal } from '../model/conversation.ts';
import type { ThreadLookup } from '../ports/conversation-store.ts';
import type { LanguageDetector } from '../ports/language.ts';
import type { MimeParser } from '../ports/mime.ts';
import type { ChannelStore } from '../ports/admin.ts';
import { channelOf } from './rule-admin.ts';

export interface DryRunDeps {
  readonly channels: ChannelStore;
  /** Loaded on demand by the composition root: only this route needs a MIME parser. */
  readonly parser: () => Promise<MimeParser>;
  /** Read-only: a dry run stores nothing. */
  readonly lookup: ThreadLookup;
  /** Tells the language of the new text, as the inbound function does; without it the language is null. */
  readonly language?: LanguageDetector | undefined;
}

export interface DryRunInput {
  readonly channelId: string;
  readonly raw: Uint8Array;
  readonly verdicts?: ReceiptVerdicts | undefined;
  readonly recipients?: readonly string[] | undefined;
}

/** What the inbound function would decide for a mail, with the reasons; nothing is stored or queued. */
export interface DryRunResult {
  readonly message: { readonly messageId: string | null; readonly subject: string; readonly from: string | null };
  /** ISO 639-1 code of the new text, or null when unsure (what `when.languages` rules match). */
  readonly language: string | null;
  readonly lane: string;
  readonly laneReason: string;
  readonly tags: readonly string[];
  readonly disposition: string;
  readonly dispositionReason: string;
  readonly ticketNumber: string | null;
  readonly thread: {
    readonly action: string;
    readonly rule: string;
    readonly reason: string;
    readonly flags: readonly string[];
    readonly conversationId: string | null;
    readonly ticketNumber: string | null;
    readonly signals: readonly ThreadSignal[];
  };
  readonly route: { readonly skill: string; readonly rule: string; readonly priority: string; readonly reason: string } | null;
  readonly autoAnswerAllowed: boolean;
  readonly rejectedAttachments: readonly string[];
}

const DISPOSITION_REASONS: Record<string, string> = {
  route: 'goes to a skill queue',
  record: 'kept with its conversation (or unattached), not queued: automatic mail without an open conversation, or a second copy',
  quarantine: 'virus-positive: stored and tagged, never routed',
  drop: "spam under the channel's drop policy: only the raw copy is kept",
};

/**
 * Runs the inbound decision for a raw mail against a channel's current settings and the stored
 * conversations. What is not a mail (empty, no header block, unparsable, past a structure limit)
 * is a `ValidationError` with the parser's reason; a mail over the channel's size limit, which
 * the inbound function would refuse too, a `PayloadTooLargeError`.
 */
export async function dryRun(deps: DryRunDeps, input: DryRunInput): Promise<DryRunResult> {
  const channel = (await channelOf(deps, input.channelId)).value;
  if (input.raw.byteLength === 0) throw notAMail('the body is empty');
  // Checked before the parser is loaded: a body past the limit is never read.
  if (input.raw.byteLength > channel.maxMessageBytes) throw tooLarge(input.raw.byteLength, channel.id, channel.maxMessageBytes);
  let decision: InboundDecision;
  try {
    decision = await decideInbound(
      { parser: await deps.parser(), lookup: deps.lookup, language: deps.language },
      {
        raw: input.raw,
        channel,
        verdicts: input.verdicts,
        envelopeRecipients: input.recipients ?? [channel.address],
      },
    );
  } catch (error) {
    if (!(error instanceof MailParseError)) throw error;
    throw error.limit === 'size' ? tooLarge(input.raw.byteLength, channel.id, channel.maxMessageBytes) : notAMail(error.message);
  }
  const { route } = decision;
  return {
    message: { messageId: decision.message.messageId, subject: decision.message.subject, from: decision.message.from?.address ?? null },
    language: decision.language,
    lane: decision.classification.lane,
    laneReason: decision.classification.reason,
    tags: decision.tags,
    disposition: decision.disposition,
    dispositionReason: DISPOSITION_REASONS[decision.disposition] ?? decision.disposition,
    ticketNumber: decision.ticketNumber,
    thread: {
      action: decision.thread.action,
      rule: decision.thread.rule,
      reason: decision.thread.reason,
      flags: decision.thread.flags,
      conversationId: decision.thread.conversation?.id ?? null,
      ticketNumber: decision.thread.conversation?.ticketNumber ?? null,
      signals: decision.thread.signals,
    },
    route: route ? { ...route, reason: routeReason(route.rule, route.skill) } : null,
    autoAnswerAllowed: decision.autoAnswerAllowed,
    rejectedAttachments: decision.rejectedAttachments,
  };
}

function notAMail(reason: string): ValidationError {
  return new ValidationError(`not a mail the channel would accept: ${reason}`, [{ path: 'body', message: reason }]);
}

function tooLarge(bytes: number, channelId: string, limit: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`the mail is ${bytes} bytes; channel ${channelId} accepts at most ${limit} (maxMessageBytes)`, limit);
}

function routeReason(rule: string, skill: string): string {
  if (rule === 'default') return `no routing rule matched: the channel's default skill ${skill}`;
  if (rule === 'spam-policy') return `tagged spam under the route policy: the channel's spam skill ${skill}`;
  return `rule ${rule} matched first`;
}
