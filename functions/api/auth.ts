import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import type { CallerIdentity } from '../core/admin/agent-directory.ts';

/** Who a request comes from, as the authorizer vouches for it, or null when it is not authenticated. */
export type Authenticate = (c: Context) => CallerIdentity | null;

const digest = (token: string): Buffer => createHash('sha256').update(token).digest();

/**
 * The sandbox: `Authorization: Bearer <token>`, one token per user. Every known token is compared
 * in constant time (hashes of equal length), so timing tells nothing about which one was close.
 */
export function bearerTokens(tokens: Readonly<Record<string, string>>): Authenticate {
  const known = Object.entries(tokens).map(([token, userId]) => ({ hash: digest(token), userId }));
  return (c) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer[ \t]+([\x21-\x7e]{1,512})$/i.exec(header);
    if (!match?.[1]) return null;
    const given = digest(match[1]);
    let found: string | null = null;
    for (const k of known) if (timingSafeEqual(given, k.hash)) found = k.userId;
    return found === null ? null : { kind: 'token', id: found, claims: {} };
  };
}

interface AuthorizerContext {
  readonly iam?: { readonly userArn?: string | null; readonly userId?: string | null };
  readonly jwt?: { readonly claims?: Record<string, unknown>; readonly scopes?: readonly string[] | null };
}

/**
 * Behind API Gateway: the authorizer already checked the request (IAM SigV4 or a JWT); the
 * caller is the IAM principal or the JWT subject (with its claims) from the request context. A
 * request without one never reached here through the gateway, so it is refused.
 */
export function apiGatewayPrincipal(): Authenticate {
  return (c) => {
    const env = c.env as { event?: { requestContext?: { authorizer?: AuthorizerContext } } } | undefined;
    const authorizer = env?.event?.requestContext?.authorizer;
    const arn = authorizer?.iam?.userArn ?? authorizer?.iam?.userId;
    if (arn) return { kind: 'iam', id: arn, claims: {} };
    const claims = authorizer?.jwt?.claims ?? {};
    const sub = claims.sub;
    if (typeof sub === 'string' && sub.length > 0) {
      const scopes = authorizer?.jwt?.scopes;
      return { kind: 'jwt', id: sub, claims: scopes && !('scope' in claims) ? { ...claims, scope: scopes.join(' ') } : claims };
    }
    return null;
  };
}
