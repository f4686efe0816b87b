import { createRoute, type RouteConfig } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { ForbiddenError } from '../core/errors.ts';
import { hasRole, type Role } from '../core/model/agent.ts';
import type { AdminEnv } from './context.ts';
import { ErrorBodySchema } from './errors.ts';

/** The OpenAPI extension naming the role an operation needs; a test walks every operation with each role. */
export const ROLE_EXTENSION = 'x-postroom-role';

/**
 * What an operation needs: a role, and for `own` routes that the `{agentId}` in the path is the
 * caller's own unless the caller is an admin (signatures).
 */
export interface Access {
  readonly role: Role;
  readonly own?: boolean;
}

function needs(access: Access): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const caller = c.get('caller');
    if (!hasRole(caller.role, access.role)) throw new ForbiddenError(`${c.req.method} ${c.req.routePath} needs the ${access.role} role`);
    if (access.own && caller.role !== 'admin' && c.req.param('agentId') !== caller.agentId) {
      throw new ForbiddenError(`another agent's ${c.req.routePath.split('/').pop() ?? 'item'} needs the admin role; use your own agent id (${caller.agentId})`);
    }
    await next();
  };
}

const JSON_TYPE = /^application\/json[ \t]*(;|$)/i;
const MAIL_TYPE = /^message\/rfc822[ \t]*(;|$)/i;

/**
 * A body must be what the route reads — JSON, or the raw mail of a dry run — or the answer is
 * 415 before any validation, never a body read as empty. Checked after the role, so a caller
 * without it learns only that (403).
 */
function reads(type: 'json' | 'mail'): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const given = c.req.header('content-type')?.trim() ?? '';
    if (given === '' ? (await c.req.arrayBuffer()).byteLength === 0 : (type === 'mail' ? MAIL_TYPE : JSON_TYPE).test(given)) return next();
    const wanted = type === 'mail' ? 'message/rfc822' : 'application/json';
    const message = `send the body as ${wanted}${given ? `, not ${given.slice(0, 100)}` : ' (Content-Type is missing)'}`;
    return c.json({ error: { code: 'unsupported-media-type', message, issues: [{ field: 'Content-Type', problem: `must be ${wanted}` }] } }, 415);
  };
}

/** What body a route reads, from its request declaration. */
function bodyOf(config: Omit<RouteConfig, 'middleware'>): 'json' | 'mail' | null {
  const content = (config.request?.body as { content?: Record<string, unknown> } | undefined)?.content ?? {};
  if ('message/rfc822' in content) return 'mail';
  return 'application/json' in content ? 'json' : null;
}

const forbidden = { description: "The caller's role does not allow this", content: { 'application/json': { schema: ErrorBodySchema } } };

/**
 * `createRoute` with the role the route needs: checked before the handler runs, written into the
 * OpenAPI document (`x-postroom-role` and the description), with the 403 answer documented. Every
 * route of the API is made with this, so none exists without a decision about who may call it.
 */
export function route<const R extends Omit<RouteConfig, 'middleware'>>(access: Access, config: R) {
  const body = bodyOf(config);
  const who = access.own ? `Needs the ${access.role} role, for the caller's own agent id (admins: any).` : `Needs the ${access.role} role.`;
  return createRoute({
    ...config,
    description: config.description ? `${config.description}\n\n${who}` : who,
    [ROLE_EXTENSION]: access.own ? `${access.role}:own` : access.role,
    middleware: (body ? [needs(access), reads(body)] : [needs(access)]) as [MiddlewareHandler<AdminEnv>],
    responses: { ...config.responses, 403: forbidden },
  });
}
