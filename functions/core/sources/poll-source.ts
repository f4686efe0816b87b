import type { ChannelSettings } from '../model/channel.ts';
import { sourceEndpoint } from '../model/channel-credentials.ts';
import type { MailboxSource } from '../model/mail-source.ts';
import { EMPTY_COUNTS, type SettledKey, type SourceCounts, type SourceHealth, type SourceState } from '../model/source-state.ts';
import { AppError, ConfigError, ConflictError, PolicyError } from '../errors.ts';
import type { Clock } from '../ports/clock.ts';
import {
  MailboxAuthError,
  type MailboxConnector,
  type MailboxItem,
  MailboxItemGoneError,
  type MailboxSession,
  MailboxTooLargeError,
  MailboxUnavailableError,
  type SettleAction,
  type SourceCursor,
} from '../ports/mailbox.ts';
import type { FailedMailStore } from '../ports/inbound.ts';
import type { SourceStateStore } from '../ports/source-state.ts';
import { type IngestDeps, type IngestOutcome, ingestMail, sourceMailId } from './ingest-mail.ts';

export interface PollSourceDeps extends IngestDeps {
  readonly states: SourceStateStore;
  readonly failed: FailedMailStore;
  readonly clock: Clock;
  /** Opens the channel's mailbox with its stored credentials. */
  readonly connect: (channel: ChannelSettings & { readonly source: MailboxSource }) => Promise<MailboxConnector>;
  /** A new random secret (a subscription's `clientState`), URL-safe. */
  readonly secret: () => string;
  /** Where a mailbox that offers change notifications (Graph) sends them for a channel; none when absent. */
  readonly notificationUrl?: (channelId: string) => string | null;
}

export interface PollOptions {
  /** Most messages one poll reads: a poll is bounded, the next one resumes. @default 50 */
  readonly limit?: number;
  /** Stop taking new messages after this many milliseconds (the function's time left). @default 60_000 */
  readonly budgetMs?: number;
  /** Poll even before the server's `Retry-After` has passed (an admin's "poll now"). @default false */
  readonly force?: boolean;
}

export type ItemOutcome = SettledKey['outcome'];

/** What one poll did. */
export interface PollReport {
  readonly channelId: string;
  /** `polled`; `busy` when another poll holds the mailbox; `waiting` before the server's Retry-After; `error` when the login or connection failed (`health` says whether the source is failing). */
  readonly status: 'polled' | 'busy' | 'waiting' | 'error';
  /** Why the poll stopped, when it did (`error`). */
  readonly error?: string;
  readonly items: readonly { readonly key: string; readonly mailId: string; readonly outcome: ItemOutcome; readonly reason?: string }[];
  readonly counts: SourceCounts;
  /** True when the mailbox holds more than this poll read. */
  readonly more: boolean;
  readonly health: SourceHealth;
  /** Set when the listing started over (an IMAP UIDVALIDITY change, an expired Graph delta link). */
  readonly rescan: boolean;
}

/** Polls in a row the server may be unreachable before the source counts as failing. */
export const UNREACHABLE_POLLS_BEFORE_FAILING = 5;
/** How long one poll holds a mailbox: longer than the function's timeout. */
const LEASE_MS = 16 * 60_000;
/** The cursor is saved after this many settled messages (and at the end): a crash re-lists at most these. */
const CURSOR_EVERY = 20;

/**
 * Polls a channel's mailbox once: lists what arrived after the cursor, runs each message through
 * the SES path (`ingestMail`: raw copy first, then the same processing record and steps), and
 * only when its record is final records the move it owes the mailbox (the pending move), then
 * moves, deletes or keeps it. The cursor advances only past settled messages, so a crash at any
 * point re-lists what was not settled; a re-listed key whose move was recorded is settled again
 * without reading it, and one whose mail was processed but not recorded is found final by its
 * processing record. One message that cannot be read or processed goes to the Failed folder (or
 * stays, for POP3) with its reason and never blocks the rest.
 *
 * The first connection applies the source's `initialSync`: `skip` starts the cursor at the end of
 * the mailbox; `import-closed` remembers the mailbox's position then, and mail from before it
 * becomes closed conversations, queued nowhere and never acknowledged.
 *
 * A refused login marks the source failing with the reason and keeps its cursor; an unreachable
 * server only after `UNREACHABLE_POLLS_BEFORE_FAILING` polls in a row. Either way the schedule
 * keeps polling, and the first poll that logs in again resumes where the last one stopped.
 */
