import { DependencyError } from '../../core/errors.ts';
import type { GraphSource } from '../../core/model/mail-source.ts';
import type { Clock } from '../../core/ports/clock.ts';
import {
  type MailboxConnector,
  type MailboxItem,
  type MailboxListing,
  type MailboxSession,
  MailboxItemGoneError,
  type MailboxSubscription,
  type WatchInput,
  MailboxTooLargeError,
  type SettleAction,
  type SourceBoundary,
  type SourceCursor,
} from '../../core/ports/mailbox.ts';
import type { HostGuard } from '../outbound/host-guard.ts';
import { createSubscription, needsRenewal, renewSubscription, subscriptionExpiry } from './graph-subscriptions.ts';
import { GraphClient, type GraphJson, GraphRequestError, type GraphToken } from './graph-client.ts';

export interface GraphMailboxConnectorOptions {
  readonly source: GraphSource;
  /** Bearer tokens for `source.graphUrl` (`clientCredentialsToken`, or the delegated refresh grant). */
  readonly token: GraphToken;
  readonly guard: HostGuard;
  /** One Graph request. @default 30_000 */
  readonly timeoutMs?: number;
  readonly clock?: Clock;
  readonly fetch?: typeof fetch;
}

/** What the adapter stores as its cursor: the folder it tracks and the delta link to continue from. */
// A type alias, not an interface: only an alias fits the port's index-signature cursor type.
type GraphCursor = {
  readonly folderId: string;
  readonly link: string;
};

interface DeltaPage {
  readonly entries: readonly MailboxEntry[];
  readonly nextLink: string | null;
  readonly deltaLink: string | null;
}

interface MailboxEntry {
  readonly id: string;
  readonly receivedAt: string | null;
}

const KEY_PREFIX = 'graph:';
/** The round's query options travel inside its links, so `end()` asks for the same ones as `list()`. */
const DELTA_QUERY = 'changeType=created&$select=id,receivedDateTime';
/** Folders Graph names in every locale; `Inbox`, `Junk Email` or `Sent Items` resolve to these whatever the mailbox's language. */
const WELL_KNOWN = new Set(['archive', 'clutter', 'conversationhistory', 'deleteditems', 'drafts', 'inbox', 'junkemail', 'outbox', 'scheduled', 'sentitems']);
const MAX_PAGE = 200;
/** Pages a `list()` follows; empty pages (only removals) cannot move the cursor, so there must be an end. */
const MAX_PAGES_PER_LIST = 50;
const MAX_PAGES_TO_END = 10_000;
const MAX_ID_LENGTH = 1024;
// Codes Graph uses for a delta or skip token it no longer holds: start the folder over.
const SYNC_STATE_LOST = new Set(['syncstatenotfound', 'syncstateinvalid', 'resyncrequired']);

/** Reads a mailbox through Microsoft Graph: delta query for listing, `$value` for the MIME, `move` and `DELETE` to settle. */
export class GraphMailboxConnector implements MailboxConnector {
  constructor(private readonly options: GraphMailboxConnectorOptions) {}

  async open(): Promise<MailboxSession> {
    const { source, token, guard, timeoutMs, fetch } = this.options;
    const client = new GraphClient({ graphUrl: source.graphUrl, token, guard, timeoutMs, fetch, clock: this.options.clock });
    const session = new GraphMailboxSession(client, source, this.options.clock ?? { now: () => new Date() });
    // The first request proves the token, the permission and the mailbox: a refusal surfaces here, not mid-poll.
    await session.sourceFolderId();
    return session;
  }
}

class GraphMailboxSession implements MailboxSession {
  private readonly user: string;
  private readonly folders = new Map<string, string>();

  constructor(
    private readonly client: GraphClient,
    private readonly source: GraphSource,
    private readonly clock: Clock,
  ) {
    this.user = `/users/${encodeURIComponent(source.mailbox)}`;
  }

  sourceFolderId(): Promise<string> {
    return this.folderId(this.source.folder, false);
  }

