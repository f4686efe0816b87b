import { DependencyError, PolicyError } from '../../core/errors.ts';
import type { Clock } from '../../core/ports/clock.ts';
import { MailboxAuthError, MailboxTooLargeError, MailboxUnavailableError } from '../../core/ports/mailbox.ts';
import type { HostGuard } from '../outbound/host-guard.ts';

/** A bearer token for Graph; `fresh` asks for a new one after Graph refused the cached one. */
export type GraphToken = (options?: { readonly fresh?: boolean }) => Promise<string>;

export type GraphJson = Readonly<Record<string, unknown>>;

export interface GraphClientOptions {
  /** The Graph root, e.g. `https://graph.microsoft.com/v1.0`. Every link followed must stay on its origin. */
  readonly graphUrl: string;
  readonly token: GraphToken;
  readonly guard: HostGuard;
  /** One request, connect to last byte. @default 30_000 */
  readonly timeoutMs?: number;
  /** Largest JSON answer read. @default 4 MiB */
  readonly maxJsonBytes?: number;
  /** For the `Retry-After` HTTP-date form. */
  readonly clock?: Clock;
  readonly fetch?: typeof fetch;
}

export interface GraphRequestOptions {
  /** Preferences besides `IdType="ImmutableId"`, which every request carries (e.g. `odata.maxpagesize=50`). */
  readonly prefer?: readonly string[];
}

/** Graph answered a 4xx that another attempt will not change (404, 409, 410, 400 …). */
export class GraphRequestError extends DependencyError {
  override name = 'GraphRequestError';
  readonly status: number;
  /** Graph's `error.code` (`ErrorItemNotFound`, `syncStateNotFound`, …), when it said. */
  readonly graphCode: string | null;

  constructor(status: number, graphCode: string | null, message: string) {
    super('dependency-rejected', message);
    this.status = status;
    this.graphCode = graphCode;
  }
}

/** Throttling can ask for a long pause; longer than this and the next poll is the better retry. */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_JSON = 4 * 1024 * 1024;
const MAX_ERROR_BODY = 16 * 1024;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
// Immutable ids survive a move between folders; without this Graph hands out ids that change (the key would too).
const IMMUTABLE_IDS = 'IdType="ImmutableId"';

/**
 * Microsoft Graph over plain `fetch`: every URL's host goes through the host guard, every link
 * Graph hands back must stay on the configured origin, answers are size-limited, and the status
 * codes map onto the mailbox port's errors. The token is never put into an error.
 */
export class GraphClient {
  private readonly origin: string;
  private readonly base: string;
  private readonly fetch: typeof fetch;
  private readonly clock: Clock;

  constructor(private readonly options: GraphClientOptions) {
    const root = endpoint(options.graphUrl, 'Graph URL');
    this.origin = root.origin;
    this.base = withoutTrailingSlash(root.href);
    this.fetch = options.fetch ?? globalThis.fetch;
    this.clock = options.clock ?? { now: () => new Date() };
  }

  /** `target`: a path under the Graph root (`/users/…`) or a link Graph returned (`@odata.nextLink`). */
  async get(target: string, options: GraphRequestOptions = {}): Promise<GraphJson> {
    return this.send('GET', target, undefined, options, (res, what) => this.readJson(res, what));
  }

  async post(target: string, body: unknown, options: GraphRequestOptions = {}): Promise<GraphJson> {
    return this.send('POST', target, body, options, (res, what) => this.readJson(res, what));
  }

  async patch(target: string, body: unknown, options: GraphRequestOptions = {}): Promise<GraphJson> {
    return this.send('PATCH', target, body, options, (res, what) => this.readJson(res, what));
  }

  async delete(target: string): Promise<void> {
    await this.send('DELETE', target, undefined, {}, async (res) => {
      await res.body?.cancel();
    });
  }

  /** The raw bytes of `target` (a message's `$value`); `MailboxTooLargeError` past `maxBytes`, before or while reading. */
  async getBytes(target: string, maxBytes: number): Promise<Uint8Array> {
    return this.send('GET', target, undefined, {}, (res) =>
      readLimited(res, maxBytes, () => new MailboxTooLargeError(`the message is larger than ${maxBytes} bytes`)),
    );
  }

