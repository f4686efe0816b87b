import type { ChannelRetention, LegalHold, RetentionSettings } from '../model/retention.ts';

/*
 * When something expires: the one rule that the writes (DynamoDB's TTL attribute, `expiresAt`,
 * in epoch seconds), the sandbox's sweep and the release of a legal hold all apply.
 */

export const SECONDS_PER_DAY = 86_400;

/** Epoch seconds, DynamoDB TTL's unit, of an instant. */
export function epochSeconds(at: string | Date): number {
  const ms = typeof at === 'string' ? Date.parse(at) : at.getTime();
  if (!Number.isFinite(ms)) throw new TypeError(`not a time: ${String(at)}`);
  return Math.floor(ms / 1000);
}

/** A period of whole days in seconds: what a conversation item carries, so one write moves its expiry. */
export function retentionSeconds(days: number): number {
  return days * SECONDS_PER_DAY;
}

/** When something last active at `at` and kept `days` expires, in epoch seconds. */
export function expiryAfter(at: string | Date, days: number): number {
  return epochSeconds(at) + retentionSeconds(days);
}

/**
 * The days a conversation of the channel is kept after its last message: the channel's own
 * setting, else the account-wide one.
 */
export function mailRetentionDays(channel: { readonly retention?: ChannelRetention | undefined }, account: Pick<RetentionSettings, 'mailDays'>): number {
  return channel.retention?.mailDays ?? account.mailDays;
}

/**
 * The expiry of a conversation whose last message was at `lastActivity`: never while a legal hold
 * stands (null: no `expiresAt` at all), else `retentionDays` after it. Each new message moves it.
 */
export function conversationExpiry(input: {
  readonly lastActivity: string;
  readonly retentionDays: number;
  readonly legalHold: LegalHold | null;
}): number | null {
  if (input.legalHold) return null;
  return expiryAfter(input.lastActivity, input.retentionDays);
}

/** What the expiry rule reads of a stored item. */
export interface ExpiringItem {
  readonly expiresAt?: unknown;
  readonly legalHold?: unknown;
}

/**
 * True when the item is due, as DynamoDB's TTL decides it: a numeric `expiresAt` earlier than now
 * (an item without one, or with a value of another type, never expires), and no legal hold.
 */
export function isExpired(item: ExpiringItem, now: Date): boolean {
  if (item.legalHold !== undefined && item.legalHold !== null) return false;
  return typeof item.expiresAt === 'number' && Number.isFinite(item.expiresAt) && item.expiresAt < epochSeconds(now);
}
