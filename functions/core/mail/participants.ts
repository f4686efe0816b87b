import type { ChannelSettings } from '../model/channel.ts';
import type { MailAddress } from '../model/message.ts';

/** The parts of a message that name people. */
export interface AddressedMessage {
  readonly from: MailAddress | null;
  readonly replyTo: readonly MailAddress[];
  readonly to: readonly MailAddress[];
  readonly cc: readonly MailAddress[];
}

/** Tags (verdict tags) that make the From address worthless as proof of who wrote. */
export const UNAUTHENTICATED_TAGS: readonly string[] = ['dmarc-fail', 'spoofing-suspected'];

/** Threading flags that mark a sender who used a secret (ticket number, reply token) it was never given. */
export const STRANGER_FLAGS: readonly string[] = ['ticket-number-from-non-participant', 'reply-token-from-non-participant'];

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
 * the channel's own. Participation is what later lets a bare ticket number thread, so a message
 * we cannot trust adds less: a flagged one (it used a ticket number or reply token it was never
 * given) adds only its From address, and an unauthenticated one (DMARC failed) adds nobody, since
 * its From header proves nothing and its Reply-To, To and Cc are the forger's choice.
 */
export function participantsOf(
  channel: Pick<ChannelSettings, 'address' | 'aliases'>,
  message: AddressedMessage,
  tags: readonly string[] = [],
): string[] {
  if (tags.some((t) => UNAUTHENTICATED_TAGS.includes(t))) return [];
  const flagged = tags.some((t) => STRANGER_FLAGS.includes(t));
  const named = flagged ? [message.from] : [message.from, ...message.replyTo, ...message.to, ...message.cc];
  const addresses = named.map((a) => a?.address.trim().toLowerCase() ?? '').filter((a) => a.length > 0 && !isOwnAddress(channel, a));
  return [...new Set(addresses)];
}
