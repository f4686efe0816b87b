import type { ConversationRef } from '../model/conversation.ts';
import type { Calendar } from './calendar.ts';
import type { SlaEventKey, SlaRecord, SlaState, SlaTarget } from './sla-clock.ts';

/** Calendars by id, as the admin keeps them (`/calendars`); the built-in `always` is not stored. */
export interface CalendarLookup {
  get(id: string): Promise<Calendar | null>;
}

/** The SLA side of the conversation store: the writes that need the state computed first. */
export interface SlaStateStore {
  /**
   * Writes a conversation's SLA record computed from the state at revision `expectedRev` (null: it
   * has none yet, a start): the clocks run (no `pausedSince`), the revision moves on, and the
   * conversation is found by the check at `next` (or no longer, when null). A start also forgets
   * an answer recorded before the clocks existed. Returns the conversation afterwards, or null
   * when the state moved on meanwhile (the caller reads it again).
   */
  writeSla(conversationId: string, expectedRev: number | null, record: SlaRecord, next: string | null): Promise<ConversationRef | null>;
  getConversations(ids: readonly string[]): Promise<Map<string, ConversationRef>>;
}

/** A conversation whose next SLA event is due, as the check reads it. */
export interface SlaDueConversation {
  readonly conversationId: string;
  readonly channelId: string;
  readonly ticketNumber: string;
  readonly sla: SlaState;
}

/** Where the check finds due conversations and records what it published. */
export interface SlaSchedule {
  /** Conversations whose next event is due by `now` (ISO), earliest first, at most `limit`. */
  due(now: string, limit: number): Promise<SlaDueConversation[]>;
  /**
   * Records event `key` as published, only while the state is at `rev` and the event was not
   * recorded already, and moves the conversation's place in the schedule to `next` (null: out).
   * True when this call recorded it: exactly one of two concurrent checks gets true.
   */
  markPublished(conversationId: string, key: SlaEventKey, rev: number, next: string | null): Promise<boolean>;
  /** Takes a record back after its publication failed, so a later check publishes it; `at` is where it is due. */
  unmarkPublished(conversationId: string, key: SlaEventKey, at: string): Promise<void>;
  /** Moves a conversation's place in the schedule (nothing was owed by now), only while the state is at `rev`. */
  reschedule(conversationId: string, rev: number, next: string | null): Promise<void>;
}

/** One SLA event, as published: one message each. */
export interface SlaEvent {
  readonly type: 'sla.warning' | 'sla.breach';
  readonly conversationId: string;
  readonly channelId: string;
  readonly ticketNumber: string;
  readonly target: SlaTarget;
  /** When the target is (was) due, ISO 8601. */
  readonly dueAt: string;
  /** When the event fell due: the warning time, or the due time of a breach. */
  readonly at: string;
}

/** Where SLA events go: an SNS topic in AWS, a local queue in the sandbox. */
export interface SlaEventPublisher {
  publish(event: SlaEvent): Promise<void>;
}
