import { timingSafeEqual, createHash } from 'node:crypto';
import type { Context } from 'hono';
import type { Actor } from '../core/model/admin-resources.ts';

/** Who a request comes from, or null when it is not authenticated. */
export type Authenticate = (c: Context) => Actor | null;

/** The sandbox: `Authorization: Bearer <token>` with the token compared in constant time. */
export function bearerToken(token: string): Authenticate {
  const expected = createHash('sha256').update(token).digest();
  return (c) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) return null;
    const given = createHash('sha256').update(match[1]).digest();
    return timingSafeEqual(given, expected) ? { kind: 'token', id: 'sandbox-admin' } : null;
  };
}

interface AuthorizerContext {
  readonly iam?: { readonly userArn?: string | null; readonly userId?: string | null };
  readonly jwt?: { readonly claims?: Record<string, unknown> };
}

/**
 * Behind API Gateway: the authorizer already checked the request (IAM SigV4 or a JWT); the
 * caller is the IAM principal or the JWT subject from the request context. A request without
 * one never reached here through the gateway, so it is refused.
 */
export function apiGatewayPrincipal(): Authenticate {
  return (c) => {
    const env = c.env as { event?: { requestContext?: { authorizer?: AuthorizerContext } } } | undefined;
    const authorizer = env?.event?.requestContext?.authorizer;
    const arn = authorizer?.iam?.userArn ?? authorizer?.iam?.userId;
    if (arn) return { kind: 'iam', id: arn };
    const sub = authorizer?.jwt?.claims?.sub;
    if (typeof sub === 'string' && sub.length > 0) return { kind: 'jwt', id: sub };
    return null;
  };
}
