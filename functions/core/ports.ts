import type { ParsedMessage } from './model/message.ts';
import type { ConversationRef } from './model/conversation.ts';

/** Limits on hostile input, enforced by the parser. */
export interface ParseLimits {
  /** Largest raw message in bytes. */
  readonly maxBytes: number;
  /** Deepest nesting of multipart / message parts. */
  readonly maxDepth: number;
  /** Most MIME parts in one message. */
  readonly maxParts: number;
  /** Largest header block (top level) in bytes. */
  readonly maxHeaderBytes: number;
  /** Most Message-IDs kept from References (the newest are kept). */
  readonly maxReferences: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = {
  maxBytes: 40 * 1024 * 1024,
  maxDepth: 20,
  maxParts: 500,
  maxHeaderBytes: 256 * 1024,
  maxReferences: 100,
};

/** What a caller needs of the body besides its text. */
export interface ParseOptions {
  /**
   * `sanitized`: `html` holds the sanitized HTML body. `omit`: `html` is null, for paths that
   * neither store nor show HTML (the inbound decision): sanitizing costs more than parsing an
   * HTML mail, so HTML is sanitized where it is read. The text is the same either way.
   * @default 'sanitized'
   */
  readonly html?: 'sanitized' | 'omit';
}

/** Turns raw MIME into the normalized message. Throws only `MailParseError`. */
export interface MimeParser {
  parse(raw: Uint8Array, limits?: Partial<ParseLimits>, options?: ParseOptions): Promise<ParsedMessage>;
}

/** Read side of the conversation store, as threading needs it. */
export interface ThreadLookup {
  /** Conversation each known Message-ID belongs to; unknown ids are absent from the map. */
  findByMessageIds(channelId: string, messageIds: readonly string[]): Promise<Map<string, ConversationRef>>;
  findByTicketNumber(channelId: string, ticketNumber: string): Promise<ConversationRef | null>;
  findByReplyToken(channelId: string, token: string): Promise<ConversationRef | null>;
}

/** Hands out the next value of a channel's ticket counter (1, 2, 3, …). */
export interface TicketSequence {
  next(channelId: string): Promise<number>;
}

export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  /** A new unique, URL-safe id. */
  next(): string;
}

// ---- Inbound write side (the deployed pipeline) ----

import type { ChannelSettings } from './model/channel.ts';
import type { FailedMail, InboundRecord, StoredMessage } from './model/inbound-record.ts';
import type { RoutedMessage } from './model/routed-message.ts';

/** Raw MIME as SES stored it, keyed by object key (prefix + SES message id). */
export interface RawMailStore {
  /** The raw bytes. Throws `NotFoundError` when no object exists under the key. */
  get(key: string): Promise<Uint8Array>;
}

/** Finds the channel a set of envelope recipients belongs to. */
export interface ChannelDirectory {
  /** The channel one of the recipients addresses (address, alias or `local+tag@` form), or null. */
  findByRecipients(recipients: readonly string[]): Promise<ChannelSettings | null>;
}

/** A conversation as the store creates it, before anyone joins. */
export interface NewConversation {
  readonly id: string;
  readonly channelId: string;
  readonly ticketNumber: string;
  readonly replyToken: string | null;
  readonly createdAt: string;
}

/**
 * What the store holds for one Message-ID of a channel: the conversation it was claimed for
 * (null when none yet) and the stored message carrying it as its own Message-ID (null when only
 * referenced so far). Only a message's own id is owned, so a second copy of a message (same
 * Message-ID, new SES id) can be told from a parent that arrives after its replies.
 */
export interface MessageIdClaim {
  readonly conversationId: string | null;
  readonly owner: string | null;
}

/** How a message joins a conversation. */
export interface JoinOptions {
  /** Reopen a closed conversation; false for automatic mail, which must not wake a closed case. */
  readonly reopen: boolean;
}

/**
 * Write side of the conversation store. Every method is idempotent, so a retried step is harmless.
 *
 * A conversation is `pending` from `create` until it wins its creation race (`publish`) or loses
 * it (`markMerged`, pointing at the conversation it merged into). Merge pointers never form a
 * cycle, and readers follow them with a bound anyway.
 */