export async function pollSource(deps: PollSourceDeps, channel: ChannelSettings, options: PollOptions = {}): Promise<PollReport> {
  const source = channel.source;
  if (source.type === 'ses') throw new ConfigError(`channel ${channel.id} receives through SES: it has no mailbox to poll`);
  const mailboxChannel = { ...channel, source };
  const now = deps.clock.now();
  const stored = await deps.states.get(channel.id);
  let state = freshState(channel.id, source, stored);
  if (!options.force && state.notBefore && state.notBefore > now.toISOString()) return report(state, 'waiting', [], false, false);
  if (!(await deps.states.lease(channel.id, now.toISOString(), new Date(now.getTime() + LEASE_MS).toISOString()))) {
    return report(state, 'busy', [], false, false);
  }
  try {
    return await pollLeased(deps, mailboxChannel, state, options, (next) => {
      state = next;
    });
  } catch (error) {
    const failed = await recordFailure(deps, state, error);
    if (failed) return { ...report(failed, 'error', [], false, false), error: error instanceof Error ? error.message.slice(0, 500) : String(error) };
    throw error;
  } finally {
    await deps.states.release(channel.id).catch(() => undefined);
  }
}

/** The stored state when it belongs to this mailbox; a new one (cursor and boundary forgotten) when the login fields changed. */
function freshState(channelId: string, source: MailboxSource, stored: SourceState | null): SourceState {
  const endpoint = JSON.stringify([...sourceEndpoint(source), ['folder', 'folder' in source ? source.folder : null]]);
  if (stored && stored.endpoint === endpoint && stored.type === source.type) return stored;
  return {
    channelId,
    type: source.type,
    endpoint,
    initialized: false,
    cursor: null,
    boundary: null,
    health: stored?.health ?? { status: 'unknown', reason: null, since: null, unreachablePolls: 0 },
    lastPollAt: stored?.lastPollAt ?? null,
    lastSuccessAt: stored?.lastSuccessAt ?? null,
    notBefore: null,
    counts: stored?.counts ?? EMPTY_COUNTS,
    subscription: stored?.subscription ?? null,
    version: stored?.version ?? 0,
  };
}

async function pollLeased(
  deps: PollSourceDeps,
  channel: ChannelSettings & { readonly source: MailboxSource },
  start: SourceState,
  options: PollOptions,
  track: (state: SourceState) => void,
): Promise<PollReport> {
  const started = deps.clock.now().getTime();
  const limit = options.limit ?? 50;
  const budgetMs = options.budgetMs ?? 60_000;
  const session = await (await deps.connect(channel)).open();
  try {
    let state = await initialize(session, channel, start);
    track(state);
    const listing = await session.list(state.cursor, limit);
    const settledKeys = await deps.keys.settled(
      channel.id,
      listing.items.map((i) => i.key),
    );
    const items: PollReport['items'][number][] = [];
    let counts = { ...state.counts };
    let cursor: SourceCursor | null = state.cursor;
    let unsaved = 0;
    let stoppedEarly = false;
    for (const item of listing.items) {
      if (deps.clock.now().getTime() - started > budgetMs) {
        stoppedEarly = true;
        break;
      }
      const settled = settledKeys.get(item.key) ?? (await processItem(deps, channel, state, session, item));
      cursor = item.cursorAfter;
      if (settled === null) continue;
      await session.settle(item, actionFor(channel.source, settled.outcome));
      if (!settledKeys.has(item.key)) counts = count(counts, settled.outcome);
      items.push({ key: item.key, mailId: settled.mailId, outcome: settled.outcome, ...(reasonOf(settled) ? { reason: reasonOf(settled) } : {}) });
      unsaved += 1;
      if (unsaved >= CURSOR_EVERY) {
        state = await save(deps, { ...state, cursor, counts });
        track(state);
        unsaved = 0;
      }
    }
    // Everything listed is settled: the cursor may move past pages that held nothing new.
    if (!stoppedEarly && listing.cursor) cursor = listing.cursor;
    const subscription = await watch(deps, channel.id, session, state.subscription);
    const at = deps.clock.now().toISOString();
    const health: SourceHealth = { status: 'healthy', reason: null, since: state.health.status === 'healthy' ? state.health.since : at, unreachablePolls: 0 };
    state = await save(deps, { ...state, cursor, counts, health, lastPollAt: at, lastSuccessAt: at, notBefore: null, subscription });
    track(state);
    return report(state, 'polled', items, listing.more || stoppedEarly, listing.rescan);
  } finally {
    await session.close().catch(() => undefined);
  }
}

