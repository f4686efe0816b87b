import type { ChannelSettings } from '../model/channel.ts';
import type { FailedMail, InboundRecord } from '../model/inbound-record.ts';
import type { RoutedMessage } from '../model/routed-message.ts';
import type { StoredMessage } from '../model/stored-message.ts';
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

/** Stored messages of both directions (metadata and a preview; bodies stay in the raw mail store). */
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