  async list(cursor: SourceCursor | null, limit: number): Promise<MailboxListing> {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, not ${limit}`);
    const folderId = await this.sourceFolderId();
    const link = cursor === null ? null : this.linkOf(cursor, folderId);
    try {
      // A cursor for another folder (the setting changed) or another Graph no longer applies.
      return await this.gather(folderId, link, limit, cursor !== null && link === null);
    } catch (error) {
      if (!syncStateLost(error)) throw error;
      return this.gather(folderId, null, limit, true);
    }
  }

  async fetch(item: MailboxItem, maxBytes: number): Promise<Uint8Array> {
    if (item.size !== null && item.size > maxBytes) throw new MailboxTooLargeError(`the message is larger than ${maxBytes} bytes`);
    try {
      return await this.client.getBytes(`${this.user}/messages/${encodeURIComponent(idOf(item))}/$value`, maxBytes);
    } catch (error) {
      if (error instanceof GraphRequestError && error.status === 404) throw new MailboxItemGoneError('the message is no longer in the mailbox');
      throw error;
    }
  }

  async settle(item: MailboxItem, action: SettleAction): Promise<void> {
    const message = `${this.user}/messages/${encodeURIComponent(idOf(item))}`;
    if (action.type === 'keep') return;
    if (action.type === 'delete') return ignoreGone(this.client.delete(message));
    const destinationId = await this.folderId(action.folder, true);
    // The immutable id survives the move, so the key stays what the ledger recorded.
    await ignoreGone(this.client.post(`${message}/move`, { destinationId }));
  }

  /** Runs a delta round to its end without fetching anything: its delta link lists only mail that arrives later. */
  async end(): Promise<SourceCursor> {
    const folderId = await this.sourceFolderId();
    let url = this.deltaStart(folderId);
    for (let pages = 0; pages < MAX_PAGES_TO_END; pages++) {
      const page = await this.page(url, MAX_PAGE);
      if (page.deltaLink !== null) return { folderId, link: page.deltaLink } satisfies GraphCursor;
      url = page.nextLink ?? '';
    }
    throw new DependencyError('dependency-rejected', `the delta round of ${this.source.folder} did not end within ${MAX_PAGES_TO_END} pages`);
  }

  async boundary(): Promise<SourceBoundary> {
    // Graph's receivedDateTime has whole seconds: mail of the connecting second counts as new (routed, never hidden as old).
    const now = this.clock.now().getTime();
    return { before: new Date(now - (now % 1000)).toISOString() };
  }

  precedes(item: MailboxItem, boundary: SourceBoundary): boolean {
    const before = typeof boundary.before === 'string' ? Date.parse(boundary.before) : Number.NaN;
    const received = item.receivedAt === null ? Number.NaN : Date.parse(item.receivedAt);
    return received < before;
  }

  async close(): Promise<void> {
    // Plain HTTPS requests: no connection or login to end.
  }

  async watch(input: WatchInput): Promise<MailboxSubscription> {
    const now = this.clock.now();
    if (input.current && !needsRenewal(input.current.expiresAt, now)) return input.current;
    const expiresAt = subscriptionExpiry(now);
    const renewed = input.current ? await renewSubscription(this.client, input.current.id, expiresAt) : null;
    const subscription =
      renewed ??
      (await createSubscription(this.client, {
        mailbox: this.source.mailbox,
        folderId: await this.sourceFolderId(),
        notificationUrl: input.notificationUrl,
        lifecycleNotificationUrl: input.notificationUrl,
        clientState: input.clientState,
        expiresAt,
      }));
    return { id: subscription.id, expiresAt: subscription.expiresAt };
  }

  /**
   * Follows delta pages until `limit` items are gathered or the round ends. Items carry the link
   * that produced their page, the page's last one the link after it: the stored cursor passes a
   * page only once all of its messages are settled.
   */
  private async gather(folderId: string, link: string | null, limit: number, rescan: boolean): Promise<MailboxListing> {
    const items: MailboxItem[] = [];
    let url = link ?? this.deltaStart(folderId);
    // The link after the last page taken whole: where the cursor stands once its items are settled.
    let position: string | null = null;
    const done = (more: boolean): MailboxListing => ({
      items,
      more,
      rescan,
      ...(position ? { cursor: { folderId, link: position } satisfies GraphCursor } : {}),
    });
    for (let pages = 0; pages < MAX_PAGES_PER_LIST; pages++) {
      const wanted = limit - items.length;
      const page = await this.page(url, Math.min(wanted, MAX_PAGE));
      const after = page.nextLink ?? page.deltaLink ?? '';
      // Graph asked for at most `wanted` sent more: a page is never cut (its link would list the
      // same first items again), so it waits for the next call, unless it is the first.
      if (page.entries.length > wanted && items.length > 0) return done(true);
      page.entries.forEach((entry, i) => {
        const cursorAfter: GraphCursor = { folderId, link: i === page.entries.length - 1 ? after : url };
        items.push({ key: `${KEY_PREFIX}${entry.id}`, size: null, receivedAt: entry.receivedAt, cursorAfter });
      });
      position = after;
      if (page.nextLink === null) return done(false);
      if (items.length >= limit) return done(true);
      url = page.nextLink;
    }
    // Only empty pages since the last item: nothing gained by another call now.
    return done(items.length > 0);
  }

  private async page(url: string, size: number): Promise<DeltaPage> {
    const json = await this.client.get(url, { prefer: [`odata.maxpagesize=${size}`] });
    const nextLink = linkIn(json, '@odata.nextLink');
    const deltaLink = linkIn(json, '@odata.deltaLink');
    if ((nextLink === null) === (deltaLink === null))
      throw new DependencyError('dependency-rejected', 'Graph answered a delta page without exactly one of nextLink and deltaLink');
    const entries = (Array.isArray(json.value) ? (json.value as unknown[]) : []).flatMap(entryOf);
    // Delta promises no order; within a page it costs nothing to list oldest first.
    entries.sort((a, b) => byReceived(a.receivedAt, b.receivedAt));
    return { entries, nextLink, deltaLink };
  }

  private deltaStart(folderId: string): string {
    // Absolute, as Graph's own links are: the first page's items carry it as their cursor.
    return this.client.urlOf(`${this.user}/mailFolders/${encodeURIComponent(folderId)}/messages/delta?${DELTA_QUERY}`);
  }

  /** The stored link, or null when the cursor is not one of ours for this folder and Graph. */
  private linkOf(cursor: SourceCursor, folderId: string): string | null {
    const { folderId: stored, link } = cursor;
    if (stored !== folderId || typeof link !== 'string' || !URL.canParse(link)) return null;
    return new URL(link).origin === new URL(this.source.graphUrl).origin ? link : null;
  }

  /** A folder's id, by well-known name or top-level display name, created when `create` and missing; cached for the session. */
  private async folderId(name: string, create: boolean): Promise<string> {
    const cached = this.folders.get(name);
    if (cached) return cached;
    let id = await this.findFolder(name);
    if (id === null && create) id = await this.createFolder(name);
    if (id === null) throw new DependencyError('dependency-rejected', `mailbox ${this.source.mailbox} has no folder "${name}"`);
    this.folders.set(name, id);
    return id;
  }

  private async findFolder(name: string): Promise<string | null> {
    const wellKnown = name.toLowerCase().replaceAll(' ', '');
    if (WELL_KNOWN.has(wellKnown)) {
      // Not every mailbox has every well-known folder (`archive`): then it is an ordinary one.
      const folder = await this.client.get(`${this.user}/mailFolders/${wellKnown}?$select=id`).catch(notFoundAsNull);
      if (folder) return idIn(folder);
    }
    // OData string literal: a single quote is written twice.
    const filter = encodeURIComponent(`displayName eq '${name.replaceAll("'", "''")}'`);
    const found = await this.client.get(`${this.user}/mailFolders?$filter=${filter}&$select=id,displayName`);
    const first: unknown = Array.isArray(found.value) ? found.value[0] : undefined;
    return first && typeof first === 'object' ? idIn(first as GraphJson) : null;
  }

