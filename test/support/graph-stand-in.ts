import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Microsoft Graph and Entra ID sign-in stand-in on 127.0.0.1: the documented shapes of the
 * client-credentials token endpoint, mail folders, message delta (nextLink/deltaLink paging,
 * `odata.maxpagesize`, `$select` carried in the links, `@removed`), `$value`, `move`, `DELETE` and
 * subscriptions with the validation handshake. Mailboxes live in memory. It refuses any Graph
 * request without `Prefer: IdType="ImmutableId"` (real Graph would answer with ids that change
 * on a move), so a test passing against it shows the client sends the header.
 */

export interface StandInMessage {
  readonly id: string;
  folderId: string;
  readonly receivedDateTime: string;
  readonly mime: Buffer;
  /** When it entered its folder (created or moved in): the delta's order. */
  seq: number;
}

interface Folder {
  readonly id: string;
  readonly displayName: string;
  readonly wellKnown: string | null;
  readonly parentFolderId: string;
}

interface Mailbox {
  readonly upn: string;
  readonly userId: string;
  readonly folders: Map<string, Folder>;
  readonly messages: Map<string, StandInMessage>;
  /** Messages that left a folder (moved out, deleted), for `@removed` in later rounds. */
  readonly departures: { readonly id: string; readonly folderId: string; readonly seq: number }[];
}

interface Subscription {
  readonly id: string;
  readonly upn: string;
  readonly folderId: string;
  readonly resource: string;
  readonly notificationUrl: string;
  readonly clientState: string | null;
  expirationDateTime: string;
}

/** The state a delta link carries: round start `w`, snapshot `s`, position `a` (all `seq`). */
interface DeltaState {
  readonly g: number;
  readonly u: string;
  readonly f: string;
  readonly sel: readonly string[];
  readonly w: number;
  readonly s?: number;
  readonly a?: number;
}

export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly prefer: string | null;
}

const WELL_KNOWN = ['inbox', 'sentitems', 'deleteditems', 'drafts', 'junkemail', 'archive'];
const DISPLAY: Record<string, string> = {
  inbox: 'Inbox',
  sentitems: 'Sent Items',
  deleteditems: 'Deleted Items',
  drafts: 'Drafts',
  junkemail: 'Junk Email',
  archive: 'Archive',
};
const MAX_SUBSCRIPTION_MINUTES = 10_080;
const DEFAULT_PAGE = 10; // Graph's default page for message delta

export class GraphStandIn {
  readonly clientId = 'stand-in-client-id';
  readonly clientSecret = `stand-in-secret-${randomBytes(6).toString('hex')}`;
  readonly requests: LoggedRequest[] = [];
  tokenRequests = 0;
  /** The token endpoint answers 401 invalid_client whatever the secret. */
  refuseClient = false;
  /** `$value` without Content-Length (chunked), so only the read cap can stop a large message. */
  chunkedValue = false;
  /** Pages of this size whatever the client prefers (a server ignoring `odata.maxpagesize`). */
  pageSizeOverride: number | null = null;
  /** nextLinks point at this origin instead of the stand-in's own. */
  nextLinkOrigin: string | null = null;

  private server: Server | null = null;
  private origin = '';
  private readonly mailboxes = new Map<string, Mailbox>();
  private readonly tokens = new Set<string>();
  private readonly subscriptions = new Map<string, Subscription>();
  private throttled = 0;
  private retryAfter = '1';
  private generation = 0;
  private seq = 0;

  /** The Graph root to configure as `graphUrl`. */
  get graphUrl(): string {
    return `${this.origin}/v1.0`;
  }

