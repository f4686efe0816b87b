import { type FetchMessageObject, ImapFlow, type ImapFlowOptions, type MailboxObject } from 'imapflow';
import type { ImapSource } from '../../core/model/mail-source.ts';
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

export type ImapMailboxConnectorOptions = MailboxConnectorOptions<ImapSource>;

/** Where listing stopped: the folder's UIDVALIDITY and the last UID handed out. */
export type ImapCursor = {
  readonly uidValidity: string;
  readonly lastUid: number;
};

/** RFC 5530 codes of a login refused for now, not for good: retried on the next poll. */
const TEMPORARY_REFUSALS = new Set(['UNAVAILABLE', 'INUSE']);

/** A SEARCH answer is one line: a million UIDs fit in 16 MiB. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;

interface ImapFlowFailure {
  authenticationFailed?: boolean;
  serverResponseCode?: string;
  responseText?: string;
  response?: unknown;
}

/**
 * Reads a channel's mail from an IMAP folder with imapflow (IN-1): UIDs above the cursor,
 * oldest first, fetched with BODY.PEEK so nothing is marked \Seen, then moved, deleted or kept.
 * Connects to the address the host guard vetted; implicit TLS, required STARTTLS, or plaintext
 * only for `none` (loopback, the sandbox).
 */
export class ImapMailboxConnector implements MailboxConnector {
  constructor(private readonly options: ImapMailboxConnectorOptions) {}

  async open(): Promise<MailboxSession> {
    const { source, credentials, guard } = this.options;
    const vetted = await vetMailboxHost(guard, source.host);
    const where = `IMAP server ${source.host}:${source.port}`;
    const login = (): Promise<ImapFlow> =>
      loginWithRetry(credentials, (secret) =>
        eachAddress(vetted, (address) => this.connect(address, vetted, secret)).catch((error: unknown) => {
          throw unavailable(error, `cannot reach ${where}`);
        }),
      );
    return new ImapMailboxSession(await login(), login, source, where);
  }

  private async connect(address: string, vetted: VettedHost, secret: MailboxSecret): Promise<ImapFlow> {
    const { source } = this.options;
    const timeout = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const options: ImapFlowOptions = {
      host: address,
      port: source.port,
      secure: source.security === 'tls',
      doSTARTTLS: source.security === 'starttls' ? true : source.security === 'none' ? false : undefined,
      servername: vetted.servername ?? undefined,
      tls: tlsOptions(vetted, this.options.ca),
      auth: secret.type === 'password' ? { user: source.user, pass: secret.password } : { user: source.user, accessToken: secret.accessToken },
      logger: false,
      disableAutoIdle: true,
      disableBinary: true,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      maxLineLength: MAX_LINE_BYTES,
      // A partial fetch asks for one byte over the limit; a server sending more is cut off here.
      maxLiteralSize: LARGEST_MESSAGE_BYTES + 1,
      maxResponseSize: LARGEST_MESSAGE_BYTES + MAX_LINE_BYTES,
    };
    const client = new ImapFlow(options);
    // Failures reach us through the pending command; an 'error' event nobody listens to would end the process.
    client.on('error', () => undefined);
    try {
      await client.connect();
      return client;
    } catch (error) {
      client.close();
      const e = error as ImapFlowFailure;
      // imapflow's words when the server offers neither XOAUTH2 nor OAUTHBEARER.
      if ((error as Error).message === 'Unsupported authentication mechanism') {
        throw new MailboxAuthError(`IMAP server ${source.host} offers no OAuth login (XOAUTH2 or OAUTHBEARER)`);
      }
      if (!e.authenticationFailed) throw error;
      const code = e.serverResponseCode ?? '';
      const text = serverText(e.responseText ?? e.response) || serverText((error as Error).message);
      const reason = [code && !text.startsWith(`[${code}]`) ? `[${code}]` : '', text].filter(Boolean).join(' ') || 'no reason given';
      if (TEMPORARY_REFUSALS.has(code)) throw new MailboxUnavailableError(`IMAP server ${source.host} cannot log in ${source.user} now: ${reason}`);
      throw new MailboxAuthError(`IMAP server ${source.host} refused the login of ${source.user}: ${reason}`);
    }
  }
}

class ImapMailboxSession implements MailboxSession {
  /** Folders created (or found) in this session: CREATE once, not before every move. */
  private readonly folders = new Set<string>();

