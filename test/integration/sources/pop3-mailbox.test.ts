import { type AddressInfo, createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostGuard } from '../../../functions/adapters/outbound/host-guard.ts';
import { MAX_SEEN_UIDLS, Pop3MailboxConnector, uidlTag } from '../../../functions/adapters/sources/pop3-mailbox.ts';
import { ConfigError, PolicyError } from '../../../functions/core/errors.ts';
import { MailSourceSchema, type Pop3Source } from '../../../functions/core/model/mail-source.ts';
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

const PASSWORD = 'pop3-pass-1-secret';
const NAMES = ['plain', 'tls', 'wrong', 'oauth', 'revoked', 'keep', 'delete', 'large', 'end', 'gone', 'forget', 'dropped'] as const;
type Name = (typeof NAMES)[number];
const user = (name: Name): string => `${name}@example.com`;
const SANDBOX = new HostGuard({ allow: { loopback: true } });

function mail(subject: string, body = 'Hello, I need help with my order.'): string {
  return `From: Ann <ann@example.org>\r\nTo: support@example.com\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '-')}@example.org>\r\n\r\n${body}\r\n`;
}

const password = (value = PASSWORD): MailboxCredentials => ({ type: 'password', password: async () => value });

let dovecot: Dovecot;
let introspection: Introspection;

function pop3Source(name: Name, input: Record<string, unknown> = {}): Pop3Source {
  return MailSourceSchema.parse({ type: 'pop3', host: '127.0.0.1', port: dovecot.ports.pop3, security: 'none', user: user(name), ...input }) as Pop3Source;
}

function connector(
  source: Pop3Source,
  options: { credentials?: MailboxCredentials; guard?: HostGuard; ca?: string | null; timeoutMs?: number } = {},
): Pop3MailboxConnector {
  return new Pop3MailboxConnector({
    source,
    credentials: options.credentials ?? password(),
    guard: options.guard ?? SANDBOX,
    ca: options.ca === null ? undefined : (options.ca ?? TEST_TLS.ca),
    timeoutMs: options.timeoutMs ?? 5_000,
  });
}

async function withSession<T>(source: Pop3Source, work: (session: MailboxSession) => Promise<T>): Promise<T> {
  const session = await connector(source).open();
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}

const failure = (promise: Promise<unknown>): Promise<Error | null> =>
  promise.then(
    () => null,
    (error: unknown) => error as Error,
  );
const subjects = async (name: Name): Promise<string[]> => (await dovecot.list(user(name), 'INBOX')).map((m) => m.subject);

/** Runs one session; with its result, dovecot's logout line for it: what the session read. */
function logoutOf<T>(name: Name, work: () => Promise<T>): Promise<{ readonly value: T; readonly log: string }> {
  return sessionLogout(dovecot, (l) => l.includes(`pop3(${user(name)})`) && l.includes('Logged out'), work);
}