  private async send<T>(
    method: string,
    target: string,
    body: unknown,
    options: GraphRequestOptions,
    read: (res: Response, what: string) => Promise<T>,
  ): Promise<T> {
    const url = this.resolve(target);
    const what = `${method} ${url.pathname.slice(0, 200)}`;
    // The guard checks every address the name has now; fetch resolves it again, which a TLS
    // certificate for the configured name makes harmless outside the sandbox's plain http.
    await this.options.guard.vet(url.hostname);
    const headers = new Headers({ prefer: [IMMUTABLE_IDS, ...(options.prefer ?? [])].join(', '), accept: 'application/json' });
    if (body !== undefined) headers.set('content-type', 'application/json');
    for (const fresh of [false, true]) {
      headers.set('authorization', `Bearer ${await this.options.token(fresh ? { fresh } : undefined)}`);
      const signal = AbortSignal.timeout(this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      try {
        const res = await this.fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'manual', signal });
        // A token Graph no longer takes (expired, revoked) is replaced once; a second refusal is the login's fault.
        if (res.status === 401 && !fresh) {
          await res.body?.cancel();
          continue;
        }
        if (res.status >= 200 && res.status < 300) return await read(res, what);
        throw await this.failure(res, what);
      } catch (error) {
        throw unavailable(error, what);
      }
    }
    throw new MailboxAuthError(`Graph refused the token twice (${what})`);
  }

  /** The absolute URL of a path under the root (a link to store, like the ones Graph returns). */
  urlOf(target: string): string {
    return this.resolve(target).href;
  }

  /** A path under the root, or an absolute link on the root's origin; anything else is refused before it is asked for. */
  private resolve(target: string): URL {
    if (target.startsWith('/')) return new URL(`${this.base}${target}`);
    const url = URL.canParse(target) ? new URL(target) : null;
    if (!url || url.origin !== this.origin || url.username || url.password) {
      throw new PolicyError('blocked-host', `Graph returned a link off ${this.origin}; it is not followed`);
    }
    return url;
  }

  private async failure(res: Response, what: string): Promise<Error> {
    const { code, message } = await graphError(res);
    const detail = `${res.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`;
    // 403: the application lacks Mail.ReadWrite, or an application access policy keeps it out of this mailbox.
    if (res.status === 401 || res.status === 403) return new MailboxAuthError(`Graph refused ${what} (${detail})`);
    if (res.status === 408 || res.status === 429 || res.status >= 500) {
      return new MailboxUnavailableError(`Graph ${what} answered ${detail}`, retryAfterMs(res.headers.get('retry-after'), this.clock.now().getTime()));
    }
    if (res.status >= 300 && res.status < 400)
      return new GraphRequestError(res.status, null, `Graph ${what} redirected (${res.status}); redirects are not followed`);
    return new GraphRequestError(res.status, code, `Graph ${what} answered ${detail}`);
  }

  private async readJson(res: Response, what: string): Promise<GraphJson> {
    const max = this.options.maxJsonBytes ?? DEFAULT_MAX_JSON;
    const bytes = await readLimited(res, max, () => new DependencyError('dependency-rejected', `Graph ${what} answered more than ${max} bytes`));
    if (bytes.byteLength === 0) return {};
    const value = parseJson(new TextDecoder().decode(bytes));
    if (!value) throw new MailboxUnavailableError(`Graph ${what} answered something other than a JSON object`);
    return value;
  }
}