  constructor(
    private client: ImapFlow,
    private readonly login: () => Promise<ImapFlow>,
    private readonly source: ImapSource,
    private readonly where: string,
  ) {}

  list(cursor: SourceCursor | null, limit: number): Promise<MailboxListing> {
    return this.guarded(async () => {
      const box = await this.select();
      const uidValidity = box.uidValidity.toString();
      const from = cursor === null ? null : readCursor(cursor);
      const rescan = cursor !== null && from?.uidValidity !== uidValidity;
      const lastUid = rescan || from === null ? 0 : from.lastUid;
      // Stored even when nothing was listed: after a UIDVALIDITY change an empty folder would otherwise rescan at every poll.
      const covered = (uid: number): ImapCursor => ({ uidValidity, lastUid: uid });
      if (box.exists === 0) return { items: [], more: false, rescan, cursor: covered(lastUid) };
      // `n:*` also matches the highest UID when that is below n (RFC 3501 §6.4.8): filter.
      const found = await this.client.search({ uid: `${lastUid + 1}:*` }, { uid: true });
      const uids = (found || []).filter((uid) => uid > lastUid).sort((a, b) => a - b);
      const chosen = uids.slice(0, Math.max(0, limit));
      const more = uids.length > chosen.length;
      const reached = covered(chosen.at(-1) ?? lastUid);
      if (chosen.length === 0) return { items: [], more, rescan, cursor: reached };
      const rows = await this.client.fetchAll(uidSet(chosen), { uid: true, size: true, internalDate: true }, { uid: true });
      const byUid = new Map(rows.map((row) => [row.uid, row]));
      // A UID expunged between SEARCH and FETCH is simply not listed.
      const items = chosen.flatMap((uid) => {
        const row = byUid.get(uid);
        return row ? [this.item(uidValidity, row)] : [];
      });
      return { items, more, rescan, cursor: reached };
    });
  }

  async fetch(item: MailboxItem, maxBytes: number): Promise<Uint8Array> {
    const ref = this.ref(item);
    const limit = Math.min(maxBytes, LARGEST_MESSAGE_BYTES);
    if (item.size !== null && item.size > limit) throw tooLarge(item.key, item.size, limit);
    return this.guarded(async () => {
      const box = await this.current();
      const gone = new MailboxItemGoneError(`message ${item.key} is no longer in ${this.source.folder}`);
      if (ref.folder !== this.source.folder || ref.uidValidity !== box.uidValidity.toString()) throw gone;
      // BODY.PEEK[]<0.limit+1>: leaves \Seen alone, and a server that said the wrong size still sends no more than that.
      const row = await this.client.fetchOne(String(ref.uid), { uid: true, source: { maxLength: limit + 1 } }, { uid: true });
      const raw = row ? row.source : undefined;
      if (!raw) throw gone;
      if (raw.length > limit) throw tooLarge(item.key, null, limit);
      return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
    });
  }

  async settle(item: MailboxItem, action: SettleAction): Promise<void> {
    const ref = this.ref(item);
    if (action.type === 'keep') return;
    return this.guarded(async () => {
      const box = await this.current();
      // Under another UIDVALIDITY the UID names another message, or none: leave it.
      if (ref.folder !== this.source.folder || ref.uidValidity !== box.uidValidity.toString()) return;
      const uid = String(ref.uid);
      if (action.type === 'move') {
        await this.ensureFolder(action.folder);
        await this.client.messageMove(uid, action.folder, { uid: true });
      } else {
        // With UIDPLUS, UID EXPUNGE removes this message only; without, EXPUNGE also takes what others marked \Deleted.
        await this.client.messageDelete(uid, { uid: true });
      }
    });
  }

  end(): Promise<SourceCursor> {
    return this.guarded(async () => {
      const box = await this.select();
      const cursor: ImapCursor = { uidValidity: box.uidValidity.toString(), lastUid: Math.max(0, box.uidNext - 1) };
      return cursor;
    });
  }

  boundary(): Promise<SourceBoundary> {
    return this.end();
  }

  precedes(item: MailboxItem, boundary: SourceBoundary): boolean {
    const ref = parseKey(item.key);
    const at = readCursor(boundary);
    return ref !== null && at !== null && ref.folder === this.source.folder && ref.uidValidity === at.uidValidity && ref.uid <= at.lastUid;
  }