  /** The sign-in root to configure as `loginUrl`. */
  get loginUrl(): string {
    return this.origin;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: Error) => json(res, 500, { error: { code: 'StandInFailure', message: error.message } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Clears faults and the request log between tests (mailboxes stay; use a new address per test). */
  reset(): void {
    this.requests.length = 0;
    this.tokenRequests = 0;
    this.refuseClient = false;
    this.chunkedValue = false;
    this.pageSizeOverride = null;
    this.nextLinkOrigin = null;
    this.throttled = 0;
  }

  addMailbox(upn: string): void {
    const rootId = folderId();
    const folders = new Map<string, Folder>([
      [rootId, { id: rootId, displayName: 'Top of Information Store', wellKnown: 'msgfolderroot', parentFolderId: '' }],
    ]);
    for (const name of WELL_KNOWN) {
      const id = folderId();
      folders.set(id, { id, displayName: DISPLAY[name] ?? name, wellKnown: name, parentFolderId: rootId });
    }
    this.mailboxes.set(upn.toLowerCase(), { upn, userId: randomUUID(), folders, messages: new Map(), departures: [] });
  }

  /** Puts a message into a folder (by display name, Inbox by default); returns its immutable id. */
  deliver(upn: string, mime: string | Buffer, options: { readonly folder?: string; readonly receivedAt?: string } = {}): string {
    const box = this.box(upn);
    const folder = this.folderByName(box, options.folder ?? 'Inbox');
    if (!folder) throw new Error(`no folder ${options.folder}`);
    const id = `AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0A${randomBytes(18).toString('base64url')}=`;
    const receivedDateTime = (options.receivedAt ? new Date(options.receivedAt) : new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    box.messages.set(id, { id, folderId: folder.id, receivedDateTime, mime: Buffer.from(mime), seq: ++this.seq });
    return id;
  }

  addFolder(upn: string, displayName: string): string {
    const box = this.box(upn);
    const id = folderId();
    box.folders.set(id, { id, displayName, wellKnown: null, parentFolderId: this.root(box).id });
    return id;
  }

  /** The display name of the folder holding `id`, or null when the message is gone. */
  folderOf(upn: string, id: string): string | null {
    const box = this.box(upn);
    const message = box.messages.get(id);
    return message ? (box.folders.get(message.folderId)?.displayName ?? null) : null;
  }

  folderNames(upn: string): string[] {
    return [...this.box(upn).folders.values()].map((f) => f.displayName);
  }

  /** The next `count` Graph requests answer 429 with this `Retry-After`. */
  throttle(count: number, retryAfter: string): void {
    this.throttled = count;
    this.retryAfter = retryAfter;
  }

  /** Every delta and skip token issued so far answers 410 Gone. */
  expireDeltaLinks(): void {
    this.generation++;
  }

  /** Every access token issued so far answers 401. */
  revokeTokens(): void {
    this.tokens.clear();
  }

  subscription(id: string): { readonly expirationDateTime: string; readonly resource: string } | undefined {
    return this.subscriptions.get(id);
  }

  /** Posts a `created` notification for `messageId` to the subscription's URL, as Graph does; returns the status. */
  async notify(subscriptionId: string, messageId: string, clientState?: string): Promise<number> {
    const sub = this.subscriptions.get(subscriptionId);
    if (!sub) throw new Error(`no subscription ${subscriptionId}`);
    const box = this.box(sub.upn);
    const res = await fetch(sub.notificationUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        value: [
          {
            subscriptionId,
            subscriptionExpirationDateTime: sub.expirationDateTime,
            changeType: 'created',
            resource: `Users/${box.userId}/Messages/${messageId}`,
            resourceData: { '@odata.type': '#Microsoft.Graph.Message', '@odata.id': `Users/${box.userId}/Messages/${messageId}`, id: messageId },
            clientState: clientState ?? sub.clientState,
            tenantId: randomUUID(),
          },
        ],
      }),
      signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer();
    return res.status;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<Answered> {
    const url = new URL(req.url ?? '/', this.origin);
    const body = await readBody(req);
    const method = req.method ?? 'GET';
    const prefer = typeof req.headers.prefer === 'string' ? req.headers.prefer : null;
    if (/^\/[^/]+\/oauth2\/v2\.0\/token$/.test(url.pathname) && method === 'POST') return this.token(res, body);
    if (!url.pathname.startsWith('/v1.0/')) return json(res, 404, { error: { code: 'BadRequest', message: 'Invalid version.' } });
    this.requests.push({ method, path: url.pathname, query: url.search, prefer });

    const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (!this.tokens.has(bearer))
      return json(res, 401, { error: { code: 'InvalidAuthenticationToken', message: 'Access token has expired or is not yet valid.' } });
    const preferences = (prefer ?? '').split(',').map((p) => p.trim());
    if (!preferences.includes('IdType="ImmutableId"'))
      return json(res, 400, { error: { code: 'StandInImmutableIdRequired', message: 'send Prefer: IdType="ImmutableId"' } });
    if (this.throttled > 0) {
      this.throttled--;
      return json(
        res,
        429,
        { error: { code: 'ApplicationThrottled', message: 'Application is over its MailboxConcurrency limit.' } },
        { 'retry-after': this.retryAfter },
      );
    }
    const pageSize = Number(preferences.find((p) => p.startsWith('odata.maxpagesize='))?.slice('odata.maxpagesize='.length) ?? DEFAULT_PAGE);
    const parts = url.pathname.slice('/v1.0/'.length).split('/').map(decodeURIComponent);
    const request = { method, url, body, parts, pageSize };
    return parts[0] === 'subscriptions' ? this.subscriptionRoute(res, request) : this.userRoute(res, request);
  }

  private token(res: ServerResponse, body: string): Answered {
    this.tokenRequests++;
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'client_credentials')
      return json(res, 400, { error: 'unsupported_grant_type', error_description: 'AADSTS70003: grant type not supported.' });
    if (this.refuseClient || form.get('client_id') !== this.clientId || form.get('client_secret') !== this.clientSecret) {
      return json(res, 401, {
        error: 'invalid_client',
        error_description: `AADSTS7000215: Invalid client secret provided.\r\nTrace ID: ${randomUUID()}`,
        error_codes: [7000215],
      });
    }
    if (!form.get('scope')?.endsWith('/.default'))
      return json(res, 400, { error: 'invalid_scope', error_description: 'AADSTS1002012: The provided value for scope is not valid.' });
    const token = randomBytes(24).toString('base64url');
    this.tokens.add(token);
    return json(res, 200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token });
  }

  private userRoute(res: ServerResponse, r: Request): Answered {
    const [, upn = '', collection, id, ...rest] = r.parts;
    const box = this.mailboxes.get(upn.toLowerCase());
    if (r.parts[0] !== 'users' || !box) return json(res, 404, { error: { code: 'ErrorInvalidUser', message: `The requested user '${upn}' is invalid.` } });
    if (collection === 'mailFolders') {
      if (id === undefined && r.method === 'GET') return this.listFolders(res, box, r.url);
      if (id === undefined && r.method === 'POST') return this.createFolder(res, box, r.body);
      const folder = id === undefined ? undefined : this.folderById(box, id);
      if (!folder) return json(res, 404, { error: { code: 'ErrorItemNotFound', message: 'The specified object was not found in the store.' } });
      if (rest.length === 0 && r.method === 'GET') return json(res, 200, folderJson(folder));
      if (rest.join('/') === 'messages/delta' && r.method === 'GET') return this.delta(res, box, folder, r);
    }
    if (collection === 'messages' && id !== undefined) {
      const message = box.messages.get(id);
      if (!message) return json(res, 404, { error: { code: 'ErrorItemNotFound', message: 'The specified object was not found in the store.' } });
      if (rest.length === 0 && r.method === 'DELETE') {
        this.depart(box, message);
        box.messages.delete(id);
        return empty(res, 204);
      }
      if (rest[0] === '$value' && r.method === 'GET') return this.mime(res, message);
      if (rest[0] === 'move' && r.method === 'POST') return this.move(res, box, message, r.body);
    }
    return json(res, 400, { error: { code: 'BadRequest', message: `Unsupported request: ${r.method} ${r.url.pathname}` } });
  }

  private listFolders(res: ServerResponse, box: Mailbox, url: URL): Answered {
    const root = this.root(box);
    let folders = [...box.folders.values()].filter((f) => f.parentFolderId === root.id);
    const filter = url.searchParams.get('$filter');
    if (filter !== null) {
      // Only the filter the adapter sends; '' inside the literal is one quote (OData).
      const match = /^displayName eq '((?:[^']|'')*)'$/.exec(filter);
      if (!match) return json(res, 400, { error: { code: 'ErrorInvalidUrlQueryFilter', message: 'The query filter contains one or more invalid nodes.' } });
      const name = (match[1] ?? '').replaceAll("''", "'").toLowerCase();
      folders = folders.filter((f) => f.displayName.toLowerCase() === name);
    }
    return json(res, 200, { value: folders.map(folderJson) });
  }

  private createFolder(res: ServerResponse, box: Mailbox, body: string): Answered {
    const displayName = (JSON.parse(body) as { displayName?: unknown }).displayName;
    if (typeof displayName !== 'string' || !displayName) return json(res, 400, { error: { code: 'ErrorInvalidRequest', message: 'displayName is required.' } });
    if (this.folderByName(box, displayName))
      return json(res, 409, { error: { code: 'ErrorFolderExists', message: 'A folder with the specified name already exists.' } });
    const id = this.addFolder(box.upn, displayName);
    return json(res, 201, folderJson(box.folders.get(id) as Folder));
  }

  private delta(res: ServerResponse, box: Mailbox, folder: Folder, r: Request): Answered {
    const skip = r.url.searchParams.get('$skiptoken');
    const deltaToken = r.url.searchParams.get('$deltatoken');
    const carried = skip ?? deltaToken;
    let state: DeltaState;
    if (carried !== null) {
      const decoded = JSON.parse(Buffer.from(carried, 'base64url').toString('utf8')) as DeltaState;
      if (decoded.g !== this.generation || decoded.f !== folder.id)
        return json(res, 410, { error: { code: 'SyncStateNotFound', message: 'The sync state generation is not found.' } });
      // A delta token starts a new round: everything since its watermark, up to now.
      state = skip !== null ? decoded : { ...decoded, s: this.seq, a: decoded.w };
    } else {
      const select = r.url.searchParams.get('$select');
      state = {
        g: this.generation,
        u: box.upn,
        f: folder.id,
        sel: select ? select.split(',') : ['id', 'receivedDateTime', 'subject'],
        w: 0,
        s: this.seq,
        a: 0,
      };
    }
    const from = state.a ?? 0;
    const upTo = state.s ?? this.seq;
    const present = [...box.messages.values()]
      .filter((m) => m.folderId === folder.id && m.seq > from && m.seq <= upTo)
      .map((m) => ({ seq: m.seq, entry: messageJson(m, state.sel) }));
    // The first round lists what is there; only later rounds report what left.
    const gone =
      state.w === 0
        ? []
        : box.departures
            .filter((d) => d.folderId === folder.id && d.seq > from && d.seq <= upTo)
            .map((d) => ({ seq: d.seq, entry: { id: d.id, '@removed': { reason: 'deleted' } } }));
    const events = [...present, ...gone].sort((a, b) => a.seq - b.seq);
    const size = this.pageSizeOverride ?? (Number.isInteger(r.pageSize) && r.pageSize > 0 ? r.pageSize : DEFAULT_PAGE);
    const page = events.slice(0, size);
    const path = `${this.graphUrl}/users/${encodeURIComponent(box.upn)}/mailFolders/${encodeURIComponent(folder.id)}/messages/delta`;
    const last = page.at(-1);
    const link =
      events.length > size && last
        ? { '@odata.nextLink': `${(this.nextLinkOrigin ?? this.origin) + path.slice(this.origin.length)}?$skiptoken=${encode({ ...state, a: last.seq })}` }
        : { '@odata.deltaLink': `${path}?$deltatoken=${encode({ g: state.g, u: state.u, f: state.f, sel: state.sel, w: upTo })}` };
    return json(res, 200, { '@odata.context': `${this.graphUrl}/$metadata#Collection(message)`, value: page.map((e) => e.entry), ...link });
  }

  private mime(res: ServerResponse, message: StandInMessage): Answered {
    if (!this.chunkedValue) {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': message.mime.length }).end(message.mime);
      return true;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    for (let at = 0; at < message.mime.length; at += 1024) res.write(message.mime.subarray(at, at + 1024));
    res.end();
    return true;
  }

  private move(res: ServerResponse, box: Mailbox, message: StandInMessage, body: string): Answered {
    const destinationId = (JSON.parse(body) as { destinationId?: unknown }).destinationId;
    const target = typeof destinationId === 'string' ? this.folderById(box, destinationId) : undefined;
    if (!target) return json(res, 400, { error: { code: 'ErrorInvalidIdMalformed', message: 'Id is malformed.' } });
    this.depart(box, message);
    message.folderId = target.id;
    message.seq = ++this.seq;
    // Immutable ids stay the same across folders of one mailbox; that is their point.
    return json(res, 201, messageJson(message, ['id', 'receivedDateTime']));
  }

  private async subscriptionRoute(res: ServerResponse, r: Request): Promise<Answered> {
    const id = r.parts[1];
    if (id === undefined && r.method === 'POST') return this.subscribe(res, JSON.parse(r.body) as Record<string, unknown>);
    const sub = id === undefined ? undefined : this.subscriptions.get(id);
    if (!sub) return json(res, 404, { error: { code: 'ResourceNotFound', message: 'The object was not found.' } });
    if (r.method === 'DELETE') {
      this.subscriptions.delete(sub.id);
      return empty(res, 204);
    }
    if (r.method === 'PATCH') {
      const expiry = (JSON.parse(r.body) as { expirationDateTime?: unknown }).expirationDateTime;
      const problem = expiryProblem(expiry);
      if (problem) return json(res, 400, { error: { code: 'ExtensionError', message: problem } });
      sub.expirationDateTime = expiry as string;
      return json(res, 200, subscriptionJson(sub));
    }
    return json(res, 405, { error: { code: 'MethodNotAllowed', message: r.method } });
  }

  private async subscribe(res: ServerResponse, body: Record<string, unknown>): Promise<Answered> {
    const resource = typeof body.resource === 'string' ? body.resource : '';
    const match = /^users\/([^/]+)\/mailFolders\('((?:[^']|'')*)'\)\/messages$/.exec(resource);
    const box = match ? this.mailboxes.get(decodeURIComponent(match[1] ?? '').toLowerCase()) : undefined;
    const folder = box && match ? this.folderById(box, (match[2] ?? '').replaceAll("''", "'")) : undefined;
    if (!box || !folder) return json(res, 400, { error: { code: 'ExtensionError', message: `Resource '${resource}' not found.` } });
    if (body.changeType !== 'created') return json(res, 400, { error: { code: 'ValidationError', message: 'changeType: created expected by the stand-in.' } });
    const problem = expiryProblem(body.expirationDateTime);
    if (problem) return json(res, 400, { error: { code: 'ExtensionError', message: problem } });
    const clientState = typeof body.clientState === 'string' ? body.clientState : null;
    if (clientState !== null && clientState.length > 128) return json(res, 400, { error: { code: 'ValidationError', message: 'clientState is too long.' } });
    const notificationUrl = typeof body.notificationUrl === 'string' ? body.notificationUrl : '';
    if (!(await validates(notificationUrl))) {
      return json(res, 400, {
        error: {
          code: 'ValidationError',
          message: 'Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.',
        },
      });
    }
    const sub: Subscription = {
      id: randomUUID(),
      upn: box.upn,
      folderId: folder.id,
      resource,
      notificationUrl,
      clientState,
      expirationDateTime: body.expirationDateTime as string,
    };
    this.subscriptions.set(sub.id, sub);
    return json(res, 201, subscriptionJson(sub));
  }

  private depart(box: Mailbox, message: StandInMessage): void {
    box.departures.push({ id: message.id, folderId: message.folderId, seq: ++this.seq });
  }

  private box(upn: string): Mailbox {
    const box = this.mailboxes.get(upn.toLowerCase());
    if (!box) throw new Error(`no mailbox ${upn}`);
    return box;
  }

  private root(box: Mailbox): Folder {
    return [...box.folders.values()].find((f) => f.wellKnown === 'msgfolderroot') as Folder;
  }

  private folderById(box: Mailbox, idOrWellKnown: string): Folder | undefined {
    return box.folders.get(idOrWellKnown) ?? [...box.folders.values()].find((f) => f.wellKnown === idOrWellKnown.toLowerCase());
  }

  private folderByName(box: Mailbox, name: string): Folder | undefined {
    return [...box.folders.values()].find((f) => f.displayName.toLowerCase() === name.toLowerCase());
  }
}

