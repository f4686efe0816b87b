import type { ConnectionOptions } from 'node:tls';
import { AppError, DependencyError } from '../../core/errors.ts';
import { DEFAULT_PARSE_LIMITS } from '../../core/model/parse-limits.ts';
import { MailboxAuthError, type MailboxCredentials, MailboxItemGoneError, MailboxTooLargeError, MailboxUnavailableError } from '../../core/ports/mailbox.ts';
import type { HostGuard, VettedHost } from '../outbound/host-guard.ts';

/** What the IMAP and POP3 connectors are built with. */
export interface MailboxConnectorOptions<Source> {
  readonly source: Source;
  readonly credentials: MailboxCredentials;
  /** Every connection goes to an address this guard vetted; a refused host is its `PolicyError`. */
  readonly guard: HostGuard;
  /** Extra CA certificates to trust (tests, sandbox); the system CAs otherwise. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Milliseconds allowed to connect, to greet, and between two reads. @default 30_000 */
  readonly timeoutMs?: number;
  /** Protocol libraries log nothing: their debug lines would carry mailbox names and server texts. */
  readonly logger?: false;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * The most a connection ever buffers for one message, whatever `fetch` is asked: the largest
 * message a channel may accept. It bounds what a hostile server can make us hold in memory.
 */
export const LARGEST_MESSAGE_BYTES = DEFAULT_PARSE_LIMITS.maxBytes;

/** How many of the addresses a name resolves to are tried while connecting fails. */
const MAX_ADDRESSES = 3;

/** Network failures where another address of the same name may answer. */
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'CONNECT_TIMEOUT']);

/** The host's addresses, vetted; a DNS failure is the mailbox being unavailable, a refusal stays a `PolicyError`. */
export async function vetMailboxHost(guard: HostGuard, host: string): Promise<VettedHost> {
  try {
    return await guard.vet(host);
  } catch (error) {
    if (error instanceof DependencyError) throw new MailboxUnavailableError(error.message);
    throw error;
  }
}

/** TLS that verifies the configured name (or, for an IP literal, the address), TLS 1.2 and later. */
export function tlsOptions(vetted: VettedHost, ca: MailboxConnectorOptions<unknown>['ca']): ConnectionOptions {
  return {
    servername: vetted.servername ?? undefined,
    ca: ca as ConnectionOptions['ca'],
    minVersion: 'TLSv1.2',
    rejectUnauthorized: true,
  };
}

/**
 * Runs `attempt` against the vetted addresses in turn, moving on only while the connection
 * itself fails (refused, unreachable), never after the server answered.
 */
export async function eachAddress<T>(vetted: VettedHost, attempt: (address: string) => Promise<T>): Promise<T> {
  const addresses = vetted.addresses.slice(0, MAX_ADDRESSES);
  for (let i = 0; ; i++) {
    const address = addresses[i]?.address ?? vetted.address;
    try {
      return await attempt(address);
    } catch (error) {
      if (i >= addresses.length - 1 || !CONNECT_FAILURES.has(errorCode(error))) throw error;
    }
  }
}

/** The secret one login attempt presents. */
export type MailboxSecret = { readonly type: 'password'; readonly password: string } | { readonly type: 'oauth2'; readonly accessToken: string };

/**
 * Logs in with the credentials; with OAuth, once more with a fresh token when the server
 * refused the cached one (revoked, or cut short by a clock ahead of ours). `login` throws
 * `MailboxAuthError` for a refusal.
 */
export async function loginWithRetry<T>(credentials: MailboxCredentials, login: (secret: MailboxSecret) => Promise<T>): Promise<T> {
  if (credentials.type === 'password') return login({ type: 'password', password: await credentials.password() });
  try {
    return await login({ type: 'oauth2', accessToken: await credentials.accessToken() });
  } catch (error) {
    if (!(error instanceof MailboxAuthError)) throw error;
    return login({ type: 'oauth2', accessToken: await credentials.accessToken({ fresh: true }) });
  }
}

/** A server's text as a message may quote it: one line of printable ASCII, bounded. */
export function serverText(text: unknown): string {
  return typeof text === 'string'
    ? text
        .replace(/[^ -~]+/g, ' ')
        .trim()
        .slice(0, 200)
    : '';
}

/** The code Node or the protocol library put on an error, '' when none. */
export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

const TIMEOUTS = new Set(['ETIMEDOUT', 'ETIMEOUT', 'CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT']);
// Node's and OpenSSL's codes for a certificate chain or name that does not verify.
const CERTIFICATE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|HOSTNAME_MISMATCH|ALTNAME/;

/** A failure to reach or keep talking to the server, as the port's error; the port's and the app's own errors pass through. */
export function unavailable(error: unknown, where: string): Error {
  const ours = [MailboxUnavailableError, MailboxAuthError, MailboxTooLargeError, MailboxItemGoneError, AppError];
  if (ours.some((type) => error instanceof type)) return error as Error;
  const code = errorCode(error);
  const text = serverText((error as Error | null)?.message);
  let detail = code || text || 'unknown error';
  if (TIMEOUTS.has(code)) detail = `timed out (${code})`;
  else if (CERTIFICATE.test(code)) detail = `its TLS certificate does not verify (${code})`;
  return new MailboxUnavailableError(`${where}: ${detail}`);
}