/**
 * Keeps the mailbox's change notifications subscribed (created, or renewed before they expire).
 * A failure leaves the subscription as it was: polling is the safety net, a notification only
 * makes a poll come sooner.
 */
async function watch(
  deps: PollSourceDeps,
  channelId: string,
  session: MailboxSession,
  current: SourceState['subscription'],
): Promise<SourceState['subscription']> {
  const notificationUrl = deps.notificationUrl?.(channelId) ?? null;
  if (!session.watch || !notificationUrl) return current;
  const clientState = current?.clientState ?? deps.secret();
  try {
    const subscription = await session.watch({ notificationUrl, clientState, current: current ? { id: current.id, expiresAt: current.expiresAt } : null });
    return { id: subscription.id, expiresAt: subscription.expiresAt, clientState };
  } catch {
    return current;
  }
}

/** Applies the initial-sync policy at the first connection to this mailbox. */
async function initialize(session: MailboxSession, channel: ChannelSettings & { readonly source: MailboxSource }, state: SourceState): Promise<SourceState> {
  if (state.initialized) return state;
  if (channel.source.initialSync === 'skip') return { ...state, initialized: true, cursor: await session.end(), boundary: null };
  return { ...state, initialized: true, cursor: null, boundary: await session.boundary() };
}

type Settled = SettledKey & { readonly reason?: string };

/** Reads and processes one message, then records the move it owes (before the mailbox is touched). */
async function processItem(
  deps: PollSourceDeps,
  channel: ChannelSettings & { readonly source: MailboxSource },
  state: SourceState,
  session: MailboxSession,
  item: MailboxItem,
): Promise<Settled | null> {
  const at = deps.clock.now().toISOString();
  const imported = state.boundary !== null && session.precedes(item, state.boundary);
  let settled: Settled;
  try {
    const raw = await session.fetch(item, channel.maxMessageBytes);
    const outcome = await ingestMail(deps, channel, { origin: { type: channel.source.type, key: item.key }, raw, receivedAt: item.receivedAt ?? at, imported });
    settled = {
      key: item.key,
      mailId: outcome.mailId,
      outcome: outcomeOf(outcome, imported),
      at,
      ...(outcome.status === 'failed' ? { reason: outcome.error.reason } : {}),
    };
  } catch (error) {
    // Moved away by a person since the listing: not ours to settle.
    if (error instanceof MailboxItemGoneError) return null;
    if (!(error instanceof MailboxTooLargeError)) throw error;
    settled = await tooLarge(deps, channel, item, error, at);
  }
  await deps.keys.markSettled(channel.id, { key: settled.key, mailId: settled.mailId, outcome: settled.outcome, at: settled.at });
  return settled;
}