interface Request {
  readonly method: string;
  readonly url: URL;
  readonly body: string;
  readonly parts: readonly string[];
  readonly pageSize: number;
}

/** Graph's handshake: POST `notificationUrl?validationToken=…`, 200 with the token as text/plain within 10 seconds. */
async function validates(notificationUrl: string): Promise<boolean> {
  if (!URL.canParse(notificationUrl)) return false;
  const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;
  const url = new URL(notificationUrl);
  url.searchParams.set('validationToken', token);
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' }, signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    return res.status === 200 && (res.headers.get('content-type') ?? '').startsWith('text/plain') && text === token;
  } catch {
    return false;
  }
}

function expiryProblem(value: unknown): string | null {
  const at = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(at)) return 'expirationDateTime is required.';
  const now = Date.now();
  if (at <= now) return 'Subscription expiration can only be in the future.';
  if (at > now + MAX_SUBSCRIPTION_MINUTES * 60_000) return `Subscription expiration can only be ${MAX_SUBSCRIPTION_MINUTES} minutes in the future.`;
  return null;
}

function folderJson(f: Folder): Record<string, unknown> {
  return {
    id: f.id,
    displayName: f.displayName,
    parentFolderId: f.parentFolderId,
    childFolderCount: 0,
    unreadItemCount: 0,
    totalItemCount: 0,
    isHidden: false,
  };
}

