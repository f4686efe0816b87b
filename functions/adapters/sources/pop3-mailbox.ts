import { createHash } from 'node:crypto';
import { connect as connectTcp, type Socket } from 'node:net';
import { type ConnectionOptions, connect as connectTls } from 'node:tls';
import { ConfigError } from '../../core/errors.ts';
import type { Pop3Source } from '../../core/model/mail-source.ts';
import {
  MailboxAuthError,
  type MailboxConnector,
  type MailboxItem,
  MailboxItemGoneError,
  type MailboxListing,
  type MailboxSession,
  MailboxTooLargeError,
  MailboxUnavailableError,
  type SettleAction,
  type SourceBoundary,
  type SourceCursor,
} from '../../core/ports/mailbox.ts';
import type { VettedHost } from '../outbound/host-guard.ts';
import {
  DEFAULT_TIMEOUT_MS,
  eachAddress,
  LARGEST_MESSAGE_BYTES,
  loginWithRetry,
  type MailboxConnectorOptions,
  type MailboxSecret,
  serverText,
  tlsOptions,
  unavailable,
  vetMailboxHost,
} from './mailbox-tls.ts';

export type Pop3MailboxConnectorOptions = MailboxConnectorOptions<Pop3Source>;

/** The UIDLs already handled and left in the maildrop (or there before the first poll under `skip`). */
export type Pop3Cursor = { readonly seen: readonly string[] };
/** The UIDLs in the maildrop at the first connection. */
export type Pop3Boundary = { readonly uidls: readonly string[] };

/** The most UIDLs a cursor remembers: the most recent ones, so a stored cursor stays small. */
export const MAX_SEEN_UIDLS = 5_000;
/** UIDLs of the maildrop remembered as old at the first connection (`import-closed`). */
export const MAX_BOUNDARY_UIDLS = 15_000;

/** RFC 1939 allows 512 octets for a reply line; some servers send longer texts. */
const MAX_REPLY_LINE = 8 * 1024;
/** A UIDL or LIST line is a number and an id of at most 70 characters. */
const MAX_LISTING_LINE = 1024;
/** UIDL and LIST for a maildrop of some 200,000 messages. */
const MAX_LISTING_BYTES = 16 * 1024 * 1024;
/** The socket stops reading while this much is buffered and not yet consumed. */
const HIGH_WATER = 1024 * 1024;
/** RFC 3206 codes of a login refused for now (the maildrop is locked, the server is busy). */
const TEMPORARY = /^-ERR \[(?:IN-USE|SYS\/TEMP|LOGIN-DELAY)\]/i;
const CRLF = Buffer.from('\r\n');

/**
 * Reads a channel's mail from a POP3 maildrop (IN-1) with a client of its own on node:net and
 * node:tls: node-pop3 has no STLS, no AUTH, and reads a reply as whatever one TCP chunk holds.
 * UIDL identifies a message; TLS from the first byte, STLS (required) or plaintext only for
 * `none`; USER/PASS or AUTH XOAUTH2.
 *
 * POP3 removes DELEted messages only at QUIT. `settle` with `delete` therefore QUITs right away
 * and the next call logs in again: a message counts as settled only once it is gone, so a crash
 * can never leave a message deleted in the cursor but still in the maildrop.
 */
export class Pop3MailboxConnector implements MailboxConnector {
  constructor(private readonly options: Pop3MailboxConnectorOptions) {}

  async open(): Promise<MailboxSession> {
    const { source } = this.options;
    const vetted = await vetMailboxHost(this.options.guard, source.host);
    const where = `POP3 server ${source.host}:${source.port}`;
    const login = (): Promise<Pop3Wire> =>
      loginWithRetry(this.options.credentials, (secret) =>
        eachAddress(vetted, (address) => this.connect(address, vetted, secret)).catch((error: unknown) => {
          throw unavailable(error, `cannot reach ${where}`);
        }),
      );
    return new Pop3MailboxSession(await login(), login, where);
  }

