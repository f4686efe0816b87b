import { type AddressInfo, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostGuard } from '../../../functions/adapters/outbound/host-guard.ts';
import { ImapMailboxConnector } from '../../../functions/adapters/sources/imap-mailbox.ts';
import { PolicyError } from '../../../functions/core/errors.ts';
import { type ImapSource, MailSourceSchema } from '../../../functions/core/model/mail-source.ts';
import {
  MailboxAuthError,
  type MailboxCredentials,
  MailboxItemGoneError,
  type MailboxSession,
  MailboxTooLargeError,
  MailboxUnavailableError,
} from '../../../functions/core/ports/mailbox.ts';
import { type Dovecot, type Introspection, sessionLogout, startDovecot, startIntrospection } from '../../support/dovecot.ts';
import { TEST_TLS } from '../outbound-peers.ts';

const PASSWORD = 'imap-pass-1-secret';
const NAMES = [
  'plain',
  'tls',
  'wrong',
  'oauth',
  'revoked',
  'cursor',
  'rescan',
  'move',
  'delete',
  'keep',
  'large',
  'end',
  'stale',
  'dropped',
  'empty',
  'gone',
] as const;
const user = (name: (typeof NAMES)[number]): string => `${name}@example.com`;
const SANDBOX = new HostGuard({ allow: { loopback: true } });

function mail(subject: string, body = 'Hello, I need help with my order.'): string {
  return `From: Ann <ann@example.org>\r\nTo: support@example.com\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '-')}@example.org>\r\n\r\n${body}\r\n`;
}

const password = (value = PASSWORD): MailboxCredentials => ({ type: 'password', password: async () => value });

let dovecot: Dovecot;
let introspection: Introspection;

function imapSource(name: (typeof NAMES)[number], input: Record<string, unknown> = {}): ImapSource {
  return MailSourceSchema.parse({ type: 'imap', host: '127.0.0.1', port: dovecot.ports.imap, security: 'none', user: user(name), ...input }) as ImapSource;
}

function connector(
  source: ImapSource,
  options: { credentials?: MailboxCredentials; guard?: HostGuard; ca?: string | null; timeoutMs?: number } = {},
): ImapMailboxConnector {
  return new ImapMailboxConnector({
    source,
    credentials: options.credentials ?? password(),
    guard: options.guard ?? SANDBOX,
    ca: options.ca === null ? undefined : (options.ca ?? TEST_TLS.ca),
    timeoutMs: options.timeoutMs ?? 5_000,
  });
}

async function withSession<T>(source: ImapSource, work: (session: MailboxSession) => Promise<T>): Promise<T> {
  const session = await connector(source).open();
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}

/** Runs one session; with its result, dovecot's logout line for it: what the session read and sent. */
function logoutOf<T>(name: (typeof NAMES)[number], work: () => Promise<T>): Promise<{ readonly value: T; readonly log: string }> {
  return sessionLogout(dovecot, (l) => l.includes(`(${user(name)})`) && l.includes('Logged out'), work);
}

const failure = (promise: Promise<unknown>): Promise<Error | null> =>
  promise.then(
    () => null,
    (error: unknown) => error as Error,
  );

