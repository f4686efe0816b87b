import type { MailAddress } from './types.ts';

/** How a message joined its conversation, in the words an agent reads (`thread.rule`). */
const THREAD_RULES: Readonly<Record<string, string>> = {
  'in-reply-to': 'joined by In-Reply-To',
  references: 'joined by References',
  'ticket-number': 'joined by ticket number',
  'reply-token': 'joined by reply token',
  'original-message': 'joined by the quoted original message',
  'new-conversation': 'started this conversation',
  unattached: 'not attached to a conversation',
};

export function threadRule(rule: string): string {
  return THREAD_RULES[rule] ?? rule;
}

/** Flags and tags that ask an agent to look twice, with what they mean. */
const WARNINGS: Readonly<Record<string, string>> = {
  'unauthenticated-follow-up': 'Unauthenticated follow-up: it names a ticket, but its sender is not proven; not joined to that conversation',
  'reply-to-differs': 'Reply-To differs from the sender: answers go to the From address unless you add the Reply-To',
  'ticket-number-from-non-participant': 'Ticket number from someone outside the conversation',
  'reply-token-from-non-participant': 'Reply token from someone outside the conversation',
  'thread-signals-disagree': 'Threading signals point at different conversations',
  'unauthenticated-sender': 'Nothing proves who sent it (no SPF, DKIM or DMARC pass)',
  'dmarc-fail': 'DMARC failed: the From address may be forged',
  'spoofing-suspected': 'The sender may be forged',
  'external-party': 'From someone this conversation was forwarded to (not the customer): a reply that names no message still answers the customer',
  spam: 'Marked as spam',
  virus: 'A virus was found',
};

export function warningOf(flag: string): string | null {
  return WARNINGS[flag] ?? null;
}

export function address(a: MailAddress | null | undefined): string {
  if (!a) return '(none)';
  return a.name ? `${a.name} <${a.address}>` : a.address;
}

export function addresses(list: readonly MailAddress[]): string {
  return list.map(address).join(', ');
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

export function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** A ticket number or an address, as the search box takes it; null when it is neither. */
export function searchQuery(text: string): { readonly ticket: string } | { readonly participant: string } | null {
  const trimmed = text.trim();
  const ticket = /^#?(\d{5,12})$/.exec(trimmed)?.[1];
  if (ticket) return { ticket };
  // One @ with something on both sides and no spaces: what the API's participant filter matches.
  if (/^[^\s@]+@[^\s@]+$/.test(trimmed) && trimmed.length <= 320) return { participant: trimmed.toLowerCase() };
  return null;
}
