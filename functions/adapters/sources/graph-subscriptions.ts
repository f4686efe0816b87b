import { createHash, timingSafeEqual } from 'node:crypto';
import { DependencyError } from '../../core/errors.ts';
import { type GraphClient, type GraphJson, GraphRequestError, parseJson } from './graph-client.ts';

/**
 * Graph change notifications for a mailbox folder: a subscription tells a notification URL that
 * mail arrived, so the poller can run at once instead of waiting for its schedule. The
 * notification is only a nudge; the delta query stays the record of what is in the folder.
 */

/** How long a new or renewed subscription lives: Graph allows at most 10,080 minutes for mail; three days leaves slack for a missed renewal. */
export const SUBSCRIPTION_LIFETIME_MS = 3 * 24 * 3_600_000;
/** Renew when the subscription has less than this left. */
export const RENEW_WITHIN_MS = 12 * 3_600_000;
/** Graph's limit on `clientState`. */
export const MAX_CLIENT_STATE = 128;
/** Graph's validation tokens are short texts; anything longer is not one. */
const MAX_VALIDATION_TOKEN = 4096;
/** Graph batches notifications; more than this in one body is not Graph. */
const MAX_NOTIFICATIONS = 1000;

export interface GraphSubscription {
  readonly id: string;
  readonly resource: string;
  /** ISO 8601. */
  readonly expiresAt: string;
}

export interface NewSubscription {
  readonly mailbox: string;
  readonly folderId: string;
  readonly notificationUrl: string;
  /** Where Graph reports a removed subscription, a reauthorization or missed notifications; the notification URL may serve both. */
  readonly lifecycleNotificationUrl?: string;
  /** The shared secret every notification must carry back (at most 128 characters). */
  readonly clientState: string;
  readonly expiresAt: Date;
}

/** One accepted notification: which subscription, what changed, which message. */
export interface GraphNotification {
  readonly subscriptionId: string;
  /** `created` for new mail; null on a lifecycle notification. */
  readonly changeType: string | null;
  /** As Graph names it (`Users/{user id}/Messages/{id}`), not as subscribed. */
  readonly resource: string | null;
  readonly messageId: string | null;
  readonly tenantId: string | null;
  /** `reauthorizationRequired`, `subscriptionRemoved` or `missed` on a lifecycle notification; null otherwise. */
  readonly lifecycleEvent: string | null;
}

export interface ParsedNotifications {
  readonly accepted: readonly GraphNotification[];
  /** Entries refused: a wrong or missing `clientState`, no subscription id, or past the batch limit. */
  readonly dropped: number;
  /** The body was not a notification collection at all. */
  readonly malformed: boolean;
}

/** Subscribes `notificationUrl` to mail created in one folder. Graph first checks the URL (see `validationResponse`). */
export async function createSubscription(client: GraphClient, input: NewSubscription): Promise<GraphSubscription> {
  if (!input.clientState || input.clientState.length > MAX_CLIENT_STATE) throw new RangeError(`clientState must have 1 to ${MAX_CLIENT_STATE} characters`);
  // Sent with the immutable-id preference (the client adds it), so notifications name messages as the delta does.
  const json = await client.post('/subscriptions', {
    changeType: 'created',
    notificationUrl: input.notificationUrl,
    ...(input.lifecycleNotificationUrl ? { lifecycleNotificationUrl: input.lifecycleNotificationUrl } : {}),
    resource: `users/${encodeURIComponent(input.mailbox)}/mailFolders('${input.folderId.replaceAll("'", "''")}')/messages`,
    expirationDateTime: input.expiresAt.toISOString(),
    clientState: input.clientState,
  });
  return subscriptionOf(json);
}

