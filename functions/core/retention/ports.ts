import type { LegalHold } from '../model/retention.ts';
import type { ConversationSummary } from '../ports/admin.ts';

/** A conversation as its expired item left it: what finding the rest of it needs. */
export interface ExpiredConversation {
  readonly id: string;
  readonly channelId: string;
  readonly ticketNumber: string;
  readonly replyToken: string | null;
}

/** What deleting a stored message needs to know of it (read leniently: an old item still goes). */
export interface ExpiringMessage {
  readonly messageId: string;
  readonly channelId: string;
  /** Null for a message outside any conversation (unattached, quarantined, dropped). */
  readonly conversationId: string | null;
  readonly direction: 'inbound' | 'outbound';
  /** The time it sorts by in its conversation (arrival, or creation of one we send). */
  readonly at: string;
  /** The id its mail was stored under (SES's, or a mailbox's): inbound only. */
  readonly sesMessageId: string | null;
  /** The raw copy of its mail: inbound only. */
  readonly rawKey: string | null;
  /** Attachments it lists: each may have an extracted copy for download. */
  readonly attachmentCount: number;
  /** Message-IDs it may have claimed for its conversation: its own and those it refers to. */
  readonly messageIds: readonly string[];
  /** The id the transport gave a message we sent: feedback finds it by this. */
  readonly providerMessageId: string | null;
}

/**
 * An item that expired (DynamoDB's TTL deleted it, or the sandbox's sweep did), as the expiry
 * reacts to it: a conversation takes everything of it along, a message outside any conversation
 * its own traces, failed mail its raw copy; anything else (window events, acknowledgement claims,
 * audit records) was all there was.
 */
export type ExpiredRecord =
  | { readonly kind: 'conversation'; readonly conversation: ExpiredConversation }
  | { readonly kind: 'message'; readonly message: ExpiringMessage }
  | { readonly kind: 'failed-mail'; readonly sesMessageId: string; readonly channelId: string | null; readonly rawKey: string }
  | { readonly kind: 'other' };

/** The table side of expiry: finding and deleting what an expired record leaves behind. Every method is idempotent. */
export interface RetentionRecords {
  /** Every message (both directions) still stored under the conversation. */
  messagesOf(conversationId: string): Promise<ExpiringMessage[]>;
  /**
   * Deletes what the table holds for a message besides the message itself: the claims of its
   * Message-IDs (only those for its conversation, or owned by it outside any), its processing or
   * sending record, the lookups delivery feedback finds it by. `rawUnused` is true when no record
   * of its mail remains on any channel: the raw copy serves nobody else.
   */
  forgetMessage(message: ExpiringMessage): Promise<{ readonly rawUnused: boolean }>;
  /** Deletes the message item: last, so a retry after a crash finds it and does the rest again. */
  deleteMessage(message: ExpiringMessage): Promise<void>;
  /** Deletes the rest of the conversation: its notes, its ticket-number and reply-token index items, and its item if still there. */
  deleteConversation(conversation: ExpiredConversation): Promise<void>;
  /**
   * Deletes the processing record of a failed mail on its channel (no message came of it); true
   * when nothing else of the mail remains, on any channel.
   */
  forgetFailedMail(sesMessageId: string, channelId: string | null): Promise<{ readonly rawUnused: boolean }>;
}

/** The mail bucket side of expiry. Deleting a key that is gone already is not an error. */
export interface RetentionObjects {
  /** Deletes a message's objects: its extracted attachments, its outbound plan and, with `raw`, its mail's raw copy; returns how many keys it deleted. */
  deleteMessageObjects(message: ExpiringMessage, options: { readonly raw: boolean }): Promise<number>;
  /** Deletes a raw copy; returns 1. */
  deleteRaw(key: string): Promise<number>;
}

/** An item the sweep may take: the expiry rule's inputs and what it was. */
export interface ExpiryCandidate {
  readonly expiresAt: unknown;
  readonly legalHold: unknown;
  readonly record: ExpiredRecord;
  /** Where it is, for the store to delete it. */
  readonly ref: unknown;
}

/**
 * Where the sandbox's sweep finds items with an expiry (DynamoDB's TTL does this in AWS). Each
 * table is one source: the main table and the audit table.
 */
export interface ExpiringItems {
  /** A page of items whose `expiresAt` is earlier than `before`, the rest from `cursor`. */
  scan(before: Date, cursor: string | null): Promise<{ readonly items: readonly ExpiryCandidate[]; readonly cursor: string | null }>;
  /**
   * Deletes the item as TTL does: only while it is still expired at `now` and holds no legal hold
   * (a write since the scan may have moved it on). True when this call deleted it.
   */
  take(candidate: ExpiryCandidate, now: Date): Promise<boolean>;
}

/** Objects that a bucket lifecycle rule expires by age (the sandbox's stand-in for S3 lifecycle). */
export interface AgedObjects {
  /** Deletes the objects under `prefix` last written before `before`; returns how many. */
  expireOlderThan(prefix: string, before: Date): Promise<number>;
}

/** Placing and lifting a conversation's legal hold. */
export interface LegalHolds {
  /**
   * Sets the hold on a published conversation and removes its expiry, in one write; the
   * conversation afterwards. `NotFoundError` when there is no such published conversation.
   */
  place(conversationId: string, hold: LegalHold): Promise<ConversationSummary>;
  /**
   * Lifts the hold and sets the expiry and the retention period given, in one write; the
   * conversation afterwards. `NotFoundError` when the conversation has no hold.
   */
  release(conversationId: string, expiry: { readonly expiresAt: number; readonly retentionDays: number }): Promise<ConversationSummary>;
}
