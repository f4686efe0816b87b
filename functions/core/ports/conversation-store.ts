import type { ConversationRef } from '../model/conversation.ts';
import type { SlaRecord } from '../sla/sla-clock.ts';

/** Read side of the conversation store, as threading needs it. */
export interface ThreadLookup {
  /** Conversation each known Message-ID belongs to; unknown ids are absent from the map. */
  findByMessageIds(channelId: string, messageIds: readonly string[]): Promise<Map<string, ConversationRef>>;
  findByTicketNumber(channelId: string, ticketNumber: string): Promise<ConversationRef | null>;
  findByReplyToken(channelId: string, token: string): Promise<ConversationRef | null>;
}

/**
 * Hands out ticket sequence values (1, 2, 3, …) from one counter for the whole deployment, so a
 * ticket number names one conversation whatever the channel; `channelId` is the channel the
 * number is drawn for.
 */
export interface TicketSequence {
  next(channelId: string): Promise<number>;
}

/** A conversation as the store creates it, before anyone joins. */
export interface NewConversation {
  readonly id: string;
  readonly channelId: string;
  readonly ticketNumber: string;
  readonly replyToken: string | null;
  readonly createdAt: string;
  /** `closed` for a conversation made by importing old mail; `open` when absent. */
  readonly status?: 'open' | 'closed';
  /**
   * Days it is kept after its last message: its channel's own retention setting. Absent: the
   * account-wide one, which the store knows. Fixed for the conversation's life.
   */
  readonly retentionDays?: number;
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
  /**
   * The SES message id of the mail the owner was stored from, when an inbound message owns the id
   * (absent for ours, and for claims written before receipts were recorded): a later copy finds
   * the first copy's inbound record by it.
   */
  readonly receipt?: string | null;
  /** The owner is a forward we sent to an external party: a mail answering this id is that party's. */
  readonly external?: true;
}

/** How a message joins a conversation. */
export interface JoinOptions {
  /** Reopen a closed conversation; false for automatic mail, which must not wake a closed case. */
  readonly reopen: boolean;
  /** The agent who wrote the message, for a message we send: becomes the conversation's `lastAgent`. */
  readonly agent?: string;
  /** The skill the message is routed to: the conversation's `lastSkill`, which the admin API filters by. */
  readonly skill?: string;
  /**
   * The addresses given are external parties (the recipients of a forward), not participants:
   * their answers thread to the conversation flagged `external-party` and never become the customer's.
   */
  readonly external?: boolean;
  /** `publish` only: the SLA clocks a person's new mail starts, and when the check next looks (`docs/sla.md`). */
  readonly sla?: { readonly record: SlaRecord; readonly next: string | null };
  /** An agent's answer (not an acknowledgement, not a forward): meets the first response and pauses the SLA clocks. */
  readonly answer?: boolean;
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
   * reference (a parent arriving late) has no owner yet. `receipt` (the SES message id of an
   * inbound owner's mail) is recorded with the owner; `external` marks the id of a forward we sent.
   */
  claimOwn(
    channelId: string,
    messageId: string,
    owner: string,
    conversationId: string | null,
    receipt?: string,
    options?: { readonly external?: boolean },
  ): Promise<MessageIdClaim>;
  /** The claims of the Message-IDs that have one, as stored (a conversation id may be merged or pending). */
  findClaims(channelId: string, messageIds: readonly string[]): Promise<Map<string, MessageIdClaim>>;
  /** Conversations by id; a merged one resolves to the conversation it ended in, a pending one is returned as it is. */
  getConversations(ids: readonly string[]): Promise<Map<string, ConversationRef>>;
  /** Moves a claim to another conversation, only while it still points at `from`. */
  moveClaim(channelId: string, messageId: string, from: string, to: string): Promise<void>;
  /**
   * Adds participants (and reopens, if asked; sets the last agent, if given) to a published
   * conversation, following merge pointers to the conversation a merged one ended in; returns
   * that conversation afterwards. Throws `NotFoundError` when absent and `BusyError` while it is
   * still pending (another attempt's candidate, which may yet lose its race).
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