  private async createFolder(name: string): Promise<string | null> {
    try {
      return idIn(await this.client.post(`${this.user}/mailFolders`, { displayName: name }));
    } catch (error) {
      // Another poll created it a moment ago.
      if (error instanceof GraphRequestError && error.status === 409) return this.findFolder(name);
      throw error;
    }
  }
}

function idOf(item: MailboxItem): string {
  if (!item.key.startsWith(KEY_PREFIX)) throw new DependencyError('dependency-rejected', `${item.key} is not a Graph message key`);
  return item.key.slice(KEY_PREFIX.length);
}

function entryOf(value: unknown): MailboxEntry[] {
  if (!value || typeof value !== 'object') return [];
  const entry = value as GraphJson;
  // Removed or moved out since the last round: nothing to read.
  if ('@removed' in entry) return [];
  const id = idIn(entry);
  if (id === null) throw new DependencyError('dependency-rejected', 'Graph listed a message without an id');
  const received = typeof entry.receivedDateTime === 'string' ? Date.parse(entry.receivedDateTime) : Number.NaN;
  return [{ id, receivedAt: Number.isNaN(received) ? null : new Date(received).toISOString() }];
}

/** ISO 8601 UTC strings sort as text; an unknown time goes last. */
function byReceived(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

function idIn(json: GraphJson): string | null {
  return typeof json.id === 'string' && json.id.length > 0 && json.id.length <= MAX_ID_LENGTH ? json.id : null;
}

function linkIn(json: GraphJson, name: string): string | null {
  const value = json[name];
  return typeof value === 'string' && value ? value : null;
}

function syncStateLost(error: unknown): boolean {
  if (!(error instanceof GraphRequestError)) return false;
  return error.status === 410 || SYNC_STATE_LOST.has(error.graphCode?.toLowerCase() ?? '');
}

function notFoundAsNull(error: unknown): null {
  if (error instanceof GraphRequestError && error.status === 404) return null;
  throw error;
}

/** Settling a message that is no longer there is no error: it was settled before. */
async function ignoreGone(request: Promise<unknown>): Promise<void> {
  try {
    await request;
  } catch (error) {
    notFoundAsNull(error);
  }
}