/** A message too large to read: listed as failed with its reason; its only copy stays in the mailbox's Failed folder. */
async function tooLarge(
  deps: PollSourceDeps,
  channel: ChannelSettings & { readonly source: MailboxSource },
  item: MailboxItem,
  error: Error,
  at: string,
): Promise<Settled> {
  const mailId = sourceMailId(deps, channel.id, item.key);
  const where = channel.source.type === 'pop3' ? 'it stays in the mailbox' : `it stays in the mailbox's ${channel.source.failedFolder} folder`;
  const reason = `${error.message}; ${where}`;
  await deps.failed.put({
    sesMessageId: mailId,
    channelId: channel.id,
    rawKey: '',
    code: 'too-large',
    reason,
    failedAt: at,
    mail: {
      sesMessageId: mailId,
      rawKey: '',
      recipients: [channel.address.toLowerCase()],
      verdicts: {},
      receivedAt: item.receivedAt ?? at,
      origin: { type: channel.source.type, key: item.key },
    },
  });
  return { key: item.key, mailId, outcome: 'failed', at, reason };
}

function outcomeOf(outcome: IngestOutcome, imported: boolean): ItemOutcome {
  if (outcome.status === 'failed') return 'failed';
  if (outcome.duplicate) return 'duplicate';
  if (imported) return 'imported';
  return outcome.status === 'routed' ? 'routed' : 'recorded';
}

function reasonOf(settled: Settled | SettledKey): string | undefined {
  return 'reason' in settled ? settled.reason : undefined;
}

/** Where a settled message goes: failed ones to the Failed folder (POP3 keeps them), the rest as the source says. */
export function actionFor(source: MailboxSource, outcome: ItemOutcome): SettleAction {
  if (outcome === 'failed') return source.type === 'pop3' ? { type: 'keep' } : { type: 'move', folder: source.failedFolder };
  if (source.afterProcessing === 'move') return { type: 'move', folder: source.handledFolder };
  return source.afterProcessing === 'delete' ? { type: 'delete' } : { type: 'keep' };
}

function count(counts: SourceCounts, outcome: ItemOutcome): SourceCounts {
  const field = outcome === 'duplicate' ? 'duplicates' : outcome;
  return { ...counts, fetched: counts.fetched + 1, [field]: counts[field] + 1 };
}

async function save(deps: PollSourceDeps, state: SourceState): Promise<SourceState> {
  const next = { ...state, version: state.version + 1 };
  if (!(await deps.states.put(next))) throw new ConflictError(`the source state of channel ${state.channelId} was written by another poll`);
  return next;
}

/**
 * Records a poll that could not log in or reach the server; null for other errors (a store's),
 * which are the caller's. The cursor is kept: the next poll resumes where this one stood.
 */
async function recordFailure(deps: PollSourceDeps, state: SourceState, error: unknown): Promise<SourceState | null> {
  const at = deps.clock.now().toISOString();
  let health: SourceHealth;
  let notBefore: string | null = null;
  // A refused refresh token (`DependencyError` code `credentials`) is a refused login too.
  const refused = error instanceof AppError && error.code === 'credentials';
  if (error instanceof MailboxAuthError || error instanceof PolicyError || error instanceof ConfigError || refused) {
    health = {
      status: 'failing',
      reason: error.message.slice(0, 500),
      since: state.health.status === 'failing' ? state.health.since : at,
      unreachablePolls: 0,
    };
  } else if (error instanceof MailboxUnavailableError) {
    const polls = state.health.unreachablePolls + 1;
    const failing = polls >= UNREACHABLE_POLLS_BEFORE_FAILING;
    const reason = failing ? `unreachable for ${polls} polls in a row: ${error.message}`.slice(0, 500) : state.health.reason;
    health = failing
      ? { status: 'failing', reason, since: state.health.status === 'failing' ? state.health.since : at, unreachablePolls: polls }
      : { ...state.health, unreachablePolls: polls };
    if (error.retryAfterMs !== null) notBefore = new Date(deps.clock.now().getTime() + error.retryAfterMs).toISOString();
  } else {
    return null;
  }
  const next = { ...state, health, lastPollAt: at, notBefore };
  return (await deps.states.put({ ...next, version: next.version + 1 })) ? { ...next, version: next.version + 1 } : next;
}

function report(state: SourceState, status: PollReport['status'], items: PollReport['items'], more: boolean, rescan: boolean): PollReport {
  return { channelId: state.channelId, status, items, counts: state.counts, more, health: state.health, rescan };
}