  private async connect(address: string, vetted: VettedHost, secret: MailboxSecret): Promise<Pop3Wire> {
    const { source } = this.options;
    const tls = { ...tlsOptions(vetted, this.options.ca), host: address };
    const wire = await Pop3Wire.open(address, source.port, source.security === 'tls' ? tls : null, this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    try {
      const greeting = await wire.reply();
      if (!isOk(greeting)) throw new Error(`the server greeted with ${serverText(greeting)}`);
      if (source.security === 'starttls') {
        const stls = await wire.command('STLS');
        if (!isOk(stls)) throw new Error(`STLS required but refused: ${serverText(stls)}`);
        await wire.startTls(tls);
      }
      await this.logIn(wire, secret);
      return wire;
    } catch (error) {
      wire.destroy();
      throw error;
    }
  }

  private async logIn(wire: Pop3Wire, secret: MailboxSecret): Promise<void> {
    const { user, host } = this.options.source;
    const refused = (reply: string, detail = ''): Error => {
      const reason = `${serverText(reply.slice(4)) || 'no reason given'}${detail}`;
      return TEMPORARY.test(reply)
        ? new MailboxUnavailableError(`POP3 server ${host} cannot log in ${user} now: ${reason}`)
        : new MailboxAuthError(`POP3 server ${host} refused the login of ${user}: ${reason}`);
    };
    if (secret.type === 'password') {
      // The password goes on a command line: a line break in it would start another command.
      if (/[\r\n\0]/.test(secret.password)) throw new MailboxAuthError(`the POP3 password of ${user} holds a line break`);
      const answer = await wire.command(`USER ${user}`);
      if (!isOk(answer)) throw refused(answer);
      const login = await wire.command(`PASS ${secret.password}`);
      if (!isOk(login)) throw refused(login);
      return;
    }
    // The token waits for the server's "+": on the AUTH line it would break the 255-octet limit of a command (RFC 2449 §4, RFC 5034 §4).
    const start = await wire.command('AUTH XOAUTH2');
    if (!start.startsWith('+ ') && start !== '+') throw refused(start, ' (AUTH XOAUTH2)');
    const answer = await wire.command(Buffer.from(`user=${user}\x01auth=Bearer ${secret.accessToken}\x01\x01`).toString('base64'));
    if (isOk(answer)) return;
    if (!answer.startsWith('+')) throw refused(answer);
    // A challenge carries the server's error as base64 JSON; the empty line ends the exchange.
    const status = serverText(Buffer.from(answer.slice(1).trim(), 'base64').toString('utf8'));
    throw refused(await wire.command(''), status ? ` ${status}` : '');
  }
}

/** The maildrop as one connection numbers it: UIDL to message number and size, in maildrop order. */
type Maildrop = ReadonlyMap<string, { readonly number: number; readonly size: number }>;

class Pop3MailboxSession implements MailboxSession {
  /** Fixed for the connection: a POP3 server shows no mail that arrives during a session. */
  private maildrop: Maildrop | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly boundaries = new WeakMap<object, ReadonlySet<string>>();

  constructor(
    private wire: Pop3Wire | null,
    private readonly login: () => Promise<Pop3Wire>,
    private readonly where: string,
  ) {}

  list(cursor: SourceCursor | null, limit: number): Promise<MailboxListing> {
    return this.run(async (wire) => {
      const drop = await this.read(wire);
      const given = cursor === null ? [] : readSeen(cursor);
      // A UIDL is never given to another message (RFC 1939 §7): one gone from the maildrop can be forgotten.
      const present = new Set([...drop.keys()].map(uidlTag));
      let seen = (given ?? []).filter((tag) => present.has(tag));
      const known = new Set(seen);
      const fresh = [...drop].filter(([uidl]) => !known.has(uidlTag(uidl)));
      const chosen = fresh.slice(0, Math.max(0, limit));
      const items = chosen.map(([uidl, { size }]): MailboxItem => {
        seen = capped([...seen, uidlTag(uidl)]);
        const cursorAfter: Pop3Cursor = { seen };
        return { key: `pop3:${uidl}`, size, receivedAt: null, cursorAfter };
      });
      // Also when nothing was listed: the UIDLs gone from the maildrop leave the stored cursor.
      const covered: Pop3Cursor = { seen: capped(seen) };
      return { items, more: fresh.length > chosen.length, rescan: cursor !== null && given === null, cursor: covered };
    });
  }

