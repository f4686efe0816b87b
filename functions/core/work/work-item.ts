import { z } from 'zod';
import { NotFoundError, ValidationError } from '../errors.ts';

/**
 * What an agent's app holds while it works a message of a skill queue (a lease), and who else has
 * a conversation open (presence). The queue message stays invisible to every other consumer while
 * its lease lives; the FIFO group (the conversation) keeps the conversation's later mail back
 * until the message is deleted or put back, so one conversation is with one agent at a time.
 */

/** How long a take keeps the message invisible, in seconds: at least 30, at most an hour, 10 minutes unless asked. */
export const VISIBILITY_SECONDS = { min: 30, max: 3600, default: 600 } as const;

/** `seconds` when it is a whole number in `VISIBILITY_SECONDS`' range (`fallback` when absent), else a 400 naming `visibilitySeconds`. */
export function visibilityOf(seconds: number | undefined, fallback: number = VISIBILITY_SECONDS.default): number {
  const value = seconds ?? fallback;
  if (Number.isInteger(value) && value >= VISIBILITY_SECONDS.min && value <= VISIBILITY_SECONDS.max) return value;
  const problem = `a whole number of seconds from ${VISIBILITY_SECONDS.min} to ${VISIBILITY_SECONDS.max}`;
  throw new ValidationError(`visibilitySeconds: ${problem}`, [{ path: 'visibilitySeconds', message: problem }]);
}

/** A presence entry lives this long after its last heartbeat; an app renews it every ~20 seconds. */
export const PRESENCE_TTL_MS = 60_000;

export const PRESENCE_STATES = ['viewing', 'answering'] as const;
export type PresenceState = (typeof PRESENCE_STATES)[number];

/** A lease as it is stored: the receipt handle stays here, bound to the agent, and never reaches a client. */
export const WorkLeaseSchema = z.object({
  id: z.string(),
  skill: z.string(),
  agentId: z.string(),
  queueUrl: z.string(),
  receiptHandle: z.string(),
  conversationId: z.string().nullable(),
  messageId: z.string(),
  /** The routed-message record as it was queued (JSON object). */
  pointer: z.record(z.string(), z.unknown()),
  visibilitySeconds: z.number().int(),
  takenAt: z.string(),
  /** ISO time the message becomes visible again unless extended, released or done. */
  expiresAt: z.string(),
});
export type WorkLease = z.infer<typeof WorkLeaseSchema>;

/** One agent's presence on a conversation as stored; `until` is when it lapses without a heartbeat. */
export const PresenceRecordSchema = z.object({
  conversationId: z.string(),
  agentId: z.string(),
  displayName: z.string(),
  state: z.enum(PRESENCE_STATES),
  /** When the agent entered this state (a heartbeat in the same state keeps it). */
  since: z.string(),
  until: z.string(),
});
export type PresenceRecord = z.infer<typeof PresenceRecordSchema>;

/** True while `end` (ISO) lies after `now`: a lease or presence entry still in force. */
export function isLive(end: string, now: Date): boolean {
  return Date.parse(end) > now.getTime();
}

/**
 * A lease that no longer holds its message: completed, released, expired (the message is back on
 * the queue, perhaps with another agent) or never issued. A 404 whose message says what to do.
 */
export class LeaseGoneError extends NotFoundError {
  override name = 'LeaseGoneError';
}

/**
 * What a queued message is to an agent's app: the routed-message record (a JSON object), its
 * conversation and message ids. A body that is no JSON object (nothing Postroom queues) is kept
 * as text under `body`, so the app still sees it and can finish it, instead of it blocking the queue.
 */
export function readPointer(body: string, queueMessageId: string): { pointer: Record<string, unknown>; conversationId: string | null; messageId: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = null;
  }
  const pointer =
    parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { body: body.slice(0, 10_000) };
  const text = (key: string): string | null => (typeof pointer[key] === 'string' && pointer[key] !== '' ? (pointer[key] as string) : null);
  return { pointer, conversationId: text('conversationId'), messageId: text('messageId') ?? queueMessageId };
}