/** A TCP server that greets with `greeting` (or never) and keeps what the client sent. */
async function fakeServer(greeting: string | null): Promise<{ port: number; received: () => string; connections: () => number; close: () => Promise<void> }> {
  let data = '';
  let count = 0;
  const server: Server = createServer((socket) => {
    count++;
    socket.on('data', (chunk) => {
      data += chunk.toString();
      const tag = /^(\S+) /.exec(chunk.toString())?.[1];
      if (tag) socket.write(`* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n${tag} OK done\r\n`);
    });
    socket.on('error', () => undefined);
    if (greeting) socket.write(greeting);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    port: (server.address() as AddressInfo).port,
    received: () => data,
    connections: () => count,
    close: () =>
      new Promise((done) => {
        server.close(() => done());
        server.unref();
      }),
  };
}

beforeAll(async () => {
  introspection = await startIntrospection();
  dovecot = await startDovecot({ users: NAMES.map((name) => ({ user: user(name), password: PASSWORD })), oauth2: { introspectionUrl: introspection.url } });
});

afterAll(async () => {
  await dovecot?.stop();
  await introspection?.close();
});

describe('ImapMailboxConnector: connecting and logging in', () => {
  it('logs in with a password in plaintext on loopback, lists and fetches the raw mail without marking it seen', async () => {
    // Arrange
    const raw = mail('Order 1001');
    await dovecot.deliver(user('plain'), raw);
    await dovecot.deliver(user('plain'), mail('Order 1002'));
    const [stored] = await dovecot.list(user('plain'), 'INBOX');
    // Act
    const { listing, fetched, end } = await withSession(imapSource('plain'), async (session) => {
      const listing = await session.list(null, 10);
      const fetched = await session.fetch(listing.items[0]!, 1024 * 1024);
      return { listing, fetched, end: await session.end() };
    });
    // Assert
    const uidValidity = String((end as { uidValidity: string }).uidValidity);
    expect(listing).toEqual({
      items: [
        {
          key: `imap:INBOX:${uidValidity}:1`,
          size: stored!.size,
          receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          cursorAfter: { uidValidity, lastUid: 1 },
        },
        { key: `imap:INBOX:${uidValidity}:2`, size: expect.any(Number), receivedAt: expect.any(String), cursorAfter: { uidValidity, lastUid: 2 } },
      ],
      more: false,
      rescan: false,
      cursor: { uidValidity, lastUid: 2 },
    });
    expect(Buffer.from(fetched).toString()).toBe(raw);
    expect((await dovecot.list(user('plain'), 'INBOX')).map((m) => m.flags.includes('\\Seen'))).toEqual([false, false]);
    expect(end).toEqual({ uidValidity, lastUid: 2 });
  });

  it('connects over implicit TLS and over STARTTLS, verifying the certificate against the configured name or address', async () => {
    // Arrange
    await dovecot.deliver(user('tls'), mail('Over TLS'));
    const sources = [
      imapSource('tls', { host: 'localhost', port: dovecot.ports.imaps, security: 'tls' }),
      imapSource('tls', { host: '127.0.0.1', port: dovecot.ports.imaps, security: 'tls' }),
      imapSource('tls', { host: 'localhost', port: dovecot.ports.imap, security: 'starttls' }),
    ];
    // Act
    const counts = [];
    for (const source of sources) counts.push(await withSession(source, async (s) => (await s.list(null, 10)).items.length));
    // Assert
    expect(counts).toEqual([1, 1, 1]);
    const logins = (await dovecot.log()).split('\n').filter((l) => l.includes(`Login: user=<${user('tls')}>`));
    expect(logins).toHaveLength(3);
    for (const line of logins) expect(line).toContain(', TLS');
  });

  it('refuses a certificate it cannot verify, before sending the password', async () => {
    // Act: the system CAs do not know the test CA.
    const error = await failure(connector(imapSource('tls', { host: 'localhost', port: dovecot.ports.imaps, security: 'tls' }), { ca: null }).open());
    const starttls = await failure(connector(imapSource('tls', { host: 'localhost', port: dovecot.ports.imap, security: 'starttls' }), { ca: null }).open());
    // Assert
    expect(error).toBeInstanceOf(MailboxUnavailableError);
    expect(error?.message).toMatch(/^cannot reach IMAP server localhost:\d+: its TLS certificate does not verify \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)$/);
    expect(starttls).toBeInstanceOf(MailboxUnavailableError);
    expect(error?.message).not.toContain(PASSWORD);
  });

  it('never logs in in clear when STARTTLS is required and the server does not offer it', async () => {
    // Arrange
    const server = await fakeServer('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n');
    // Act
    const error = await failure(connector(imapSource('tls', { host: 'localhost', port: server.port, security: 'starttls' })).open());
    await server.close();
    // Assert
    expect(error).toBeInstanceOf(MailboxUnavailableError);
    expect(error?.message).toMatch(/^cannot reach IMAP server localhost:\d+: Server does not support STARTTLS/);
    expect(server.received()).not.toContain(Buffer.from(PASSWORD).toString('base64'));
    expect(server.received()).not.toContain(PASSWORD);
    expect(server.received()).not.toMatch(/LOGIN|AUTHENTICATE/);
  });

  it("refuses a wrong password with MailboxAuthError and the server's reason, naming no secret", async () => {
    // Act
    const error = await failure(connector(imapSource('wrong'), { credentials: password('not-the-password') }).open());
    // Assert
    expect(error).toBeInstanceOf(MailboxAuthError);
    expect(error?.message).toBe('IMAP server 127.0.0.1 refused the login of wrong@example.com: [AUTHENTICATIONFAILED] Authentication failed.');
    expect(error?.message).not.toContain('not-the-password');
  });

  it('logs in with an OAuth access token, and with a fresh one when the cached token was revoked', async () => {
    // Arrange
    introspection.grant('at-fresh-1', user('oauth'));
    introspection.grant('at-cached-1', user('oauth'));
    introspection.revoke('at-cached-1');
    const asked: boolean[] = [];
    const credentials: MailboxCredentials = {
      type: 'oauth2',
      accessToken: async (options) => {
        asked.push(options?.fresh ?? false);
        return options?.fresh ? 'at-fresh-1' : 'at-cached-1';
      },
    };
    // Act
    const session = await connector(imapSource('oauth'), { credentials }).open();
    const listing = await session.list(null, 10);
    await session.close();
    // Assert
    expect(listing).toMatchObject({ items: [], more: false, rescan: false });
    expect(asked).toEqual([false, true]);
    expect(introspection.asked.slice(-2)).toEqual(['at-cached-1', 'at-fresh-1']);
    // imapflow prefers OAUTHBEARER (RFC 7628) when the server offers it.
    expect(await dovecot.log()).toContain(`imap-login: Info: Login: user=<${user('oauth')}>, method=OAUTHBEARER`);
  });

  it('logs in with XOAUTH2 where the server offers no OAUTHBEARER, as Microsoft 365 does', async () => {
    // Arrange
    const xoauth2Only = await startDovecot({ users: [], oauth2: { introspectionUrl: introspection.url, mechanisms: ['xoauth2'] } });
    introspection.grant('at-xoauth2', user('oauth'));
    const credentials: MailboxCredentials = { type: 'oauth2', accessToken: async () => 'at-xoauth2' };
    try {
      // Act
      const session = await connector(imapSource('oauth', { port: xoauth2Only.ports.imap }), { credentials }).open();
      await session.close();
      // Assert
      expect(await xoauth2Only.log()).toContain(`imap-login: Info: Login: user=<${user('oauth')}>, method=XOAUTH2`);
    } finally {
      await xoauth2Only.stop();
    }
  });

  it('gives up with MailboxAuthError when the fresh token is refused too', async () => {
    // Arrange
    const asked: boolean[] = [];
    const credentials: MailboxCredentials = {
      type: 'oauth2',
      accessToken: async (o) => {
        asked.push(o?.fresh ?? false);
        return 'at-revoked';
      },
    };
    // Act
    const error = await failure(connector(imapSource('revoked'), { credentials }).open());
    // Assert
    expect(error).toBeInstanceOf(MailboxAuthError);
    expect(error?.message).toMatch(/^IMAP server 127\.0\.0\.1 refused the login of revoked@example\.com: /);
    expect(error?.message).not.toContain('at-revoked');
    expect(asked).toEqual([false, true]);
  });

  it('fails with PolicyError before any connection when the guard refuses the host', async () => {
    // Arrange: a listener that counts connections, behind a guard without the loopback allowance.
    const server = await fakeServer('* OK ready\r\n');
    // Act
    const error = await failure(connector(imapSource('plain', { port: server.port }), { guard: new HostGuard() }).open());
    const named = await failure(connector(imapSource('plain', { host: 'localhost', port: server.port, security: 'tls' }), { guard: new HostGuard() }).open());
    await server.close();
    // Assert
    expect(error).toBeInstanceOf(PolicyError);
    expect(error).toMatchObject({ code: 'blocked-host' });
    expect(named).toBeInstanceOf(PolicyError);
    expect(server.connections()).toBe(0);
  });

  it('reports a refused connection and a silent server as MailboxUnavailableError', async () => {
    // Arrange
    const silent = await fakeServer(null);
    const closed = await fakeServer(null);
    await closed.close();
    // Act
    const refused = await failure(connector(imapSource('plain', { port: closed.port })).open());
    const started = Date.now();
    const timedOut = await failure(connector(imapSource('plain', { port: silent.port }), { timeoutMs: 300 }).open());
    const waited = Date.now() - started;
    await silent.close();
    // Assert
    expect(refused).toBeInstanceOf(MailboxUnavailableError);
    expect(refused?.message).toMatch(/^cannot reach IMAP server 127\.0\.0\.1:\d+: ECONNREFUSED$/);
    expect(timedOut).toBeInstanceOf(MailboxUnavailableError);
    expect(timedOut?.message).toMatch(/^cannot reach IMAP server 127\.0\.0\.1:\d+: timed out \(\w+\)$/);
    expect(waited).toBeLessThan(3_000);
  });
});