  async fetch(item: MailboxItem, maxBytes: number): Promise<Uint8Array> {
    const uidl = uidlOf(item);
    const limit = Math.min(maxBytes, LARGEST_MESSAGE_BYTES);
    if (item.size !== null && item.size > limit) throw tooLarge(item.key, item.size, limit);
    return this.run(async (wire) => {
      const entry = (await this.read(wire)).get(uidl);
      if (!entry) throw new MailboxItemGoneError(`message ${item.key} is no longer in the maildrop`);
      if (entry.size > limit) throw tooLarge(item.key, entry.size, limit);
      const reply = await wire.command(`RETR ${entry.number}`);
      if (!isOk(reply)) throw new MailboxUnavailableError(`${this.where} refused RETR of ${item.key}: ${serverText(reply)}`);
      const raw = await wire.block(limit, limit + 3);
      if (raw === null) throw tooLarge(item.key, null, limit);
      return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
    });
  }

  async settle(item: MailboxItem, action: SettleAction): Promise<void> {
    const uidl = uidlOf(item);
    if (action.type === 'keep') return;
    if (action.type === 'move') {
      throw new ConfigError(`POP3 has no folders: a POP3 source deletes or keeps a message, it cannot move ${item.key} to ${action.folder}`);
    }
    return this.run(async (wire) => {
      const entry = (await this.read(wire)).get(uidl);
      if (!entry) return;
      const deleted = await wire.command(`DELE ${entry.number}`);
      if (!isOk(deleted)) throw new MailboxUnavailableError(`${this.where} refused DELE of ${item.key}: ${serverText(deleted)}`);
      // The deletion happens at QUIT (RFC 1939 §6): commit now, log in again on the next call.
      const committed = await wire.command('QUIT');
      this.disconnect();
      if (!isOk(committed)) throw new MailboxUnavailableError(`${this.where} did not remove ${item.key}: ${serverText(committed)}`);
    });
  }

  end(): Promise<SourceCursor> {
    return this.run(async (wire) => {
      const cursor: Pop3Cursor = { seen: capped([...(await this.read(wire)).keys()].map(uidlTag)) };
      return cursor;
    });
  }

  boundary(): Promise<SourceBoundary> {
    return this.run(async (wire) => {
      // Every message there now stays "old" up to MAX_BOUNDARY_UIDLS (the state item's 400 KB bound); beyond, the newest count as new.
      const boundary: Pop3Boundary = { uidls: [...(await this.read(wire)).keys()].slice(0, MAX_BOUNDARY_UIDLS).map(uidlTag) };
      return boundary;
    });
  }

  precedes(item: MailboxItem, boundary: SourceBoundary): boolean {
    let uidls = this.boundaries.get(boundary);
    if (!uidls) {
      const list = boundary.uidls;
      uidls = new Set(Array.isArray(list) ? list.filter((u): u is string => typeof u === 'string') : []);
      this.boundaries.set(boundary, uidls);
    }
    return item.key.startsWith('pop3:') && uidls.has(uidlTag(item.key.slice(5)));
  }

  async close(): Promise<void> {
    await this.queue;
    const wire = this.wire;
    this.wire = null;
    if (!wire) return;
    try {
      await wire.command('QUIT');
    } catch {
      // Nothing was deleted in this connection (each delete committed at once): nothing is lost.
    } finally {
      wire.destroy();
    }
  }