export interface ConversationStore extends ThreadLookup {
  /**
   * Creates the conversation unless it exists already (same id: an earlier attempt of ours);
   * returns the stored one, so a retry keeps the ticket number the first attempt wrote.
   */
  create(conversation: NewConversation): Promise<NewConversation>;
  /** Claims a Message-ID for a conversation unless it is claimed; returns the owning conversation (first writer wins). */
  claim(channelId: string, messageId: string, conversationId: string): Promise<string>;
  /**
   * Records, in one write, that the stored message `owner` carries the Message-ID as its own
   * and, given a conversation, claims the id for it unless it is claimed (first writer wins for
   * each). When another message owns the id already, nothing is written: a second copy never
   * claims. Returns the owner and the claim as they stand afterwards. An id claimed only as a
   * reference (a parent arriving late) has no owner yet.
   */
  claimOwn(channelId: string, messageId: string, owner: string, conversationId: string | null): Promise<MessageIdClaim>;
  /** The claims of the Message-IDs that have one, as stored (a conversation id may be merged or pending). */
  findClaims(channelId: string, messageIds: readonly string[]): Promise<Map<string, MessageIdClaim>>;
  /** Conversations by id; a merged one resolves to the conversation it ended in, a pending one is returned as it is. */
  getConversations(ids: readonly string[]): Promise<Map<string, ConversationRef>>;
  /** Moves a claim to another conversation, only while it still points at `from`. */
  moveClaim(channelId: string, messageId: string, from: string, to: string): Promise<void>;
  /**
   * Adds participants (and reopens, if asked) to a published conversation, following merge
   * pointers to the conversation a merged one ended in; returns that conversation afterwards.
   * Throws `NotFoundError` when absent and `BusyError` while it is still pending (another
   * attempt's candidate, which may yet lose its race).
   */
  join(conversationId: string, participants: readonly string[], at: string, options: JoinOptions): Promise<ConversationRef>;
  /**
   * Makes a conversation that won its creation findable by ticket number and reply token (never
   * a merged one) and joins its first message in the same write as the publication (as `join`);
   * returns the conversation afterwards.
   */
  publish(conversation: NewConversation, participants: readonly string[], at: string, options: JoinOptions): Promise<ConversationRef>;
  /**
   * Marks a pending conversation that lost its creation race as merged into the conversation
   * `into` ends in (following merge pointers), never into a merged one. Returns where it ended:
   * that conversation; for one merged before (a retry), where its pointer leads; its own id,
   * without merging, when `into` already ends in it (the claim is its own by way of a merge) or
   * it was published; its own id, writing nothing, when it does not exist (an earlier attempt
   * crashed before creating it).
   */
  markMerged(conversationId: string, into: string, at: string): Promise<string>;
}

/** Result of trying to take the processing lease of an inbound record. */
export type LedgerEntry =
  /** The caller holds the lease (a new record, or a stale one left by a crashed attempt). */
  | { readonly kind: 'acquired'; readonly record: InboundRecord }
  /** Another attempt holds a live lease: retry later. */
  | { readonly kind: 'busy'; readonly record: InboundRecord }
  /** Processing finished before (or failed, and this is no replay). */
  | { readonly kind: 'done'; readonly record: InboundRecord };

/**
 * One record per (SES message id, channel): the idempotency key of inbound processing and its
 * state machine `received → decided → routed | recorded | quarantined | dropped`, or `failed`.
 */
export interface InboundLedger {
  /**
   * Creates the record in `received` with a lease, or returns the stored one; takes the lease of
   * a non-final record whose lease expired, and of a `failed` one when `replay` is set. Taking
   * the lease counts an attempt (`attempts`, reset to 1 on a replay), stored with the lease.
   */
  acquire(record: InboundRecord, options: { readonly now: Date; readonly leaseMs: number; readonly replay: boolean }): Promise<LedgerEntry>;
  /** Stores the next state (the caller holds the lease). */
  save(record: InboundRecord): Promise<void>;
  /** Gives the lease up early (an attempt that failed and will be retried), unless it was taken over. */
  release(record: InboundRecord): Promise<void>;
}

/** Stored inbound messages (metadata and a preview; bodies stay in the raw mail store). */
export interface MessageStore {
  /** Writes the message; writing the same message again is harmless. */
  put(message: StoredMessage): Promise<void>;
}

/** The skill queues agents' apps read. */
export interface RoutedQueue {
  /**
   * Queues the pointer on the skill's queue. FIFO group = conversation (in order, one agent at a
   * time); deduplication id = the Postroom message id, so a resend after a crash is dropped.
   */
  send(message: RoutedMessage): Promise<void>;
}

/** Mail that could not be processed: kept with its raw key and reason, replayable. */
export interface FailedMailStore {
  put(failure: FailedMail): Promise<void>;
}
