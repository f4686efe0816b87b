import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HostGuard } from '../../../functions/adapters/outbound/host-guard.ts';
import { clientCredentialsToken, GraphClient, type GraphToken, graphScope, MAX_RETRY_AFTER_MS } from '../../../functions/adapters/sources/graph-client.ts';
import { GraphMailboxConnector } from '../../../functions/adapters/sources/graph-mailbox.ts';
import {
  createSubscription,
  type GraphNotification,
  parseNotifications,
  renewSubscription,
  subscriptionExpiry,
  validationResponse,
} from '../../../functions/adapters/sources/graph-subscriptions.ts';
import { DependencyError, PolicyError } from '../../../functions/core/errors.ts';
import { type GraphSource, MailSourceSchema } from '../../../functions/core/model/mail-source.ts';
import {
  MailboxAuthError,
  type MailboxItem,
  type MailboxSession,
  MailboxTooLargeError,
  MailboxUnavailableError,
  type SourceCursor,
} from '../../../functions/core/ports/mailbox.ts';
import { GraphStandIn } from '../../support/graph-stand-in.ts';

const SANDBOX = new HostGuard({ allow: { loopback: true } });
const TENANT = 'contoso.example';

let graph: GraphStandIn;
let mailbox: string;
let boxes = 0;

beforeAll(async () => {
  graph = await new GraphStandIn().start();
});
afterAll(() => graph.close());
beforeEach(() => {
  graph.reset();
  mailbox = `support${++boxes}@contoso.example`;
  graph.addMailbox(mailbox);
});

function sourceOf(overrides: Record<string, unknown> = {}): GraphSource {
  const source = MailSourceSchema.parse({
    type: 'graph',
    tenantId: TENANT,
    mailbox,
    clientId: graph.clientId,
    graphUrl: graph.graphUrl,
    loginUrl: graph.loginUrl,
    ...overrides,
  });
  if (source.type !== 'graph') throw new Error('not a graph source');
  return source;
}

function tokens(secret = graph.clientSecret, guard = SANDBOX): GraphToken {
  return clientCredentialsToken({
    loginUrl: graph.loginUrl,
    tenantId: TENANT,
    clientId: graph.clientId,
    clientSecret: async () => secret,
    guard,
    scope: graphScope(graph.graphUrl),
  });
}

function open(overrides: Record<string, unknown> = {}, token = tokens()): Promise<MailboxSession> {
  return new GraphMailboxConnector({ source: sourceOf(overrides), token, guard: SANDBOX, timeoutMs: 5000 }).open();
}

/** `count` messages, a minute apart, the oldest first. */
function deliverMany(count: number, folder?: string): string[] {
  const start = Date.parse('2020-11-20T08:00:00Z');
  return Array.from({ length: count }, (_, i) =>
    graph.deliver(mailbox, `Subject: mail ${i}\r\n\r\nbody ${i}\r\n`, { folder, receivedAt: new Date(start + i * 60_000).toISOString() }),
  );
}

/** The error a promise rejects with; a promise that resolves fails the test. */
async function failure<E = Error>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (error) {
    return error as E;
  }
  throw new Error('expected a rejection');
}

const idsOf = (items: readonly MailboxItem[]): string[] => items.map((i) => i.key.replace(/^graph:/, ''));

/** Lists everything from `cursor` in calls of `limit`, storing the last item's cursor as a poller would. */
async function listAll(
  session: MailboxSession,
  cursor: SourceCursor | null,
  limit: number,
): Promise<{ items: MailboxItem[]; cursor: SourceCursor | null; calls: number }> {
  const items: MailboxItem[] = [];
  let calls = 0;
  for (;;) {
    const listing = await session.list(cursor, limit);
    calls++;
    items.push(...listing.items);
    cursor = listing.items.at(-1)?.cursorAfter ?? cursor;
    if (!listing.more) return { items, cursor, calls };
  }
}

