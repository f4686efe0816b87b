import type { ChannelSettings } from '../model/channel.ts';
import type { Classification } from '../model/classification.ts';
import type { ParsedMessage } from '../model/message.ts';

/*
 * Raw threading evidence read from one message, before any lookup. Kept apart from the
 * decision so the rules in resolve-thread.ts read like the spec.
 */

/** A Message-ID we trust enough to look up and claim: `local@domain`, no spaces or brackets. */
const MESSAGE_ID = /^[^\s<>@]+@[^\s<>@]+$/u;

/** True when `id` is shaped like a Message-ID (`x@y`). Garbage tokens are never looked up or claimed. */
export function isMessageId(id: string): boolean {
  return MESSAGE_ID.test(id);
}

export interface HeaderId {
  readonly kind: 'in-reply-to' | 'references';
  readonly value: string;
  /** Why the id is not used at all (malformed), or null. */
  readonly malformed: string | null;
}

/** Splits a header value that may hold several ids (`<a> <b>`) or one bare id. */
function idsIn(value: string): string[] {
  return value
    .split(/[\s<>,]+/u)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * In-Reply-To, then References newest first (RFC 5322 §3.6.4 appends the parent last), without
 * duplicates or the message's own id. In-Reply-To comes first because some mailers (Debbugs)
 * write References oldest-last or mangle it, while In-Reply-To names the parent directly.
 */
export function headerIds(message: ParsedMessage): HeaderId[] {
  const seen = new Set<string>(message.messageId ? [message.messageId] : []);
  const out: HeaderId[] = [];
  const add = (kind: HeaderId['kind'], value: string): void => {
    if (seen.has(value)) return;
    seen.add(value);
    out.push({ kind, value, malformed: isMessageId(value) ? null : 'not shaped like a message id' });
  };
  for (const id of idsIn(message.inReplyTo ?? '')) add('in-reply-to', id);
  for (const ref of [...message.references].reverse()) for (const id of idsIn(ref)) add('references', id);
  return out;
}

/** Message-IDs of the mail a report or automatic answer is about, without duplicates. */
export function originalMessageIds(classification: Classification): string[] {
  const ids = [classification.deliveryReport?.originalMessageId, classification.feedbackReport?.originalMessageId, classification.originalMessageId];
  return [...new Set(ids.filter((id): id is string => typeof id === 'string' && isMessageId(id)))];
}

/** URL-safe tokens as an `IdGenerator` makes them; recipients arrive lowercased. */
const TOKEN = /^[a-z0-9_-]{1,128}$/u;

/**
 * Reply tokens from recipients of the form `local+TOKEN@domain`, where `local@domain` is the
 * channel address or an alias. Tokens are returned lowercase: recipients are lowercased
 * upstream, so stores must compare tokens case-insensitively.
 */
export function replyTokens(recipients: readonly string[], channel: ChannelSettings): string[] {
  const own = [channel.address, ...channel.aliases].map((a) => a.toLowerCase());
  const tokens = new Set<string>();
  for (const raw of recipients) {
    const r = raw.toLowerCase();
    for (const address of own) {
      const at = address.lastIndexOf('@');
      const prefix = `${address.slice(0, at)}+`;
      const suffix = address.slice(at);
      if (!r.startsWith(prefix) || !r.endsWith(suffix) || r.length <= prefix.length + suffix.length) continue;
      const token = r.slice(prefix.length, r.length - suffix.length);
      if (TOKEN.test(token)) tokens.add(token);
    }
  }
  return [...tokens];
}
