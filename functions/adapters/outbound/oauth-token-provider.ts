import { DependencyError } from '../../core/errors.ts';
import type { Clock } from '../../core/ports/clock.ts';
import { postForm, type GuardedPostOptions } from './guarded-post.ts';
import type { HostGuard } from './host-guard.ts';

/** Which mailbox of which channel a token is for, and the endpoint its secrets are bound to. */
export interface TokenOwner {
  readonly channelId: string;
  readonly user: string;
  /** The channel's `credentialEndpointKey`: a rotated refresh token is stored for this endpoint only. */
  readonly endpoint: string;
}

/** The public part of an OAuth 2.0 client and its endpoint (from the channel's settings). */
export interface OAuthClient extends TokenOwner {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly scope: string;
}

/** The secret part, decrypted on demand: only when a token has to be fetched. */
export interface OAuthSecrets {
  readonly clientSecret: string;
  readonly refreshToken: string;
}

/** The token endpoint refused the grant: the channel's transport is unhealthy until an admin re-consents. */
export class TokenRefusedError extends DependencyError {
  override name = 'TokenRefusedError';
  /** The OAuth error code (`invalid_grant`, `unauthorized_client`, …) or `http-401`. */
  readonly oauthError: string;

  constructor(message: string, oauthError: string) {
    super('credentials', message);
    this.oauthError = oauthError;
  }
}

export interface OAuthTokenProviderOptions {
  readonly guard: HostGuard;
  readonly clock?: Clock;
  /** Extra CA certificates for the token endpoint (tests, sandbox). */
  readonly ca?: GuardedPostOptions['ca'];
  /** @default 10_000 */
  readonly timeoutMs?: number;
  /** Refresh this long before expiry at most; at most a tenth of the lifetime. @default 300_000 */
  readonly refreshMarginMs?: number;
  /** The endpoint rotated the refresh token: re-encrypt and store it, the old one may stop working. */
  readonly onRefreshTokenRotated?: (owner: TokenOwner, refreshToken: string) => Promise<void>;
  /** The endpoint refused the refresh token: mark the channel's transport unhealthy. */
  readonly onRefreshRefused?: (owner: TokenOwner, oauthError: string) => void;
}

interface CachedToken {
  readonly accessToken: string;
  /** When to stop using it: expiry minus the margin. */
  readonly refreshAt: number;
  /** The newest refresh token this container has seen, when the endpoint rotated it. */
  readonly refreshToken: string | null;
}

interface TokenResponse {
  readonly accessToken: string;
  readonly refreshToken: string | null;
  readonly expiresInMs: number;
  readonly scope: string | null;
}

/** What the admin's consent code was exchanged for. */
export interface AuthorizationGrant {
  readonly refreshToken: string;
  readonly accessToken: string;
  readonly expiresAt: Date;
  readonly scope: string | null;
}

// RFC 6749 §5.2 errors that mean the grant or client is no good, not that the endpoint is down.
const REFUSED = new Set([
  'invalid_grant',
  'unauthorized_client',
  'invalid_client',
  'access_denied',
  'invalid_scope',
  'interaction_required',
  'consent_required',
]);
const DEFAULT_LIFETIME_MS = 10 * 60_000; // when the endpoint does not say

/**
 * Access tokens for XOAUTH2 by the refresh-token grant (RFC 6749 §6), cached in memory per
 * container and owner, refreshed before they expire, one refresh in flight per owner. The
 * token endpoint is reached only through the host guard. Tokens are never logged or put in errors.
 */
export class OAuthTokenProvider {
  private readonly cache = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<string>>();
  private readonly clock: Clock;
  private readonly marginMs: number;

  constructor(private readonly options: OAuthTokenProviderOptions) {
    this.clock = options.clock ?? { now: () => new Date() };
    this.marginMs = options.refreshMarginMs ?? 5 * 60_000;
  }