/** Extends a subscription; null when Graph no longer has it (expired or removed): create a new one. */
export async function renewSubscription(client: GraphClient, id: string, expiresAt: Date): Promise<GraphSubscription | null> {
  try {
    return subscriptionOf(await client.patch(`/subscriptions/${encodeURIComponent(id)}`, { expirationDateTime: expiresAt.toISOString() }));
  } catch (error) {
    if (error instanceof GraphRequestError && error.status === 404) return null;
    throw error;
  }
}

/** Ends a subscription; one already gone is no error. */
export async function deleteSubscription(client: GraphClient, id: string): Promise<void> {
  try {
    await client.delete(`/subscriptions/${encodeURIComponent(id)}`);
  } catch (error) {
    if (!(error instanceof GraphRequestError && error.status === 404)) throw error;
  }
}

export function subscriptionExpiry(now: Date): Date {
  return new Date(now.getTime() + SUBSCRIPTION_LIFETIME_MS);
}

export function needsRenewal(expiresAt: string | Date, now: Date): boolean {
  const at = typeof expiresAt === 'string' ? Date.parse(expiresAt) : expiresAt.getTime();
  // An unreadable expiry is renewed: a spare PATCH costs less than a silent subscription.
  return Number.isNaN(at) || at - now.getTime() <= RENEW_WITHIN_MS;
}

/**
 * The token of Graph's validation request (`POST <notificationUrl>?validationToken=…`), which
 * the endpoint must answer within 10 seconds with 200, `text/plain` and the token as the body;
 * null for an ordinary notification.
 */
export function validationResponse(url: string | URL): string | null {
  const parsed = typeof url === 'string' ? (URL.canParse(url, 'http://localhost') ? new URL(url, 'http://localhost') : null) : url;
  const token = parsed?.searchParams.get('validationToken') ?? null;
  return token && token.length <= MAX_VALIDATION_TOKEN ? token : null;
}

/**
 * The notifications of a POSTed body whose `clientState` is the expected secret (compared in
 * constant time). Anyone can POST to the notification URL; the secret is what makes an entry Graph's.
 */
export function parseNotifications(body: unknown, expectedClientState: string): ParsedNotifications {
  const collection = typeof body === 'string' ? parseJson(body) : body && typeof body === 'object' && !Array.isArray(body) ? (body as GraphJson) : null;
  const value = collection?.value;
  if (!Array.isArray(value)) return { accepted: [], dropped: 0, malformed: true };
  const accepted: GraphNotification[] = [];
  let dropped = Math.max(0, value.length - MAX_NOTIFICATIONS);
  for (const raw of value.slice(0, MAX_NOTIFICATIONS)) {
    const entry = raw && typeof raw === 'object' ? (raw as GraphJson) : {};
    const subscriptionId = text(entry.subscriptionId);
    if (!subscriptionId || typeof entry.clientState !== 'string' || !sameSecret(entry.clientState, expectedClientState)) {
      dropped++;
      continue;
    }
    const data = entry.resourceData && typeof entry.resourceData === 'object' ? (entry.resourceData as GraphJson) : {};
    accepted.push({
      subscriptionId,
      changeType: text(entry.changeType),
      resource: text(entry.resource, 1024),
      messageId: text(data.id, 1024),
      tenantId: text(entry.tenantId),
      lifecycleEvent: text(entry.lifecycleEvent),
    });
  }
  return { accepted, dropped, malformed: false };
}

function subscriptionOf(json: GraphJson): GraphSubscription {
  const id = text(json.id, 256);
  const expiresAt = text(json.expirationDateTime);
  if (!id || !expiresAt) throw new DependencyError('dependency-rejected', 'Graph answered a subscription without id or expirationDateTime');
  return { id, resource: text(json.resource, 1024) ?? '', expiresAt };
}

/** Digests first, so neither the length nor a common prefix of the secret shows in the time taken. */
function sameSecret(given: string, expected: string): boolean {
  if (!expected) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** A string field as sent, or null when absent, empty or longer than Graph would send. */
function text(value: unknown, max = 128): string | null {
  return typeof value === 'string' && value.length > 0 && value.length <= max ? value : null;
}
