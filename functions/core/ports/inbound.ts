import type { ChannelSettings } from '../model/channel.ts';
import type { AcknowledgementRecord, FailedMail, InboundRecord } from '../model/inbound-record.ts';
import type { RoutedMessage } from '../model/routed-message.ts';
import type { InboundStoredMessage } from '../model/stored-message.ts';
import type { ProcessingLedger } from './processing-ledger.ts';

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

/**
 * One record per (SES message id, channel): the idempotency key of inbound processing and its
 * state machine `received → decided → routed | recorded | quarantined | dropped`, or `failed`.
 */
export type InboundLedger = ProcessingLedger<InboundRecord>;

/** What the expiry of a stored message needs beyond the message (`docs/retention.md`). */
export interface MessageRetention {
  /** Its channel's own retention days; absent: the account's. Read for a message outside any conversation. */
  readonly retentionDays?: number | undefined;
  /** Every Message-ID its threading claimed (its own, and references it did not know): more than the capped `references` it keeps. */
  readonly claimIds?: readonly string[] | undefined;
}

/** Stored messages of both directions (metadata and a preview; bodies stay in the raw mail store). */
/** Inbound messages (outbound ones are written by `OutboundMessageStore` alone). */
export interface MessageStore {
  /**
   * Writes the message; writing the same message again is harmless. A message outside any
   * conversation expires on its own, `retentionDays` (its channel's setting; absent: the
   * account's) after it arrived; one in a conversation goes with the conversation, and
   * `claimIds` (the Message-IDs its threading claimed) tell the expiry which claims to delete then.
   */
  put(message: InboundStoredMessage, options?: MessageRetention): Promise<void>;
}

/** What an inbound message is queued with: the pointer for its skill queue and the acknowledgement job, each null when none. */
export interface DecidedCheckpoint {
  readonly routed: RoutedMessage | null;
  readonly acknowledgement: AcknowledgementRecord | null;
}

/** Where an inbound message is stored: its conversation (null: the channel's loose messages), arrival and Postroom id. */
export interface InboundMessageKey {
  readonly channelId: string;
  readonly conversationId: string | null;
  readonly receivedAt: string;
  readonly messageId: string;
}

/** An inbound message and the decided checkpoint it was stored with. */
export interface DecidedMessage {
  readonly message: InboundStoredMessage;
  readonly decided: DecidedCheckpoint;
}

/**
 * Inbound messages that carry the decided checkpoint of their mail (what it is queued with),
 * written with the message before anything is sent: a retry after a crash that finds the message
 * finds exactly the pointer the crashed attempt was about to send.
 */
export interface DecidedMessages {
  /**
   * Writes the message with its checkpoint unless it is stored with one already: the first
   * checkpoint stands, so attempts of one mail never queue two pointers. `replace` overwrites it
   * (an operator's replay decides again). Returns the message and checkpoint that stand.
   */
  putDecided(message: InboundStoredMessage, decided: DecidedCheckpoint, options: { readonly replace: boolean } & MessageRetention): Promise<DecidedMessage>;
  /** The message stored under the key and the checkpoint it was stored with; null when absent or stored without one. */
  findDecided(key: InboundMessageKey): Promise<DecidedMessage | null>;
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