/** `Retry-After` as delay-seconds or an HTTP-date (RFC 9110 §10.2.3), in ms, capped; null when absent or unreadable. */
export function retryAfterMs(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  const ms = /^\d{1,10}$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - nowMs;
  return Number.isNaN(ms) ? null : Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

/**
 * The Graph root or sign-in URL, checked once more here because a bearer token or a client secret
 * goes to it: https, or http to a loopback host (the sandbox's stand-in), no credentials in it.
 */
export function endpoint(value: string, what: string): URL {
  const url = URL.canParse(value) ? new URL(value) : null;
  if (!url) throw new DependencyError('dependency-rejected', `${what} is not a URL`);
  const plainLoopback = url.protocol === 'http:' && LOOPBACK.has(url.hostname);
  if (url.protocol !== 'https:' && !plainLoopback) throw new DependencyError('dependency-rejected', `${what} ${url.host} is not https`);
  if (url.username || url.password) throw new DependencyError('dependency-rejected', `${what} carries credentials`);
  return url;
}

/** Reads a body up to `maxBytes`: Content-Length is checked first, the running count while reading (it may lie or be absent). */
export async function readLimited(res: Response, maxBytes: number, tooLarge: () => Error): Promise<Uint8Array> {
  const declared = res.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) {
    await res.body?.cancel();
    throw tooLarge();
  }
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

// A loop rather than /\/+$/, which backtracks quadratically on a long run of slashes.
function withoutTrailingSlash(href: string): string {
  let end = href.length;
  while (end > 0 && href[end - 1] === '/') end--;
  return href.slice(0, end);
}

export function parseJson(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** One line of a remote text (an error message), bounded, for an error of ours. */
export function oneLine(value: unknown, max = 200): string {
  if (typeof value !== 'string') return '';
  return (value.split(/\r?\n/, 1)[0] ?? '').trim().slice(0, max);
}

/** Graph's `{ "error": { "code", "message" } }`, read from at most 16 KiB. */
async function graphError(res: Response): Promise<{ code: string | null; message: string }> {
  const bytes = await readLimited(res, MAX_ERROR_BODY, () => new Error('long')).catch(() => new Uint8Array(0));
  const error = parseJson(new TextDecoder().decode(bytes))?.error;
  if (!error || typeof error !== 'object') return { code: null, message: '' };
  const { code, message } = error as Record<string, unknown>;
  return { code: typeof code === 'string' && code ? code.slice(0, 64) : null, message: oneLine(message) };
}

/** Network failures and timeouts become `MailboxUnavailableError` (retried next poll); errors of ours pass. */
export function unavailable(error: unknown, what: string): unknown {
  if (!(error instanceof Error)) return error;
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return new MailboxUnavailableError(`Graph ${what} timed out`);
  // fetch's own failures are TypeErrors with the socket's error as cause; a TypeError of a bug has no cause.
  if (error instanceof TypeError && error.cause !== undefined) {
    const cause = error.cause as NodeJS.ErrnoException;
    const code = cause.code ?? (oneLine(cause.message, 60) || 'network error');
    return new MailboxUnavailableError(`Graph ${what} unreachable (${code})`);
  }
  return error;
}

export interface ClientCredentialsOptions {
  /** The sign-in root, e.g. `https://login.microsoftonline.com`. */
  readonly loginUrl: string;
  readonly tenantId: string;
  readonly clientId: string;
  /** Decrypted only when a token has to be fetched. */
  readonly clientSecret: () => Promise<string>;
  readonly guard: HostGuard;
  /** @default 'https://graph.microsoft.com/.default' (see `graphScope` for another cloud) */
  readonly scope?: string;
  /** @default 10_000 */
  readonly timeoutMs?: number;
  readonly clock?: Clock;
  readonly fetch?: typeof fetch;
}

// RFC 6749 §5.2 errors that say the client or its consent is no good, not that the endpoint is down.
const REFUSED = new Set(['invalid_client', 'unauthorized_client', 'invalid_grant', 'invalid_scope', 'access_denied', 'consent_required']);
const DEFAULT_LIFETIME_MS = 10 * 60_000; // when the endpoint does not say
const MAX_TOKEN_ANSWER = 64 * 1024;

/** The `.default` scope of the Graph a `graphUrl` names: national clouds have their own (`https://graph.microsoft.us/.default`). */
export function graphScope(graphUrl: string): string {
  return `${new URL(graphUrl).origin}/.default`;
}

/**
 * Application tokens by the client-credentials grant (RFC 6749 §4.4, Entra ID's v2.0 endpoint),
 * cached until shortly before they expire, one request in flight at a time. `{ fresh: true }`
 * skips the cache (Graph refused the cached token). The secret never appears in an error.
 */
export function clientCredentialsToken(options: ClientCredentialsOptions): GraphToken {
  const clock = options.clock ?? { now: () => new Date() };
  const tokenUrl = new URL(`${withoutTrailingSlash(endpoint(options.loginUrl, 'sign-in URL').href)}/${encodeURIComponent(options.tenantId)}/oauth2/v2.0/token`);
  const where = `token endpoint ${tokenUrl.host}`;
  const doFetch = options.fetch ?? globalThis.fetch;
  let cached: { readonly token: string; readonly refreshAt: number } | null = null;
  let inFlight: Promise<string> | null = null;

  const request = async (): Promise<string> => {
    await options.guard.vet(tokenUrl.hostname);
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: options.clientId,
      client_secret: await options.clientSecret(),
      scope: options.scope ?? 'https://graph.microsoft.com/.default',
    });
    let status: number;
    let retryAfter: string | null;
    let json: Record<string, unknown> | null;
    try {
      const res = await doFetch(tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      status = res.status;
      retryAfter = res.headers.get('retry-after');
      const bytes = await readLimited(
        res,
        MAX_TOKEN_ANSWER,
        () => new DependencyError('dependency-rejected', `${where} answered more than ${MAX_TOKEN_ANSWER} bytes`),
      );
      json = parseJson(new TextDecoder().decode(bytes));
    } catch (error) {
      throw unavailable(error, `${where} POST`);
    }
    const token = json?.access_token;
    if (status === 200 && typeof token === 'string' && token) {
      const expiresIn = Number(json?.expires_in);
      const lifetime = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : DEFAULT_LIFETIME_MS;
      // Renew five minutes early, or a tenth of a short lifetime, so no request goes out with a token about to lapse.
      cached = { token, refreshAt: clock.now().getTime() + lifetime - Math.min(5 * 60_000, lifetime / 10) };
      return token;
    }
    const oauthError = typeof json?.error === 'string' ? json.error.slice(0, 64) : null;
    // Entra's first line names the AADSTS code (AADSTS7000215: Invalid client secret provided …).
    const described = oneLine(json?.error_description);
    const detail = `${status}${oauthError ? ` ${oauthError}` : ''}${described ? `: ${described}` : ''}`;
    if (status >= 500 || status === 429 || status === 408)
      throw new MailboxUnavailableError(`${where} answered ${detail}`, retryAfterMs(retryAfter, clock.now().getTime()));
    if ((oauthError && REFUSED.has(oauthError)) || status === 401) throw new MailboxAuthError(`${where} refused the client credentials (${detail})`);
    throw new DependencyError('dependency-rejected', `${where} answered ${detail}`);
  };

  return async (opts) => {
    if (opts?.fresh) cached = null;
    if (cached && clock.now().getTime() < cached.refreshAt) return cached.token;
    inFlight ??= request().finally(() => {
      inFlight = null;
    });
    return inFlight;
  };
}