/** A scripted POP3 server: greets, answers each command line with `answer`, keeps what it was sent. */
async function fakeServer(greeting: string | null, answer: (line: string, socket: Socket) => void = (_l, s) => s.write('-ERR no\r\n')) {
  let received = '';
  let count = 0;
  const server = createServer((socket) => {
    count++;
    let pending = '';
    socket.on('data', (chunk) => {
      received += chunk.toString();
      pending += chunk.toString();
      for (let at = pending.indexOf('\r\n'); at >= 0; at = pending.indexOf('\r\n')) {
        answer(pending.slice(0, at), socket);
        pending = pending.slice(at + 2);
      }
    });
    socket.on('error', () => undefined);
    if (greeting !== null) socket.write(greeting);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    port: (server.address() as AddressInfo).port,
    received: () => received,
    connections: () => count,
    close: () =>
      new Promise<void>((done) => {
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

describe('Pop3MailboxConnector: connecting and logging in', () => {
  it('logs in with USER/PASS in plaintext on loopback, lists by UIDL and fetches the raw mail, dot-unstuffed', async () => {
    // Arrange: lines that start with a dot are stuffed on the wire (RFC 1939 §3).
    const raw = mail('Order 2001', '.signature\r\n..two dots\r\nend');
    await dovecot.deliver(user('plain'), raw);
    await dovecot.deliver(user('plain'), mail('Order 2002'));
    const stored = await dovecot.list(user('plain'), 'INBOX');
    // Act
    const { listing, fetched } = await withSession(pop3Source('plain'), async (session) => {
      const listing = await session.list(null, 10);
      return { listing, fetched: await session.fetch(listing.items[0]!, 1024 * 1024) };
    });
    // Assert
    const [first, second] = listing.items;
    expect(listing.more).toBe(false);
    expect(listing.rescan).toBe(false);
    expect(first).toEqual({
      key: expect.stringMatching(/^pop3:[0-9a-f]{16}$/),
      size: stored[0]!.size,
      receivedAt: null,
      cursorAfter: { seen: [uidlTag(first!.key.slice(5))] },
    });
    expect(second?.cursorAfter).toEqual({ seen: [uidlTag(first!.key.slice(5)), uidlTag(second!.key.slice(5))] });
    expect(Buffer.from(fetched).toString()).toBe(raw);
  });

  it('connects over implicit TLS and over STLS, verifying the certificate against the configured name or address', async () => {
    // Arrange
    await dovecot.deliver(user('tls'), mail('Over TLS'));
    const sources = [
      pop3Source('tls', { host: 'localhost', port: dovecot.ports.pop3s, security: 'tls' }),
      pop3Source('tls', { host: '127.0.0.1', port: dovecot.ports.pop3s, security: 'tls' }),
      pop3Source('tls', { host: 'localhost', port: dovecot.ports.pop3, security: 'starttls' }),
      pop3Source('tls', { host: '127.0.0.1', port: dovecot.ports.pop3, security: 'starttls' }),
    ];
    // Act
    const counts = [];
    for (const source of sources) counts.push(await withSession(source, async (s) => (await s.list(null, 10)).items.length));
    // Assert
    expect(counts).toEqual([1, 1, 1, 1]);
    const logins = (await dovecot.log()).split('\n').filter((l) => l.includes(`Login: user=<${user('tls')}>`));
    expect(logins).toHaveLength(4);
    for (const line of logins) expect(line).toContain(', TLS');
  });

  it('refuses a certificate it cannot verify, before sending the password', async () => {
    // Act: the system CAs do not know the test CA.
    const implicit = await failure(connector(pop3Source('tls', { host: 'localhost', port: dovecot.ports.pop3s, security: 'tls' }), { ca: null }).open());
    const upgraded = await failure(connector(pop3Source('tls', { host: 'localhost', port: dovecot.ports.pop3, security: 'starttls' }), { ca: null }).open());
    // Assert
    for (const error of [implicit, upgraded]) {
      expect(error).toBeInstanceOf(MailboxUnavailableError);
      expect(error?.message).toMatch(/^cannot reach POP3 server localhost:\d+: its TLS certificate does not verify \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)$/);
    }
  });

  it('never logs in in clear when STLS is required and refused, or when data follows the STLS reply', async () => {
    // Arrange
    const refusing = await fakeServer('+OK ready\r\n');
    const injecting = await fakeServer('+OK ready\r\n', (line, socket) => {
      socket.write(line === 'STLS' ? '+OK begin TLS\r\n+OK injected\r\n' : '-ERR no\r\n');
    });
    // Act
    const refused = await failure(connector(pop3Source('tls', { host: 'localhost', port: refusing.port, security: 'starttls' })).open());
    const injected = await failure(connector(pop3Source('tls', { host: 'localhost', port: injecting.port, security: 'starttls' })).open());
    await Promise.all([refusing.close(), injecting.close()]);
    // Assert
    expect(refused).toBeInstanceOf(MailboxUnavailableError);
    expect(refused?.message).toMatch(/^cannot reach POP3 server localhost:\d+: STLS required but refused: -ERR no$/);
    expect(injected).toBeInstanceOf(MailboxUnavailableError);
    expect(injected?.message).toMatch(/data after the STLS reply/);
    expect(refusing.received()).toBe('STLS\r\n');
    expect(injecting.received()).toBe('STLS\r\n');
  });

  it("refuses a wrong password with MailboxAuthError and the server's reason, naming no secret", async () => {
    // Act
    const error = await failure(connector(pop3Source('wrong'), { credentials: password('not-the-password') }).open());
    // Assert
    expect(error).toBeInstanceOf(MailboxAuthError);
    expect(error?.message).toBe('POP3 server 127.0.0.1 refused the login of wrong@example.com: [AUTH] Authentication failed.');
    expect(error?.message).not.toContain('not-the-password');
  });

  it('refuses to send a password holding a line break', async () => {
    // Act
    const error = await failure(connector(pop3Source('wrong'), { credentials: password('x\r\nDELE 1') }).open());
    // Assert
    expect(error).toBeInstanceOf(MailboxAuthError);
    expect(error?.message).toBe('the POP3 password of wrong@example.com holds a line break');
  });

  it('logs in with AUTH XOAUTH2, and with a fresh token when the cached one was revoked', async () => {
    // Arrange
    introspection.grant('pop-fresh-1', user('oauth'));
    const asked: boolean[] = [];
    const credentials: MailboxCredentials = {
      type: 'oauth2',
      accessToken: async (options) => {
        asked.push(options?.fresh ?? false);
        return options?.fresh ? 'pop-fresh-1' : 'pop-cached-1';
      },
    };
    // Act
    const session = await connector(pop3Source('oauth'), { credentials }).open();
    const listing = await session.list(null, 10);
    await session.close();
    // Assert
    expect(listing).toEqual({ items: [], more: false, rescan: false, cursor: { seen: [] } });
    expect(asked).toEqual([false, true]);
    expect(introspection.asked.slice(-2)).toEqual(['pop-cached-1', 'pop-fresh-1']);
    expect(await dovecot.log()).toContain(`pop3-login: Info: Login: user=<${user('oauth')}>, method=XOAUTH2`);
  });

  it('gives up with MailboxAuthError when the fresh token is refused too', async () => {
    // Arrange
    const asked: boolean[] = [];
    const credentials: MailboxCredentials = {
      type: 'oauth2',
      accessToken: async (o) => {
        asked.push(o?.fresh ?? false);
        return 'pop-revoked';
      },
    };
    // Act
    const error = await failure(connector(pop3Source('revoked'), { credentials }).open());
    // Assert
    expect(error).toBeInstanceOf(MailboxAuthError);
    expect(error?.message).toBe(
      'POP3 server 127.0.0.1 refused the login of revoked@example.com: [AUTH] Authentication failed. {"status":"401","schemes":"bearer","scope":"mail"}',
    );
    expect(error?.message).not.toContain('pop-revoked');
    expect(asked).toEqual([false, true]);
  });

  it('fails with PolicyError before any connection when the guard refuses the host', async () => {
    // Arrange
    const server = await fakeServer('+OK ready\r\n');
    // Act
    const error = await failure(connector(pop3Source('plain', { port: server.port }), { guard: new HostGuard() }).open());
    await server.close();
    // Assert
    expect(error).toBeInstanceOf(PolicyError);
    expect(error).toMatchObject({ code: 'blocked-host' });
    expect(server.connections()).toBe(0);
  });

  it('reports a refused connection, a silent server and an endless line as MailboxUnavailableError', async () => {
    // Arrange
    const silent = await fakeServer(null);
    const endless = await fakeServer(`+OK ${'x'.repeat(100_000)}`);
    const closed = await fakeServer(null);
    await closed.close();
    // Act
    const refused = await failure(connector(pop3Source('plain', { port: closed.port })).open());
    const started = Date.now();
    const timedOut = await failure(connector(pop3Source('plain', { port: silent.port }), { timeoutMs: 300 }).open());
    const waited = Date.now() - started;
    const tooLong = await failure(connector(pop3Source('plain', { port: endless.port })).open());
    await Promise.all([silent.close(), endless.close()]);
    // Assert
    expect(refused?.message).toMatch(/^cannot reach POP3 server 127\.0\.0\.1:\d+: ECONNREFUSED$/);
    expect(timedOut?.message).toMatch(/^cannot reach POP3 server 127\.0\.0\.1:\d+: timed out \(ETIMEDOUT\)$/);
    expect(waited).toBeLessThan(3_000);
    expect(tooLong?.message).toMatch(/^cannot reach POP3 server 127\.0\.0\.1:\d+: a reply line over 8192 bytes$/);
    for (const error of [refused, timedOut, tooLong]) expect(error).toBeInstanceOf(MailboxUnavailableError);
  });
});

describe('Pop3MailboxConnector: a dropped connection', () => {
  it('logs in again when the server ended the session while the caller worked, and does not time out while idle', async () => {
    // Arrange
    await dovecot.deliver(user('dropped'), mail('Still there'));
    const session = await connector(pop3Source('dropped'), { timeoutMs: 300 }).open();
    try {
      const { items } = await session.list(null, 10);
      // Act
      await new Promise((done) => setTimeout(done, 500));
      const afterIdle = await session.fetch(items[0]!, 100_000);
      await dovecot.kick(user('dropped'));
      await new Promise((done) => setTimeout(done, 200));
      const afterKick = await session.list(null, 10);
      // Assert
      expect(Buffer.from(afterIdle).toString()).toBe(mail('Still there'));
      expect(afterKick.items.map((i) => i.key)).toEqual(items.map((i) => i.key));
    } finally {
      await session.close();
    }
    const logins = (await dovecot.log()).split('\n').filter((l) => l.includes(`Login: user=<${user('dropped')}>`));
    expect(logins).toHaveLength(2);
  });
});

describe('Pop3MailboxConnector: cursor and settling', () => {
  it('keeps a message and remembers its UIDL: the next listing has only newer mail, at most the limit', async () => {
    // Arrange
    for (let i = 1; i <= 3; i++) await dovecot.deliver(user('keep'), mail(`Keep ${i}`));
    // Act
    const first = await withSession(pop3Source('keep', { afterProcessing: 'keep' }), async (session) => {
      const listing = await session.list(null, 2);
      for (const item of listing.items) await session.settle(item, { type: 'keep' });
      return listing;
    });
    await dovecot.deliver(user('keep'), mail('Keep 4'));
    const second = await withSession(pop3Source('keep'), (s) => s.list(first.items.at(-1)!.cursorAfter, 10));
    // Assert
    expect(first.items).toHaveLength(2);
    expect(first.more).toBe(true);
    expect(second.items).toHaveLength(2);
    expect(second.more).toBe(false);
    expect(second.items.at(-1)?.cursorAfter).toEqual({ seen: [...first.items, ...second.items].map((i) => uidlTag(i.key.slice(5))) });
    expect(await subjects('keep')).toEqual(['Keep 1', 'Keep 2', 'Keep 3', 'Keep 4']);
  });

  it('commits a delete before settle returns, and goes on reading in a new connection', async () => {
    // Arrange
    for (const subject of ['Delete me', 'Read after']) await dovecot.deliver(user('delete'), mail(subject));
    // Act
    const { during, fetched, again } = await withSession(pop3Source('delete'), async (session) => {
      const { items } = await session.list(null, 10);
      await session.settle(items[0]!, { type: 'delete' });
      const during = await subjects('delete');
      const fetched = Buffer.from(await session.fetch(items[1]!, 100_000)).toString();
      await session.settle(items[0]!, { type: 'delete' });
      return { during, fetched, again: await session.list(null, 10) };
    });
    // Assert
    expect(during).toEqual(['Read after']);
    expect(fetched).toBe(mail('Read after'));
    expect(again.items).toHaveLength(1);
    expect(await subjects('delete')).toEqual(['Read after']);
  });

  it('refuses to move a message: POP3 has no folders', async () => {
    // Arrange
    await dovecot.deliver(user('gone'), mail('No folders'));
    // Act
    const error = await withSession(pop3Source('gone'), async (session) => {
      const { items } = await session.list(null, 10);
      return failure(session.settle(items[0]!, { type: 'move', folder: 'Handled' }));
    });
    // Assert
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toMatch(/^POP3 has no folders/);
    expect(await subjects('gone')).toEqual(['No folders']);
  });

  it('forgets UIDLs no longer in the maildrop: a UIDL is never given to another message', async () => {
    // Arrange
    await dovecot.deliver(user('forget'), mail('Still here'));
    const stale = Array.from({ length: MAX_SEEN_UIDLS }, (_, i) => `deleted-elsewhere-${i}`);
    // Act
    const listing = await withSession(pop3Source('forget', { afterProcessing: 'keep' }), (s) => s.list({ seen: stale }, 10));
    // Assert
    expect(listing.items.map((i) => i.cursorAfter)).toEqual([{ seen: [uidlTag(listing.items[0]!.key.slice(5))] }]);
    expect(listing.cursor).toEqual(listing.items[0]!.cursorAfter);
  });

  it('says a message is gone when it left the maildrop between listing and fetching', async () => {
    // Arrange
    await dovecot.deliver(user('forget'), mail('Another'));
    // Act
    const { error, next } = await withSession(pop3Source('forget'), async (s) => {
      const error = await failure(s.fetch({ key: 'pop3:no-such-uidl', size: 10, receivedAt: null, cursorAfter: { seen: [] } }, 100_000));
      return { error, next: await s.list(null, 10) };
    });
    // Assert
    expect(error).toBeInstanceOf(MailboxItemGoneError);
    expect(error?.message).toBe('message pop3:no-such-uidl is no longer in the maildrop');
    expect(next.items).toHaveLength(2);
  });

  it("refuses a message over the limit without downloading it, by the size listed or, without one, the maildrop's", async () => {
    // Arrange
    await dovecot.deliver(user('large'), mail('Huge', `${'x'.repeat(76)}\r\n`.repeat(20_000)));
    await dovecot.deliver(user('large'), mail('Small'));
    const [item, small] = await withSession(pop3Source('large', { afterProcessing: 'keep' }), async (s) => (await s.list(null, 10)).items);
    // Act: dovecot's logout line counts the messages each session retrieved.
    const { value: listed, log: listedLog } = await logoutOf('large', () => withSession(pop3Source('large'), (s) => failure(s.fetch(item!, 100_000))));
    const {
      value: { unknown, after },
      log: afterLog,
    } = await logoutOf('large', () =>
      withSession(pop3Source('large'), async (s) => ({
        unknown: await failure(s.fetch({ ...item!, size: null }, 100_000)),
        after: Buffer.from(await s.fetch(small!, 100_000)).toString(),
      })),
    );
    // Assert
    expect(item!.size).toBeGreaterThan(1_500_000);
    expect(listed).toBeInstanceOf(MailboxTooLargeError);
    expect(listed?.message).toBe(`message ${item!.key} is ${item!.size} bytes, over the 100000 bytes allowed`);
    expect(listedLog).toContain('retr=0/0');
    expect(unknown).toBeInstanceOf(MailboxTooLargeError);
    expect(unknown?.message).toBe(listed?.message);
    expect(after).toBe(mail('Small'));
    expect(afterLog).toMatch(/ retr=1\/\d{1,3}, /);
  });

  it('stops reading a message at the limit when the server understated its size, and reconnects for the next call', async () => {
    // Arrange: a server whose LIST says 100 bytes for a message of some 200 kB.
    const big = `Subject: big\r\n\r\n${'y'.repeat(998)}\r\n`.repeat(200);
    const lying = await fakeServer('+OK ready\r\n', (line, socket) => {
      const [command] = line.split(' ');
      if (command === 'UIDL') socket.write('+OK\r\n1 uid-1\r\n.\r\n');
      else if (command === 'LIST') socket.write('+OK\r\n1 100\r\n.\r\n');
      else if (command === 'RETR') socket.write(`+OK\r\n${big}.\r\n`);
      else socket.write('+OK\r\n');
    });
    // Act
    const { error, listing } = await withSession(pop3Source('large', { port: lying.port }), async (s) => {
      const { items } = await s.list(null, 10);
      return { error: await failure(s.fetch(items[0]!, 10_000)), listing: await s.list(null, 10) };
    });
    await lying.close();
    // Assert
    expect(error).toBeInstanceOf(MailboxTooLargeError);
    expect(error?.message).toBe('message pop3:uid-1 is larger than the 10000 bytes allowed');
    expect(listing.items.map((i) => i.key)).toEqual(['pop3:uid-1']);
    expect(lying.connections()).toBe(2);
  });

  it('tells which mail was there at the first connection, and where the maildrop ends', async () => {
    // Arrange
    await dovecot.deliver(user('end'), mail('Old'));
    const { boundary, end } = await withSession(pop3Source('end'), async (s) => ({ boundary: await s.boundary(), end: await s.end() }));
    await dovecot.deliver(user('end'), mail('New'));
    // Act
    const { all, fromEnd, precedes } = await withSession(pop3Source('end'), async (s) => {
      const all = await s.list(null, 10);
      return { all, fromEnd: await s.list(end, 10), precedes: all.items.map((i) => s.precedes(i, boundary)) };
    });
    // Assert
    expect(boundary).toEqual({ uidls: [uidlTag(all.items[0]!.key.slice(5))] });
    expect(end).toEqual({ seen: [uidlTag(all.items[0]!.key.slice(5))] });
    expect(precedes).toEqual([true, false]);
    expect(fromEnd.items.map((i) => i.key)).toEqual([all.items[1]!.key]);
  });
});
