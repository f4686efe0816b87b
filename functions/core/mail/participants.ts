import type { ChannelSettings } from '../model/channel.ts';
import type { MailAddress } from '../model/message.ts';
import { TAG_UNAUTHENTICATED } from './sender-authentication.ts';

/** The parts of a message that name people. */
export interface AddressedMessage {
  readonly from: MailAddress | null;
  readonly replyTo: readonly MailAddress[];
  readonly to: readonly MailAddress[];
  readonly cc: readonly MailAddress[];
}

/** Tags (verdict tags) that make the From address worthless as proof of who wrote. */
export const UNAUTHENTICATED_TAGS: readonly string[] = ['dmarc-fail', 'spoofing-suspected'];

/**
 * Tags of a mail that may name only its From address as a participant: a sender who used a
 * secret (ticket number, reply token) it was never given or could not prove it was, and one whose
 * From address nothing proves (its Reply-To, To and Cc are whoever wrote it's choice).
 */
export const STRANGER_FLAGS: readonly string[] = [
  'ticket-number-from-non-participant',
  'reply-token-from-non-participant',
  'unauthenticated-follow-up',
  TAG_UNAUTHENTICATED,
];

/**
 * Tag of a mail whose Reply-To names someone other than its From address whom an answer must not
 * reach by default: answers go to From, and the agent may add the Reply-To address (it stays on
 * the stored message). See `replyToDiffers`.
 */
export const FLAG_REPLY_TO_DIFFERS = 'reply-to-differs';

/** What `replyToDiffers` needs of the threading decision. */
export interface ThreadFacts {
  readonly action: 'join' | 'new' | 'unattached';
  /** The conversation joined, with its participants as they were before this mail. */
  readonly conversation: { readonly participants: readonly string[] } | null;
}

/**
 * True when the mail's Reply-To names an address that differs from its From address and may not
 * become the default recipient of an answer. In an existing conversation a Reply-To is honoured
 * only when every address it names is a participant already (a follow-up never redirects the
 * answers); in the first mail of a conversation only when the sender is authenticated (a forged
 * From address with a Reply-To of the forger's would otherwise draw the answer to the forger).
 */
export function replyToDiffers(
  channel: Pick<ChannelSettings, 'address' | 'aliases'>,
  message: Pick<AddressedMessage, 'from' | 'replyTo'>,
  thread: ThreadFacts,
  authenticated: boolean,
): boolean {
  const from = message.from?.address.trim().toLowerCase() ?? '';
  // Without a From address the Reply-To is whom the mail names (`customerAddress`): nothing differs from it.
  if (from === '') return false;
  const others = message.replyTo.map((a) => a.address.trim().toLowerCase()).filter((a) => a !== '' && a !== from && !isOwnAddress(channel, a));
  if (others.length === 0) return false;
  if (thread.action === 'join') {
    const known = new Set((thread.conversation?.participants ?? []).map((p) => p.toLowerCase()));
    return others.some((a) => !known.has(a));
  }
  return !authenticated;
}

/**
 * Whom to answer: the From address, or, when From is empty (`From: "name" <>`) or missing,
 * the first Reply-To, then the Sender, as Zammad does. Null when none has an address.
 */
export function customerAddress(message: AddressedMessage & { readonly sender: MailAddress | null }): MailAddress | null {
  const usable = (a: MailAddress | null | undefined): MailAddress | null => (a && a.address.trim() !== '' ? a : null);
  return usable(message.from) ?? usable(message.replyTo[0]) ?? usable(message.sender);
}

/** `local+tag@domain` → `local@domain`, lowercase and trimmed. */
export function baseAddress(address: string): string {
  const lower = address.trim().toLowerCase();
  const at = lower.lastIndexOf('@');
  if (at < 0) return lower;
  const local = lower.slice(0, at);
  const plus = local.indexOf('+');
  return `${plus > 0 ? local.slice(0, plus) : local}${lower.slice(at)}`;
}

/** True for the channel's address, its aliases and their `+tag` forms, in any case. */
export function isOwnAddress(channel: Pick<ChannelSettings, 'address' | 'aliases'>, address: string): boolean {
  const base = baseAddress(address);
  return base === channel.address.toLowerCase() || channel.aliases.some((a) => a.toLowerCase() === base);
}

/**
 * The addresses a message makes participants of its conversation, lowercase, unique, without
 * the channel's own. Participation is what later lets a ticket number or reply token thread, so
 * a message we cannot trust adds less: a flagged one (`STRANGER_FLAGS`: a secret it was never
 * given, or a From address nothing proves) adds only its From address; one whose DMARC failed
 * adds nobody, since its From header is a forgery; a Reply-To that was not honoured
 * (`reply-to-differs`) is never added.
 */
export function participantsOf(channel: Pick<ChannelSettings, 'address' | 'aliases'>, message: AddressedMessage, tags: readonly string[] = []): string[] {
  if (tags.some((t) => UNAUTHENTICATED_TAGS.includes(t))) return [];
  const flagged = tags.some((t) => STRANGER_FLAGS.includes(t));
  const replyTo = tags.includes(FLAG_REPLY_TO_DIFFERS) ? [] : message.replyTo;
  const named = flagged ? [message.from] : [message.from, ...replyTo, ...message.to, ...message.cc];
  const addresses = named.map((a) => a?.address.trim().toLowerCase() ?? '').filter((a) => a.length > 0 && !isOwnAddress(channel, a));
  return [...new Set(addresses)];
}