describe('listing through delta', () => {
  it('lists in pages of the limit, each call continuing from the stored cursor', async () => {
    // Arrange
    const ids = deliverMany(5);
    const session = await open();

    // Act
    const first = await session.list(null, 2);
    const second = await session.list(first.items[1]!.cursorAfter, 2);
    const third = await session.list(second.items[1]!.cursorAfter, 2);

    // Assert
    expect(idsOf(first.items)).toEqual(ids.slice(0, 2));
    expect(idsOf(second.items)).toEqual(ids.slice(2, 4));
    expect(idsOf(third.items)).toEqual(ids.slice(4));
    expect([first.more, second.more, third.more]).toEqual([true, true, false]);
    expect(first.items[0]).toMatchObject({ key: `graph:${ids[0]}`, size: null, receivedAt: '2020-11-20T08:00:00.000Z' });
    const deltas = graph.requests.filter((r) => r.path.endsWith('/messages/delta'));
    expect(deltas[0]!.query).toContain('$select=id,receivedDateTime');
    expect(deltas.every((r) => r.prefer?.includes('odata.maxpagesize=2'))).toBe(true);
  });

  it('moves the cursor past a page only with the page’s last item', async () => {
    // Arrange
    deliverMany(4);
    const session = await open();

    // Act
    const { items } = await session.list(null, 4);
    const fromSecond = await session.list(items[1]!.cursorAfter, 1);
    const fromFirst = await session.list(items[0]!.cursorAfter, 4);

    // Assert: all four came in one page, so only the last item's cursor is past it
    expect(items.slice(0, 3).map((i) => i.cursorAfter)).toEqual(Array(3).fill(items[0]!.cursorAfter));
    expect(items[3]!.cursorAfter).not.toEqual(items[0]!.cursorAfter);
    expect(idsOf(fromSecond.items)).toEqual(idsOf(items).slice(0, 1));
    expect(idsOf(fromFirst.items)).toEqual(idsOf(items));
  });

  it('never cuts a page a server sent larger than asked: it waits for the next call', async () => {
    // Arrange
    const ids = deliverMany(5);
    graph.pageSizeOverride = 3;
    const session = await open();

    // Act
    const { items, calls } = await listAll(session, null, 4);

    // Assert: 3 (the first page, whole), then 2; nothing twice, nothing lost
    expect(idsOf(items)).toEqual(ids);
    expect(calls).toBe(2);
  });

  it('lists only new mail from the stored delta link, skipping what left the folder', async () => {
    // Arrange
    const old = deliverMany(3);
    const session = await open();
    const round = await listAll(session, null, 10);
    await session.settle(round.items[0]!, { type: 'move', folder: 'Handled' });
    const fresh = [graph.deliver(mailbox, 'Subject: new 1\r\n\r\n1'), graph.deliver(mailbox, 'Subject: new 2\r\n\r\n2')];

    // Act
    const next = await session.list(round.cursor, 10);

    // Assert
    expect(idsOf(round.items)).toEqual(old);
    expect(idsOf(next.items)).toEqual(fresh);
    expect(next).toMatchObject({ more: false, rescan: false });
  });

  it('starts over with rescan when the stored delta link has expired (410)', async () => {
    // Arrange
    const ids = deliverMany(2);
    const session = await open();
    const round = await listAll(session, null, 10);
    graph.expireDeltaLinks();

    // Act
    const listing = await session.list(round.cursor, 10);

    // Assert
    expect(listing.rescan).toBe(true);
    expect(idsOf(listing.items)).toEqual(ids);
  });

  it('rescans when the cursor names another folder', async () => {
    // Arrange
    deliverMany(1);
    const session = await open();

    // Act
    const listing = await session.list({ folderId: 'another-folder', link: `${graph.graphUrl}/users/x/mailFolders/y/messages/delta` }, 10);

    // Assert
    expect(listing).toMatchObject({ rescan: true, more: false });
    expect(listing.items).toHaveLength(1);
  });

  it('reads a folder by display name, quotes and all', async () => {
    // Arrange
    graph.addFolder(mailbox, "Ann's queue");
    const [id] = deliverMany(1, "Ann's queue");

    // Act
    const session = await open({ folder: "Ann's queue" });
    const listing = await session.list(null, 5);

    // Assert
    expect(idsOf(listing.items)).toEqual([id]);
    expect(graph.requests.some((r) => decodeURIComponent(r.query).includes("displayName eq 'Ann''s queue'"))).toBe(true);
  });

  it('refuses a source folder that does not exist', async () => {
    await expect(open({ folder: 'Nowhere' })).rejects.toThrow(DependencyError);
  });
});

