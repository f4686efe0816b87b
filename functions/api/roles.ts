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

const forbidden = { description: 'The caller\'s role does not allow this', content: { 'application/json': { schema: ErrorBodySchema } } };

/**
 * `createRoute` with the role the route needs: checked before the handler runs, written into the
 * OpenAPI document (`x-postroom-role` and the description), with the 403 answer documented. Every
 * route of the API is made with this, so none exists without a decision about who may call it.
 */
export function route<const R extends Omit<RouteConfig, 'middleware'>>(access: Access, config: R) {
  const who = access.own ? `Needs the ${access.role} role, for the caller's own agent id (admins: any).` : `Needs the ${access.role} role.`;
  return createRoute({
    ...config,
    description: config.description ? `${config.description}\n\n${who}` : who,
    [ROLE_EXTENSION]: access.own ? `${access.role}:own` : access.role,
    middleware: [needs(access)] as const,
    responses: { ...config.responses, 403: forbidden },
  });
}
