import { z } from 'zod';

/** How a mailbox source fares: `failing` with its reason until a poll logs in again. */
export const SourceHealthSchema = z.object({
  status: z.enum(['unknown', 'healthy', 'failing']),
  /** Why it is failing (the server's or token endpoint's answer), never a secret; null when healthy. */
  reason: z.string().nullable(),
  /** Since when the status holds. */
  since: z.string().nullable(),
  /** Polls in a row that could not reach the server: a short outage never makes a source failing. */
  unreachablePolls: z.number().int().nonnegative(),
});
export type SourceHealth = z.infer<typeof SourceHealthSchema>;

export const SourceCountsSchema = z.object({
  /** Messages read from the mailbox. */
  fetched: z.number().int().nonnegative(),
  routed: z.number().int().nonnegative(),
  /** Old mail that became (or joined) closed conversations. */
  imported: z.number().int().nonnegative(),
  /** Kept for the record (automatic mail, duplicates of a Message-ID), quarantined or dropped. */
  recorded: z.number().int().nonnegative(),
  /** The same content under another key (a UIDVALIDITY rescan, a message copied twice). */
  duplicates: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
});
export type SourceCounts = z.infer<typeof SourceCountsSchema>;

export const EMPTY_COUNTS: SourceCounts = { fetched: 0, routed: 0, imported: 0, recorded: 0, duplicates: 0, failed: 0 };

/**
 * What Postroom remembers of a channel's mailbox: where the next poll starts (`cursor`), what
 * was there at the first connection (`boundary`, for `import-closed`), health and counts.
 */
export const SourceStateSchema = z.object({
  channelId: z.string(),
  type: z.enum(['imap', 'pop3', 'graph']),
  /** The source's login fields the cursor belongs to: another mailbox starts afresh. */
  endpoint: z.string(),
  /** True once the first connection applied the initial-sync policy. */
  initialized: z.boolean(),
  cursor: z.record(z.string(), z.unknown()).nullable(),
  boundary: z.record(z.string(), z.unknown()).nullable(),
  health: SourceHealthSchema,
  lastPollAt: z.string().nullable(),
  /** The last poll that logged in and listed the mailbox. */
  lastSuccessAt: z.string().nullable(),
  /** No poll before this time (the server's `Retry-After`). */
  notBefore: z.string().nullable(),
  counts: SourceCountsSchema,
  /** Graph change notifications: the subscription and when it expires. */
  subscription: z
    .object({
      id: z.string(),
      expiresAt: z.string(),
      /** The secret Graph carries back with each notification; it lets a caller only make a poll come sooner. */
      clientState: z.string(),
    })
    .nullable(),
  /** Optimistic version: a poll saves only over the state it read. */
  version: z.number().int().nonnegative(),
});
export type SourceState = z.infer<typeof SourceStateSchema>;

/** What the poller recorded of one message key once its mail was final: the move still owed to the mailbox. */
export const SettledKeySchema = z.object({
  key: z.string(),
  /** The processing record's id (`sesMessageId`). */
  mailId: z.string(),
  outcome: z.enum(['routed', 'imported', 'recorded', 'duplicate', 'failed']),
  at: z.string(),
});
export type SettledKey = z.infer<typeof SettledKeySchema>;
