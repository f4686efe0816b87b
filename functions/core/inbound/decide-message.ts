import type { ChannelSettings } from '../model/channel.ts';
import { ANSWERING_LANES, type Classification, type Lane, type ReceiptVerdicts } from '../model/classification.ts';
import type { ThreadDecision } from '../model/conversation.ts';
import type { ParsedMessage } from '../model/message.ts';
import type { Priority } from '../model/routed-message.ts';
import type { ThreadLookup } from '../ports/conversation-store.ts';
import type { LanguageDetector } from '../ports/language.ts';
import { classify } from './classify.ts';
import { extractReply, type ExtractedReply } from './extract-reply.ts';
import { FLAG_UNAUTHENTICATED_FOLLOW_UP, resolveThread } from '../conversation/resolve-thread.ts';
import { authenticateSender, TAG_UNAUTHENTICATED } from '../mail/sender-authentication.ts';
import { FLAG_REPLY_TO_DIFFERS, replyToDiffers } from '../mail/participants.ts';
import { replyLanguage } from './reply-language.ts';
import { routeMessage } from './route-message.ts';
import { verdictTags } from './verdict-tags.ts';
import { rejectedAttachments } from './attachment-policy.ts';

/** What happens to the message after the decision. */
export type Disposition =
  /** Put on the chosen skill queue. */
  | 'route'
  /** Stored with its conversation (or unattached) but not queued: automatic mail without an open conversation, second copies. */
  | 'record'
  /** Virus-positive: stored, tagged, never routed. */
  | 'quarantine'
  /** Spam under a `drop` policy: raw copy kept, nothing else. */
  | 'drop';

export interface ParsedInboundInput {
  readonly message: ParsedMessage;
  readonly channel: ChannelSettings;
  readonly verdicts?: ReceiptVerdicts | undefined;
  /** Envelope recipients (SES receipt `recipients`), lowercase. */
  readonly envelopeRecipients?: readonly string[] | undefined;
  /** The SMTP envelope sender (SES `mail.source`), which SPF checked; undefined when unknown. */
  readonly envelopeSender?: string | undefined;
}

export interface InboundDecision {
  readonly message: ParsedMessage;
  readonly reply: ExtractedReply;
  /** ISO 639-1 code of the new text (`replyLanguage`), or null when unsure. */
  readonly language: string | null;
  readonly classification: Classification;
  /** Classifier tags, verdict tags, threading flags and attachment-policy tags. */
  readonly tags: readonly string[];
  readonly ticketNumber: string | null;
  readonly thread: ThreadDecision;
  readonly route: { readonly skill: string; readonly rule: string; readonly priority: Priority } | null;
  readonly disposition: Disposition;
  /** Attachment file names refused by the channel's extension allow-list. */
  readonly rejectedAttachments: readonly string[];
  /** False for automatic and bulk mail and anything flagged: never send an acknowledgement. */
  readonly autoAnswerAllowed: boolean;
}

/** Everything the channel knows about one recipient list: envelope plus To and Cc, lowercase, unique. */
export function allRecipients(message: ParsedMessage, envelope: readonly string[] = []): string[] {
  const list = [...envelope, ...message.to.map((a) => a.address), ...message.cc.map((a) => a.address)];
  return [...new Set(list.map((a) => a.toLowerCase()).filter((a) => a.length > 0))];
}

/** The inbound decision for a message that is already parsed. */
export async function decideMessage(
  deps: { readonly lookup: ThreadLookup; readonly language?: LanguageDetector | undefined },
  input: ParsedInboundInput,
): Promise<InboundDecision> {
  const { channel, message } = input;
  const reply = extractReply(message.text, message.htmlReply);
  const language = await replyLanguage(deps.language, reply.reply);
  const classification = classify(message, { ownAddresses: [channel.address, ...channel.aliases] });
  const recipients = allRecipients(message, input.envelopeRecipients);
  const verdicts = verdictTags(input.verdicts);
  const authentication = authenticateSender({ from: message.from, headers: message.headers, verdicts: input.verdicts, envelopeSender: input.envelopeSender });
  const thread = await resolveThread(deps, { channel, message, classification, recipients, authentication });

  const rejected = rejectedAttachments(message.attachments, channel.allowedAttachmentExtensions);
  const tagSet = new Set<string>([...classification.tags, ...verdicts, ...thread.flags]);
  if (!authentication.authenticated) tagSet.add(TAG_UNAUTHENTICATED);
  if (replyToDiffers(channel, message, thread, authentication.authenticated)) tagSet.add(FLAG_REPLY_TO_DIFFERS);
  if (rejected.length > 0) tagSet.add('attachment-rejected');
  const tags = [...tagSet];

  const disposition = dispositionOf(channel, tags, thread, classification.lane);
  const route = disposition === 'route' ? routeMessage({ channel, message, reply: reply.reply, language, lane: classification.lane, tags, recipients }) : null;

  return {
    message,
    reply,
    language,
    classification,
    tags,
    // Threading read it already: every ticket number in the subject becomes a signal.
    ticketNumber: thread.signals.find((s) => s.kind === 'ticket-number')?.value ?? null,
    thread,
    route,
    disposition,
    rejectedAttachments: rejected,
    autoAnswerAllowed: classification.lane === 'human' && !tags.some((t) => BLOCKS_AUTO_ANSWER.has(t)),
  };
}

/** Tag of a second copy of a stored message (same Message-ID, delivered again). */
export const TAG_DUPLICATE = 'duplicate-message-id';

/** The decision for a second copy of a stored message: kept for the record, routed nowhere, never answered. */
export function asDuplicate(decision: InboundDecision): InboundDecision {
  return { ...decision, disposition: 'record', route: null, autoAnswerAllowed: false, tags: [...new Set([...decision.tags, TAG_DUPLICATE])] };
}

/** Tag of old mail brought in by an import (or a mailbox's first sync with `import-closed`). */
export const TAG_IMPORTED = 'imported';

/**
 * The decision for old mail being imported: kept (quarantined or dropped as any mail would be)
 * but routed nowhere and never answered; its conversation is created closed.
 */
export function asImported(decision: InboundDecision): InboundDecision {
  const disposition = decision.disposition === 'route' ? 'record' : decision.disposition;
  return { ...decision, disposition, route: null, autoAnswerAllowed: false, tags: [...new Set([...decision.tags, TAG_IMPORTED])] };
}

/** The decision with more tags (the acknowledgement breaker's), each once. */
export function withTags(decision: InboundDecision, tags: readonly string[]): InboundDecision {
  return tags.length === 0 ? decision : { ...decision, tags: [...new Set([...decision.tags, ...tags])] };
}

/** Flags after which nothing answers automatically: an agent decides, and whom to answer. */
const BLOCKS_AUTO_ANSWER = new Set([
  'spam',
  'virus',
  'dmarc-fail',
  'loop',
  'ticket-number-from-non-participant',
  FLAG_UNAUTHENTICATED_FOLLOW_UP,
  FLAG_REPLY_TO_DIFFERS,
]);

function dispositionOf(channel: ChannelSettings, tags: readonly string[], thread: ThreadDecision, lane: Lane): Disposition {
  if (tags.includes('virus')) return 'quarantine';
  if (tags.includes('spam') && channel.spamPolicy === 'drop') return 'drop';
  // Automatic mail that answers nothing we know is kept for the record but bothers no agent.
  if (thread.action === 'unattached') return 'record';
  // Nor does an automatic answer in a closed conversation: it joins without reopening it.
  if (ANSWERING_LANES.includes(lane) && thread.conversation?.status === 'closed') return 'record';
  return 'route';
}