describe('ImapMailboxConnector: a dropped connection', () => {
  it('logs in again when the server ended the session or it timed out while the caller worked', async () => {
    // Arrange
    await dovecot.deliver(user('dropped'), mail('Still there'));
    const session = await connector(imapSource('dropped'), { timeoutMs: 1_000 }).open();
    try {
      const { items } = await session.list(null, 10);
      // Act
      await dovecot.kick(user('dropped'));
      await new Promise((done) => setTimeout(done, 200));
      const afterKick = await session.fetch(items[0]!, 100_000);
      await new Promise((done) => setTimeout(done, 1_500));
      const afterIdle = await session.list(null, 10);
      // Assert
      expect(Buffer.from(afterKick).toString()).toBe(mail('Still there'));
      expect(afterIdle.items.map((i) => i.key)).toEqual(items.map((i) => i.key));
    } finally {
      await session.close();
    }
    const logins = (await dovecot.log()).split('\n').filter((l) => l.includes(`Login: user=<${user('dropped')}>`));
    expect(logins).toHaveLength(3);
  });
});

describe('ImapMailboxConnector: listing from a cursor', () => {
  it('lists only mail after the cursor, oldest first, at most the limit, and says when there is more', async () => {
    // Arrange
    for (let i = 1; i <= 5; i++) await dovecot.deliver(user('cursor'), mail(`Cursor ${i}`));
    // Act
    const [first, second, third, later] = await withSession(imapSource('cursor'), async (session) => {
      const first = await session.list(null, 2);
      const second = await session.list(first.items.at(-1)!.cursorAfter, 2);
      const third = await session.list(second.items.at(-1)!.cursorAfter, 2);
      const later = await session.list(await session.end(), 10);
      return [first, second, third, later];
    });
    // Assert
    const uids = (l: typeof first) => l!.items.map((i) => Number(i.key.split(':').at(-1)));
    expect([uids(first), first!.more]).toEqual([[1, 2], true]);
    expect([uids(second), second!.more]).toEqual([[3, 4], true]);
    expect([uids(third), third!.more]).toEqual([[5], false]);
    expect(later).toMatchObject({ items: [], more: false, rescan: false });
    expect(first!.cursor).toEqual(first!.items[1]!.cursorAfter);
  });

  it("starts again from the beginning, with rescan, when the folder's UIDVALIDITY changed", async () => {
    // Arrange
    await dovecot.deliver(user('rescan'), mail('Before the rebuild'));
    const cursor = await withSession(imapSource('rescan'), async (s) => (await s.list(null, 10)).items[0]!.cursorAfter);
    await dovecot.setUidValidity(user('rescan'), 'INBOX', 424242);
    // Act
    const listing = await withSession(imapSource('rescan'), (s) => s.list(cursor, 10));
    // Assert
    expect(listing.rescan).toBe(true);
    expect(listing.items.map((i) => i.key)).toEqual(['imap:INBOX:424242:1']);
  });

  it('hands back the new UIDVALIDITY of an empty folder, so the next poll does not rescan again', async () => {
    // Arrange
    await dovecot.deliver(user('empty'), mail('Soon gone'));
    const cursor = await withSession(imapSource('empty'), async (s) => {
      const { items } = await s.list(null, 10);
      await s.settle(items[0]!, { type: 'delete' });
      return items[0]!.cursorAfter;
    });
    await dovecot.setUidValidity(user('empty'), 'INBOX', 515151);
    // Act
    const [rescanned, next] = await withSession(imapSource('empty'), async (s) => {
      const rescanned = await s.list(cursor, 10);
      return [rescanned, await s.list(rescanned.cursor!, 10)];
    });
    // Assert
    expect(rescanned).toEqual({ items: [], more: false, rescan: true, cursor: { uidValidity: '515151', lastUid: 0 } });
    expect(next!.rescan).toBe(false);
  });

  it('tells which mail was there at the first connection', async () => {
    // Arrange
    await dovecot.deliver(user('end'), mail('Old'));
    const boundary = await withSession(imapSource('end'), (s) => s.boundary());
    await dovecot.deliver(user('end'), mail('New'));
    // Act
    const { items, precedes } = await withSession(imapSource('end'), async (s) => {
      const { items } = await s.list(null, 10);
      return { items, precedes: items.map((i) => s.precedes(i, boundary)) };
    });
    // Assert
    expect(items).toHaveLength(2);
    expect(precedes).toEqual([true, false]);
  });
});

