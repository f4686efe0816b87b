import { bareMessageId } from '../../model/outbound-mail.ts';

/**
 * Most ids kept in References. Clients thread by In-Reply-To and the last few references; the
 * first one names the thread's root. Twenty covers any real back-and-forth and keeps a hostile
 * parent (a References header of thousands of ids) from growing every answer.
 */
export const MAX_REFERENCES = 20;

/**
 * Most characters of the unfolded References value (ids in brackets, one space apart). RFC 5322
 * §3.6.4 sets no limit; RFC 5537 §3.4.4 (Netnews, same header) asks to trim to 998 octets by
 * dropping ids from the second on, keeping the first and the most recent: the rule used here.
 */
export const MAX_REFERENCES_CHARS = 998;

// A msg-id as the inbound side recognises one: printable ASCII, one @, no brackets or spaces;
// at most 250 characters, so a hostile id cannot fill the References budget on its own.
const MESSAGE_ID = /^[!-;=?-~]+@[!-;=?-~]+$/;
const MAX_ID = 250;

/** True when the id (without brackets) can go into a header as `<id>`. */
export function isUsableMessageId(id: string): boolean {
  return id.length <= MAX_ID && MESSAGE_ID.test(id) && id.indexOf('@') === id.lastIndexOf('@');
}

/** The message being answered, as threading needs it (ids without angle brackets). */
export interface AnsweredIds {
  readonly messageId: string | null;
  readonly inReplyTo: string | null;
  /** Oldest first. */
  readonly references: readonly string[];
}

export interface ThreadHeadersInput {
  /** Null for a new outbound mail, which starts a thread. */
  readonly answered: AnsweredIds | null;
  /** Our own Message-ID of the mail being planned. */
  readonly ownMessageId: string;
  /** Ids of our earlier mails in the conversation (ours and the provider's), oldest first. */
  readonly previousSentIds?: readonly string[];
}

export interface ThreadHeaders {
  readonly inReplyTo: string | null;
  /** Oldest first, without angle brackets. */
  readonly references: readonly string[];
  /** Ids dropped to stay within the limits, and ids dropped as unusable. */
  readonly trimmed: number;
  readonly unusable: number;
}

function joinedLength(ids: readonly string[]): number {
  return ids.reduce((sum, id) => sum + id.length + 2, 0) + Math.max(0, ids.length - 1);
}

/**
 * In-Reply-To and References of an outbound mail (RFC 5322 §3.6.4): In-Reply-To is the answered
 * message; References is the answered message's References (or, without any, its single
 * In-Reply-To), then our earlier ids that are not in it yet, then our own id, then the answered
 * id last, so an algorithm that takes the last reference as the parent still finds the
 * customer's message.
 *
 * Our own id is carried because SES replaces the Message-ID of what it sends: a client that
 * copies References into its answer then still names an id we chose, and the answer threads by
 * either. Ids are deduplicated (first occurrence wins) and unusable ones (brackets, spaces, no
 * single @, not ASCII) are dropped. Trimming keeps the first id, our id and the answered id, and
 * drops from the second on until `MAX_REFERENCES` and `MAX_REFERENCES_CHARS` hold.
 */
export function threadHeaders(input: ThreadHeadersInput): ThreadHeaders {
  const own = bareMessageId(input.ownMessageId);
  const answered = input.answered;
  const parentRaw = answered?.messageId ? bareMessageId(answered.messageId) : null;
  const parent = parentRaw !== null && isUsableMessageId(parentRaw) ? parentRaw : null;
  const inherited = answered === null ? [] : answered.references.length > 0 ? answered.references : answered.inReplyTo ? [answered.inReplyTo] : [];
  const candidates = [...inherited, ...(input.previousSentIds ?? [])].map(bareMessageId);
  const usable = candidates.filter(isUsableMessageId);
  const tail = parent === null || parent === own ? [own] : [own, parent];
  const chain = [...new Set(usable)].filter((id) => !tail.includes(id));
  let trimmed = 0;
  while (chain.length > 0 && (chain.length + tail.length > MAX_REFERENCES || joinedLength([...chain, ...tail]) > MAX_REFERENCES_CHARS)) {
    // Drop the second id; when only the root is left, it goes too.
    chain.splice(chain.length > 1 ? 1 : 0, 1);
    trimmed++;
  }
  return {
    inReplyTo: parent,
    references: [...chain, ...tail],
    trimmed,
    unusable: candidates.length - usable.length + (parentRaw !== null && parent === null ? 1 : 0),
  };
}