function messageJson(m: StandInMessage, select: readonly string[]): Record<string, unknown> {
  const all: Record<string, unknown> = { id: m.id, receivedDateTime: m.receivedDateTime, subject: 'stand-in', parentFolderId: m.folderId };
  const out: Record<string, unknown> = { '@odata.type': '#microsoft.graph.message', '@odata.etag': `W/"${m.seq}"`, id: m.id };
  for (const field of select) if (field in all) out[field] = all[field];
  return out;
}

function subscriptionJson(s: Subscription): Record<string, unknown> {
  return {
    id: s.id,
    resource: s.resource,
    changeType: 'created',
    notificationUrl: s.notificationUrl,
    expirationDateTime: s.expirationDateTime,
    clientState: s.clientState,
    applicationId: randomUUID(),
  };
}

function folderId(): string {
  return `AQMkADAwATM0MDAAMS0${randomBytes(12).toString('base64url')}AAAA==`;
}

function encode(state: DeltaState): string {
  return Buffer.from(JSON.stringify(state)).toString('base64url');
}

/** What a route returns once it has answered: every path through a route must end in one. */
type Answered = true;

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): Answered {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers }).end(text);
  return true;
}

function empty(res: ServerResponse, status: number): Answered {
  res.writeHead(status).end();
  return true;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 1024 * 1024) throw new Error('request body over 1 MiB');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