  /** One command exchange at a time: POP3 has no tags to tell concurrent replies apart. */
  private run<T>(work: (wire: Pop3Wire) => Promise<T>): Promise<T> {
    const next = this.queue.then(async () => {
      try {
        // A connection the server dropped while the caller worked is replaced, not reported.
        if (this.wire?.broken) this.disconnect();
        this.wire ??= await this.login();
        return await work(this.wire);
      } catch (error) {
        const answered = [MailboxUnavailableError, MailboxTooLargeError, MailboxItemGoneError].some((type) => error instanceof type);
        if (!answered || this.wire?.broken) this.disconnect();
        throw unavailable(error, this.where);
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async read(wire: Pop3Wire): Promise<Maildrop> {
    if (this.maildrop) return this.maildrop;
    const uidls = await this.listing(wire, 'UIDL');
    const sizes = new Map((await this.listing(wire, 'LIST')).map(([n, size]) => [n, Number(size)]));
    const drop = new Map<string, { number: number; size: number }>();
    for (const [n, uidl] of uidls) {
      const size = sizes.get(n);
      if (size !== undefined && Number.isSafeInteger(size)) drop.set(uidl, { number: Number(n), size });
    }
    this.maildrop = drop;
    return drop;
  }

  /** A UIDL or LIST answer as [message number, value] pairs. */
  private async listing(wire: Pop3Wire, command: 'UIDL' | 'LIST'): Promise<[string, string][]> {
    const reply = await wire.command(command);
    if (!isOk(reply)) throw new MailboxUnavailableError(`${this.where} refused ${command}: ${serverText(reply)}`);
    const block = await wire.block(MAX_LISTING_BYTES, MAX_LISTING_LINE);
    if (block === null) throw new MailboxUnavailableError(`${this.where} sent a ${command} answer over ${MAX_LISTING_BYTES} bytes`);
    const pairs: [string, string][] = [];
    for (const line of block.toString('latin1').split('\r\n')) {
      const [n, value] = line.trim().split(/\s+/);
      if (n && value && /^\d+$/.test(n) && /^[!-~]{1,70}$/.test(value)) pairs.push([n, value]);
    }
    return pairs;
  }

  private disconnect(): void {
    this.wire?.destroy();
    this.wire = null;
    this.maildrop = null;
  }
}

/**
 * One POP3 connection: writes command lines, reads reply lines and dot-terminated blocks with
 * a limit on every line and block, and times out when the server falls silent.
 */
class Pop3Wire {
  /** True once the connection failed: what is buffered can no longer be trusted. */
  broken = false;
  private chunks: Buffer[] = [];
  /** Leading chunks already searched for a line end, so a long line is scanned once. */
  private scanned = 0;
  private buffered = 0;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;

  private constructor(
    private socket: Socket,
    private readonly timeoutMs: number,
  ) {
    this.attach(socket);
  }

  static async open(host: string, port: number, tls: ConnectionOptions | null, timeoutMs: number): Promise<Pop3Wire> {
    const socket = tls ? connectTls({ ...tls, port }) : connectTcp({ host, port });
    await Pop3Wire.ready(socket, tls ? 'secureConnect' : 'connect', timeoutMs);
    return new Pop3Wire(socket, timeoutMs);
  }

  /** The status line of a command's reply. */
  async command(line: string): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }

  async reply(): Promise<string> {
    const line = await this.line(MAX_REPLY_LINE);
    if (line === null) throw this.fail(new Error(`a reply line over ${MAX_REPLY_LINE} bytes`));
    return line.toString('utf8');
  }

  /** A multi-line block up to the lone ".", dot-unstuffed, CRLF line ends; null when it exceeds `maxBytes`. */
  async block(maxBytes: number, maxLine: number): Promise<Buffer | null> {
    const parts: Buffer[] = [];
    let bytes = 0;
    for (;;) {
      const line = await this.line(maxLine);
      if (line === null) return null;
      if (line.length === 1 && line[0] === 0x2e) return Buffer.concat(parts, bytes);
      const data = line[0] === 0x2e ? line.subarray(1) : line;
      bytes += data.length + 2;
      if (bytes > maxBytes) {
        // The rest of the block is still on its way: this connection is done for.
        this.broken = true;
        return null;
      }
      parts.push(data, CRLF);
    }
  }

  /** After STLS's +OK: TLS on the same socket. Bytes already sent behind the +OK came in clear, from anyone. */
  async startTls(options: ConnectionOptions): Promise<void> {
    if (this.buffered > 0) throw this.fail(new Error('data after the STLS reply (an injection attempt?)'));
    const plain = this.socket;
    this.detach();
    const secure = connectTls({ ...options, socket: plain });
    await Pop3Wire.ready(secure, 'secureConnect', this.timeoutMs);
    this.socket = secure;
    this.attach(secure);
  }

  destroy(): void {
    this.broken = true;
    this.socket.destroy();
  }

  private static ready(socket: Socket, event: 'connect' | 'secureConnect', timeoutMs: number): Promise<void> {
    socket.setTimeout(timeoutMs);
    return new Promise((done, fail) => {
      const failed = (error: Error): void => {
        socket.destroy();
        fail(error);
      };
      const timedOut = (): void => failed(timeoutError());
      socket.once(event, () => {
        socket.off('error', failed);
        socket.off('timeout', timedOut);
        socket.setTimeout(0);
        done();
      });
      socket.once('error', failed);
      socket.once('timeout', timedOut);
    });
  }

  private readonly onData = (chunk: Buffer): void => {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered > HIGH_WATER) this.socket.pause();
    this.notify();
  };
  private readonly onTimeout = (): void => {
    this.fail(timeoutError());
  };
  private readonly onError = (error: Error): void => {
    this.fail(error);
  };
  private readonly onClose = (): void => {
    this.fail(new Error('the server closed the connection'));
  };

  private attach(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('timeout', this.onTimeout);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
  }

  /** Hands the socket over to TLS; a late error on it still has a listener. */
  private detach(): void {
    const socket = this.socket;
    socket.off('data', this.onData);
    socket.off('timeout', this.onTimeout);
    socket.off('error', this.onError);
    socket.off('close', this.onClose);
    socket.on('error', () => undefined);
  }

  private fail(error: Error): Error {
    this.failure ??= error;
    this.broken = true;
    this.socket.destroy();
    this.notify();
    return this.failure;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** The next line without its line end; null when it runs over `max` bytes. */
  private async line(max: number): Promise<Buffer | null> {
    for (;;) {
      for (let i = this.scanned; i < this.chunks.length; i++) {
        const chunk = this.chunks[i] as Buffer;
        const at = chunk.indexOf(0x0a);
        if (at < 0) continue;
        const line = i === 0 ? chunk.subarray(0, at) : Buffer.concat([...this.chunks.slice(0, i), chunk.subarray(0, at)]);
        const rest = chunk.subarray(at + 1);
        this.chunks = rest.length > 0 ? [rest, ...this.chunks.slice(i + 1)] : this.chunks.slice(i + 1);
        this.buffered -= line.length + 1;
        this.scanned = 0;
        if (line.length > max + 1) break;
        return line[line.length - 1] === 0x0d ? line.subarray(0, -1) : line;
      }
      this.scanned = this.chunks.length;
      if (this.buffered > max + 1) break;
      if (this.failure) throw this.failure;
      // The timer runs only while we wait for the server, not while the caller works between commands.
      this.socket.setTimeout(this.timeoutMs);
      this.socket.resume();
      await new Promise<void>((done) => {
        this.wake = done;
      });
      this.socket.setTimeout(0);
    }
    this.broken = true;
    return null;
  }
}

function timeoutError(): Error {
  return Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' });
}

function isOk(reply: string): boolean {
  return reply === '+OK' || reply.startsWith('+OK ');
}

function uidlOf(item: MailboxItem): string {
  if (!item.key.startsWith('pop3:') || item.key.length < 6) throw new Error(`${item.key} is not a POP3 message key`);
  return item.key.slice(5);
}

/** The cursor's UIDLs, null when it is not a POP3 cursor. */
function readSeen(cursor: SourceCursor): string[] | null {
  const { seen } = cursor;
  return Array.isArray(seen) && seen.every((u) => typeof u === 'string') ? (seen as string[]) : null;
}

/**
 * What the cursor and boundary keep of a UIDL: 12 characters of its SHA-256 (a UIDL may be 70),
 * so 5,000 seen and 15,000 boundary entries stay well inside one DynamoDB item.
 */
export function uidlTag(uidl: string): string {
  return createHash('sha256').update(uidl).digest('base64url').slice(0, 12);
}

function capped(uidls: string[]): string[] {
  return uidls.length > MAX_SEEN_UIDLS ? uidls.slice(-MAX_SEEN_UIDLS) : uidls;
}

function tooLarge(key: string, size: number | null, limit: number): MailboxTooLargeError {
  return new MailboxTooLargeError(`message ${key} is ${size === null ? 'larger than' : `${size} bytes, over`} the ${limit} bytes allowed`);
}