describe('ImapMailboxConnector: fetching and settling', () => {
  it('moves a settled message to the Handled folder, creating it, and a second settle is no error', async () => {
    // Arrange
    await dovecot.deliver(user('move'), mail('Move me'));
    await dovecot.deliver(user('move'), mail('Stay'));
    // Act
    await withSession(imapSource('move'), async (session) => {
      const { items } = await session.list(null, 10);
      await session.settle(items[0]!, { type: 'move', folder: 'Handled' });
      await session.settle(items[0]!, { type: 'move', folder: 'Handled' });
    });
    // Assert
    expect((await dovecot.list(user('move'), 'Handled')).map((m) => m.subject)).toEqual(['Move me']);
    expect((await dovecot.list(user('move'), 'INBOX')).map((m) => m.subject)).toEqual(['Stay']);
  });

  it('deletes only the settled message, and keeps one when told to', async () => {
    // Arrange
    for (const subject of ['Delete me', 'Other']) await dovecot.deliver(user('delete'), mail(subject));
    await dovecot.deliver(user('keep'), mail('Keep me'));
    // Act
    await withSession(imapSource('delete'), async (session) => {
      const { items } = await session.list(null, 10);
      await session.settle(items[0]!, { type: 'delete' });
      await session.settle(items[0]!, { type: 'delete' });
    });
    await withSession(imapSource('keep'), async (session) => {
      const { items } = await session.list(null, 10);
      await session.settle(items[0]!, { type: 'keep' });
    });
    // Assert
    expect((await dovecot.list(user('delete'), 'INBOX')).map((m) => [m.subject, m.flags])).toEqual([['Other', []]]);
    expect((await dovecot.list(user('keep'), 'INBOX')).map((m) => m.subject)).toEqual(['Keep me']);
  });

  it('says a message is gone when someone else removed it between listing and fetching', async () => {
    // Arrange
    await dovecot.deliver(user('gone'), mail('Taken by a person'));
    const reader = await connector(imapSource('gone')).open();
    try {
      const { items } = await reader.list(null, 10);
      await withSession(imapSource('gone'), (other) => other.settle(items[0]!, { type: 'move', folder: 'Archive' }));
      // Act
      const error = await failure(reader.fetch(items[0]!, 100_000));
      // Assert
      expect(error).toBeInstanceOf(MailboxItemGoneError);
      expect(error?.message).toBe(`message ${items[0]!.key} is no longer in INBOX`);
    } finally {
      await reader.close();
    }
  });

  it("leaves a message alone when its UIDVALIDITY is no longer the folder's", async () => {
    // Arrange
    await dovecot.deliver(user('stale'), mail('Listed before the rebuild'));
    const { items } = await withSession(imapSource('stale'), (s) => s.list(null, 10));
    await dovecot.setUidValidity(user('stale'), 'INBOX', 777);
    // Act
    await withSession(imapSource('stale'), (s) => s.settle(items[0]!, { type: 'delete' }));
    // Assert
    expect(await dovecot.list(user('stale'), 'INBOX')).toHaveLength(1);
  });

  it('refuses a message over the limit without downloading it, and reads no more than the limit when the size is unknown', async () => {
    // Arrange
    const body = `${'x'.repeat(76)}\r\n`.repeat(20_000);
    await dovecot.deliver(user('large'), mail('Huge', body));
    const item = await withSession(imapSource('large'), async (s) => (await s.list(null, 10)).items[0]!);
    // Act: dovecot's logout line counts the body bytes each session sent.
    const { value: listed, log: listedLog } = await logoutOf('large', () => withSession(imapSource('large'), (s) => failure(s.fetch(item, 100_000))));
    const { value: unknown, log: unknownLog } = await logoutOf('large', () =>
      withSession(imapSource('large'), (s) => failure(s.fetch({ ...item, size: null }, 100_000))),
    );
    const whole = await withSession(imapSource('large'), (s) => s.fetch({ ...item, size: null }, 2_000_000));
    // Assert
    expect(item.size).toBeGreaterThan(1_500_000);
    expect(listed).toBeInstanceOf(MailboxTooLargeError);
    expect(listed?.message).toBe(`message ${item.key} is ${item.size} bytes, over the 100000 bytes allowed`);
    expect(listedLog).toContain('body_count=0 body_bytes=0');
    expect(unknown).toBeInstanceOf(MailboxTooLargeError);
    expect(unknown?.message).toBe(`message ${item.key} is larger than the 100000 bytes allowed`);
    expect(unknownLog).toContain('body_count=1 body_bytes=100001');
    expect(whole.byteLength).toBe(item.size);
    expect((await dovecot.list(user('large'), 'INBOX'))[0]?.flags).toEqual([]);
  });
});