  /** A valid access token: the cached one, or a fresh one when it is close to expiry or `forceRefresh`. */
  async accessToken(client: OAuthClient, secrets: () => Promise<OAuthSecrets>, options: { readonly forceRefresh?: boolean } = {}): Promise<string> {
    const key = cacheKey(client);
    const cached = this.cache.get(key);
    if (cached && !options.forceRefresh && this.now() < cached.refreshAt) return cached.accessToken;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const refresh = this.refresh(client, key, secrets).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, refresh);
    return refresh;
  }

  /** Forgets the cached token (the server refused it); the next call fetches a new one. */
  invalidate(client: OAuthClient): void {
    const key = cacheKey(client);
    const cached = this.cache.get(key);
    if (cached) this.cache.set(key, { ...cached, refreshAt: 0 });
  }

  /**
   * Exchanges the code from the consent redirect (RFC 6749 §4.1.3) for a refresh token, so no
   * admin ever handles one. Throws `TokenRefusedError` for a used, expired or foreign code.
   */
  async exchangeAuthorizationCode(
    client: Omit<OAuthClient, keyof TokenOwner>,
    input: { readonly code: string; readonly redirectUri: string; readonly clientSecret: string },
  ): Promise<AuthorizationGrant> {
    const response = await this.tokenRequest(
      client.tokenUrl,
      {
        grant_type: 'authorization_code',
        code: input.code,
        redirect_uri: input.redirectUri,
        client_id: client.clientId,
        client_secret: input.clientSecret,
        scope: client.scope,
      },
      'authorization code',
    );
    if (!response.refreshToken) {
      throw new DependencyError(
        'credentials',
        'the token endpoint returned no refresh token: the consent must ask for offline access (offline_access, or access_type=offline)',
      );
    }
    return {
      refreshToken: response.refreshToken,
      accessToken: response.accessToken,
      expiresAt: new Date(this.now() + response.expiresInMs),
      scope: response.scope,
    };
  }

  private async refresh(client: OAuthClient, key: string, secrets: () => Promise<OAuthSecrets>): Promise<string> {
    const loaded = await secrets();
    const refreshToken = this.cache.get(key)?.refreshToken ?? loaded.refreshToken;
    const owner = { channelId: client.channelId, user: client.user, endpoint: client.endpoint };
    let response: TokenResponse;
    try {
      response = await this.tokenRequest(
        client.tokenUrl,
        {
          grant_type: 'refresh_token',
          refresh_token: refreshToken,
          client_id: client.clientId,
          client_secret: loaded.clientSecret,
          scope: client.scope,
        },
        'refresh token',
      );
    } catch (error) {
      if (error instanceof TokenRefusedError) {
        this.cache.delete(key);
        this.options.onRefreshRefused?.(owner, error.oauthError);
      }
      throw error;
    }
    const rotated = response.refreshToken && response.refreshToken !== refreshToken ? response.refreshToken : null;
    const margin = Math.min(this.marginMs, response.expiresInMs / 10);
    this.cache.set(key, {
      accessToken: response.accessToken,
      refreshAt: this.now() + response.expiresInMs - margin,
      refreshToken: rotated ?? this.cache.get(key)?.refreshToken ?? null,
    });
    if (rotated) await this.options.onRefreshTokenRotated?.(owner, rotated);
    return response.accessToken;
  }

  private async tokenRequest(tokenUrl: string, form: Record<string, string>, grant: string): Promise<TokenResponse> {
    const where = `token endpoint ${new URL(tokenUrl).host}`;
    const res = await postForm(tokenUrl, form, { guard: this.options.guard, ca: this.options.ca, timeoutMs: this.options.timeoutMs ?? 10_000 });
    const json = parseJson(res.body);
    if (res.status === 200 && json && typeof json.access_token === 'string' && json.access_token) {
      const expiresIn = Number(json.expires_in);
      return {
        accessToken: json.access_token,
        refreshToken: typeof json.refresh_token === 'string' && json.refresh_token ? json.refresh_token : null,
        expiresInMs: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : DEFAULT_LIFETIME_MS,
        scope: typeof json.scope === 'string' ? json.scope : null,
      };
    }
    const oauthError = typeof json?.error === 'string' ? json.error.slice(0, 64) : null;
    const described = describe(json?.error_description);
    if (res.status >= 500 || res.status === 429 || res.status === 408) {
      throw new DependencyError('dependency-unavailable', `${where} answered ${res.status}${oauthError ? ` (${oauthError})` : ''}`);
    }
    if ((oauthError && REFUSED.has(oauthError)) || res.status === 401) {
      const code = oauthError ?? `http-${res.status}`;
      throw new TokenRefusedError(`${where} refused the ${grant} (${code})${described}`, code);
    }
    throw new DependencyError('dependency-rejected', `${where} answered ${res.status}${oauthError ? ` (${oauthError})` : ' without a token'}${described}`);
  }

  private now(): number {
    return this.clock.now().getTime();
  }
}

function cacheKey(client: OAuthClient): string {
  return JSON.stringify([client.channelId, client.endpoint, client.user, client.tokenUrl, client.clientId, client.scope]);
}

function parseJson(body: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The first line of an `error_description` (e.g. `AADSTS700082: The refresh token has expired…`), bounded. */
function describe(description: unknown): string {
  if (typeof description !== 'string' || !description.trim()) return '';
  const line = description.split(/\r?\n/)[0]?.trim().slice(0, 200) ?? '';
  return line ? `: ${line}` : '';
}
