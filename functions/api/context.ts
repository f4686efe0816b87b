import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AdminRequest } from '../core/admin/admin-context.ts';
import type { Actor } from '../core/model/admin-resources.ts';

export type AdminEnv = { Variables: { actor: Actor; requestId: string } };
export type AdminApp = OpenAPIHono<AdminEnv>;

/** The request's actor and id, for use cases and audit records. */
export function adminRequest(c: Context<AdminEnv>): AdminRequest {
  return { actor: c.get('actor'), requestId: c.get('requestId') };
}