  async close(): Promise<void> {
    try {
      await Promise.race([this.client.logout(), new Promise((done) => setTimeout(done, 5_000).unref())]);
    } catch {
      // The session is over either way; the next poll opens a new one.
    } finally {
      this.client.close();
    }
  }

  /** SELECT (again, so UIDNEXT and EXISTS are current), read-write: settling moves and deletes. */
  private async select(): Promise<MailboxObject> {
    try {
      return await this.client.mailboxOpen(this.source.folder);
    } catch (error) {
      if ((error as { mailboxMissing?: boolean }).mailboxMissing) throw new MailboxUnavailableError(`${this.where} has no folder ${this.source.folder}`);
      throw error;
    }
  }

  /** The selected folder as the server last reported it (a UIDVALIDITY change arrives as a response code). */
  private async current(): Promise<MailboxObject> {
    const box = this.client.mailbox;
    return box && box.path === this.source.folder ? box : this.select();
  }

  private async ensureFolder(folder: string): Promise<void> {
    if (this.folders.has(folder)) return;
    // imapflow answers ALREADYEXISTS with created: false; another refusal shows in the MOVE that follows.
    await this.client.mailboxCreate(folder).catch(() => undefined);
    this.folders.add(folder);
  }

  private item(uidValidity: string, row: FetchMessageObject): MailboxItem {
    const cursorAfter: ImapCursor = { uidValidity, lastUid: row.uid };
    return {
      key: `imap:${this.source.folder}:${uidValidity}:${row.uid}`,
      size: typeof row.size === 'number' ? row.size : null,
      receivedAt: isoDate(row.internalDate),
      cursorAfter,
    };
  }

  private ref(item: MailboxItem): ItemRef {
    const ref = parseKey(item.key);
    if (!ref) throw new Error(`${item.key} is not an IMAP message key`);
    return ref;
  }

  private async guarded<T>(work: () => Promise<T>): Promise<T> {
    try {
      if (!this.client.usable) {
        // The server or a NAT dropped the connection while the caller worked: log in again.
        this.client.close();
        this.client = await this.login();
        this.folders.clear();
      }
      return await work();
    } catch (error) {
      throw unavailable(error, this.where);
    }
  }
}

interface ItemRef {
  readonly folder: string;
  readonly uidValidity: string;
  readonly uid: number;
}

/** `imap:<folder>:<uidvalidity>:<uid>`; the folder may hold colons, the two numbers cannot. */
function parseKey(key: string): ItemRef | null {
  if (!key.startsWith('imap:')) return null;
  const uidAt = key.lastIndexOf(':');
  const validityAt = key.lastIndexOf(':', uidAt - 1);
  if (validityAt <= 4) return null;
  const uidValidity = key.slice(validityAt + 1, uidAt);
  const uid = key.slice(uidAt + 1);
  if (!/^\d{1,10}$/.test(uidValidity) || !/^\d{1,10}$/.test(uid) || Number(uid) < 1) return null;
  return { folder: key.slice(5, validityAt), uidValidity, uid: Number(uid) };
}

function readCursor(cursor: SourceCursor): ImapCursor | null {
  const { uidValidity, lastUid } = cursor;
  if (typeof uidValidity !== 'string' || typeof lastUid !== 'number' || !Number.isSafeInteger(lastUid) || lastUid < 0) return null;
  return { uidValidity, lastUid };
}

/** Ascending UIDs as a compact UID set: `1:3,7,9:10`. */
function uidSet(uids: readonly number[]): string {
  const parts: string[] = [];
  let start = uids[0] ?? 0;
  let prev = start;
  for (const uid of [...uids.slice(1), Number.NaN]) {
    if (uid === prev + 1) {
      prev = uid;
      continue;
    }
    parts.push(start === prev ? String(start) : `${start}:${prev}`);
    start = uid;
    prev = uid;
  }
  return parts.join(',');
}

function isoDate(value: Date | string | undefined): string | null {
  if (value === undefined) return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

function tooLarge(key: string, size: number | null, limit: number): MailboxTooLargeError {
  return new MailboxTooLargeError(`message ${key} is ${size === null ? 'larger than' : `${size} bytes, over`} the ${limit} bytes allowed`);
}
