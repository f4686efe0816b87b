import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AdminRequest } from '../core/admin/admin-context.ts';
import type { Actor } from '../core/model/admin-resources.ts';
import type { Caller } from '../core/model/agent.ts';

export type AdminEnv = { Variables: { actor: Actor; caller: Caller; requestId: string } };
export type AdminApp = OpenAPIHono<AdminEnv>;

/** The request's caller, actor and id, for use cases and audit records. */
export function adminRequest(c: Context<AdminEnv>): AdminRequest {
  return { actor: c.get('actor'), caller: c.get('caller'), requestId: c.get('requestId') };
}