describe('the end of the mailbox and the boundary', () => {
  it('end() lists nothing old, and listing from it gives later mail with its receivedAt', async () => {
    // Arrange
    deliverMany(3);
    const session = await open();
    const boundary = await session.boundary();
    const end = await session.end();
    const later = graph.deliver(mailbox, 'Subject: later\r\n\r\nx', { receivedAt: '2099-01-01T00:00:00Z' });

    // Act
    const listing = await session.list(end, 10);
    const all = await listAll(await open(), null, 10);

    // Assert
    expect(idsOf(listing.items)).toEqual([later]);
    expect(listing.items[0]!.receivedAt).toBe('2099-01-01T00:00:00.000Z');
    expect(all.items.map((i) => session.precedes(i, boundary))).toEqual([true, true, true, false]);
  });
});

describe('fetching and settling', () => {
  it('fetches the raw MIME', async () => {
    // Arrange
    const mime = 'From: ann@example.org\r\nSubject: Hello\r\n\r\nHi there\r\n';
    graph.deliver(mailbox, mime);
    const session = await open();
    const [item] = (await session.list(null, 1)).items;

    // Act
    const raw = await session.fetch(item!, 1024);

    // Assert
    expect(new TextDecoder().decode(raw)).toBe(mime);
  });

  it('refuses a message over maxBytes, by Content-Length and while reading', async () => {
    // Arrange
    graph.deliver(mailbox, `Subject: big\r\n\r\n${'x'.repeat(10_000)}`);
    const session = await open();
    const [item] = (await session.list(null, 1)).items;

    // Act
    const declared = await failure(session.fetch(item!, 5000));
    graph.chunkedValue = true;
    const streamed = await failure(session.fetch(item!, 5000));
    const fits = await session.fetch(item!, 20_000);

    // Assert
    expect(declared).toBeInstanceOf(MailboxTooLargeError);
    expect(streamed).toBeInstanceOf(MailboxTooLargeError);
    expect(fits.byteLength).toBe(10_016);
  });

  it('moves to Handled, creating it once, and the immutable id stays the key', async () => {
    // Arrange
    const ids = deliverMany(2);
    const session = await open();
    const { items } = await session.list(null, 2);

    // Act
    for (const item of items) await session.settle(item, { type: 'move', folder: 'Handled' });
    const raw = await session.fetch(items[0]!, 1024);

    // Assert
    expect(ids.map((id) => graph.folderOf(mailbox, id))).toEqual(['Handled', 'Handled']);
    expect(graph.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/mailFolders'))).toHaveLength(1);
    expect(new TextDecoder().decode(raw)).toContain('mail 0');
  });

  it('deletes, keeps, and takes a message already gone as settled', async () => {
    // Arrange
    const [gone, kept] = deliverMany(2);
    const session = await open();
    const { items } = await session.list(null, 2);
    const before = graph.requests.length;

    // Act
    await session.settle(items[1]!, { type: 'keep' });
    const keptRequests = graph.requests.length - before;
    await session.settle(items[0]!, { type: 'delete' });
    await session.settle(items[0]!, { type: 'delete' });
    await session.settle(items[0]!, { type: 'move', folder: 'Failed' });

    // Assert
    expect(keptRequests).toBe(0);
    expect(graph.folderOf(mailbox, gone!)).toBeNull();
    expect(graph.folderOf(mailbox, kept!)).toBe('Inbox');
    expect(graph.folderNames(mailbox)).toContain('Failed');
  });
});

describe('Graph refusing and throttling', () => {
  it('surfaces 429 as MailboxUnavailableError with Retry-After in ms, as seconds, as a date, capped', async () => {
    // Arrange
    deliverMany(1);
    const session = await open();
    const attempt = async (retryAfter: string) => {
      graph.throttle(1, retryAfter);
      return failure<MailboxUnavailableError>(session.list(null, 1));
    };

    // Act
    const seconds = await attempt('7');
    const date = await attempt(new Date(Date.now() + 120_000).toUTCString());
    const huge = await attempt('86400');
    const after = await session.list(null, 1);

    // Assert
    expect(seconds).toBeInstanceOf(MailboxUnavailableError);
    expect(seconds.retryAfterMs).toBe(7000);
    expect(seconds.message).toContain('429 ApplicationThrottled');
    expect(date.retryAfterMs).toBeGreaterThan(100_000);
    expect(date.retryAfterMs).toBeLessThanOrEqual(120_000);
    expect(huge.retryAfterMs).toBe(MAX_RETRY_AFTER_MS);
    expect(after.items).toHaveLength(1);
  });

  it('turns a refused client secret into MailboxAuthError, naming the error but not the secret', async () => {
    // Act
    const error = await failure(open({}, tokens('wrong-secret-123')));

    // Assert
    expect(error).toBeInstanceOf(MailboxAuthError);
    expect(error.message).toContain('invalid_client');
    expect(error.message).toContain('AADSTS7000215');
    expect(error.message).not.toContain('wrong-secret-123');
  });

  it('caches the token, replaces it once when Graph refuses it, then gives up with MailboxAuthError', async () => {
    // Arrange
    deliverMany(1);
    const session = await open();
    await session.list(null, 1);
    const cachedRequests = graph.tokenRequests;
    graph.revokeTokens();

    // Act
    const renewed = await session.list(null, 1);
    const stale = await failure(open({}, async () => 'not-a-token'));

    // Assert
    expect(cachedRequests).toBe(1);
    expect(graph.tokenRequests).toBe(2);
    expect(renewed.items).toHaveLength(1);
    expect(stale).toBeInstanceOf(MailboxAuthError);
    expect(stale.message).toContain('InvalidAuthenticationToken');
    expect(stale.message).not.toContain('not-a-token');
  });

  it('sends Prefer: IdType="ImmutableId" on every request (the stand-in refuses requests without it)', async () => {
    // Arrange
    deliverMany(1);
    const session = await open();
    await session.list(null, 1);
    const token = await tokens()();

    // Act
    const bare = await fetch(`${graph.graphUrl}/users/${encodeURIComponent(mailbox)}/mailFolders/inbox`, { headers: { authorization: `Bearer ${token}` } });

    // Assert
    expect(bare.status).toBe(400);
    expect(graph.requests.filter((r) => r.prefer?.includes('IdType="ImmutableId"'))).toHaveLength(graph.requests.length - 1);
  });

  it('refuses a nextLink on another origin before asking it anything', async () => {
    // Arrange
    deliverMany(3);
    graph.pageSizeOverride = 1;
    graph.nextLinkOrigin = 'http://127.0.0.2:9';
    const session = await open();

    // Act
    const error = await failure(session.list(null, 3));

    // Assert: with 127.0.0.2 unreachable, PolicyError (not MailboxUnavailableError) shows nothing was tried
    expect(error).toBeInstanceOf(PolicyError);
  });

  it('lets the host guard refuse a loopback Graph or sign-in endpoint', async () => {
    // Arrange
    const strict = new HostGuard();
    const connector = new GraphMailboxConnector({ source: sourceOf(), token: async () => 'static', guard: strict });

    // Act
    const graphError = await failure<PolicyError>(connector.open());
    const loginError = await failure(tokens(graph.clientSecret, strict)());

    // Assert
    expect(graphError).toBeInstanceOf(PolicyError);
    expect(graphError.code).toBe('blocked-host');
    expect(loginError).toBeInstanceOf(PolicyError);
    expect(graph.requests).toHaveLength(0);
    expect(graph.tokenRequests).toBe(0);
  });

  it('reports an unreachable Graph as MailboxUnavailableError', async () => {
    // Arrange: a port nothing listens on
    const idle = createServer();
    await new Promise<void>((resolve) => idle.listen(0, '127.0.0.1', resolve));
    const port = (idle.address() as AddressInfo).port;
    await new Promise<void>((resolve) => idle.close(() => resolve()));

    // Act
    const error = await failure(open({ graphUrl: `http://127.0.0.1:${port}/v1.0` }));

    // Assert
    expect(error).toBeInstanceOf(MailboxUnavailableError);
  });
});

describe('change notifications', () => {
  let receiver: Server;
  let notificationUrl: string;
  let received: { accepted: readonly GraphNotification[]; dropped: number }[];
  const clientState = 'channel-support-7f3a9c';

  beforeAll(async () => {
    // The notification endpoint as the API would serve it: echo the validation token, else parse and answer 202.
    receiver = createServer((req, res) => {
      const token = validationResponse(req.url ?? '/');
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (token !== null) return void res.writeHead(200, { 'content-type': 'text/plain' }).end(token);
        received.push(parseNotifications(Buffer.concat(chunks).toString('utf8'), clientState));
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    notificationUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/graph/notifications`;
  });
  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
  beforeEach(() => {
    received = [];
  });

  const client = () => new GraphClient({ graphUrl: graph.graphUrl, token: tokens(), guard: SANDBOX });

  it('subscribes after the validation handshake, and delivers notifications with the right clientState only', async () => {
    // Arrange
    const session = await open();
    const folderId = ((await session.end()) as { folderId: string }).folderId;
    const now = new Date();

    // Act
    const subscription = await createSubscription(client(), { mailbox, folderId, notificationUrl, clientState, expiresAt: subscriptionExpiry(now) });
    const id = graph.deliver(mailbox, 'Subject: ping\r\n\r\n');
    const status = await graph.notify(subscription.id, id);
    await graph.notify(subscription.id, id, 'forged-state');

    // Assert
    expect(status).toBe(202);
    expect(subscription.resource).toBe(`users/${encodeURIComponent(mailbox)}/mailFolders('${folderId}')/messages`);
    expect(Date.parse(subscription.expiresAt)).toBe(subscriptionExpiry(now).getTime());
    expect(received).toHaveLength(2);
    expect(received[0]!.accepted).toEqual([expect.objectContaining({ subscriptionId: subscription.id, changeType: 'created', messageId: id })]);
    expect(received[1]).toMatchObject({ accepted: [], dropped: 1 });
  });

  it('fails to subscribe when the endpoint does not echo the token', async () => {
    // Arrange
    const session = await open();
    const folderId = ((await session.end()) as { folderId: string }).folderId;

    // Act
    const error = await failure(
      createSubscription(client(), { mailbox, folderId, notificationUrl: `${graph.graphUrl}/nowhere`, clientState, expiresAt: subscriptionExpiry(new Date()) }),
    );

    // Assert
    expect(error).toBeInstanceOf(DependencyError);
    expect(error.message).toContain('validation request failed');
  });

  it('renews a subscription, and says null for one Graph no longer has', async () => {
    // Arrange
    const session = await open();
    const folderId = ((await session.end()) as { folderId: string }).folderId;
    const subscription = await createSubscription(client(), { mailbox, folderId, notificationUrl, clientState, expiresAt: new Date(Date.now() + 3_600_000) });
    const later = subscriptionExpiry(new Date(Date.now() + 3_600_000));

    // Act
    const renewed = await renewSubscription(client(), subscription.id, later);
    const missing = await renewSubscription(client(), 'no-such-subscription', later);

    // Assert
    expect(renewed?.expiresAt).toBe(later.toISOString());
    expect(graph.subscription(subscription.id)?.expirationDateTime).toBe(later.toISOString());
    expect(missing).toBeNull();
  });
});
