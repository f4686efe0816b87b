import type { PresenceRecord, WorkLease } from './work-item.ts';

/** Messages visible and in flight on a queue (approximate, as the queue service counts them). */
export interface QueueCounts {
  readonly waiting: number;
  readonly inFlight: number;
}

/** One message received from a skill queue, with the handle that alone can act on this receipt. */
export interface ReceivedMessage {
  readonly body: string;
  readonly receiptHandle: string;
  /** The queue service's id of the message. */
  readonly queueMessageId: string;
}

/** A skill's queue as an agent's app works it, addressed by the queue URL the skill record holds. */
export interface WorkQueue {
  counts(queueUrl: string): Promise<QueueCounts>;
  /** Receives at most one message and keeps it invisible for `visibilitySeconds`; null when none is ready. */
  receive(queueUrl: string, visibilitySeconds: number): Promise<ReceivedMessage | null>;
  /**
   * Keeps a received message invisible for `seconds` from now (0: back on the queue at once).
   * `LeaseGoneError` when the queue no longer holds it under this handle.
   */
  setVisibility(queueUrl: string, receiptHandle: string, seconds: number): Promise<void>;
  /** Deletes a received message; `LeaseGoneError` when the handle is no longer valid. */
  delete(queueUrl: string, receiptHandle: string): Promise<void>;
}

/**
 * Leases, one per taken message. Reads return expired leases too (the store may keep an item past
 * its end; the table's TTL removes it later, or never on a local stand-in): the use cases decide by
 * the clock.
 */
export interface LeaseStore {
  put(lease: WorkLease): Promise<void>;
  get(id: string): Promise<WorkLease | null>;
  /** Replaces a lease that is still stored (a new end); false when it is gone (done or released meanwhile). */
  replace(lease: WorkLease): Promise<boolean>;
  remove(lease: WorkLease): Promise<void>;
  /** Every stored lease on a conversation, of any agent. */
  onConversation(conversationId: string): Promise<WorkLease[]>;
}

/** Who has a conversation open. Reads return lapsed entries too: the use cases decide by the clock. */
export interface PresenceStore {
  get(conversationId: string, agentId: string): Promise<PresenceRecord | null>;
  put(record: PresenceRecord): Promise<void>;
  remove(conversationId: string, agentId: string): Promise<void>;
  list(conversationId: string): Promise<PresenceRecord[]>;
}

/** The stores of the work routes, as the admin API's dependencies hold them. */
export interface WorkStores {
  readonly queue: WorkQueue;
  readonly leases: LeaseStore;
  readonly presence: PresenceStore;
}
