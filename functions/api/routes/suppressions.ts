import { z } from '@hono/zod-openapi';
import { route } from '../roles.ts';
import { recordChange } from '../../core/admin/admin-context.ts';
import { channelOf } from '../../core/admin/rule-admin.ts';
import { NotFoundError } from '../../core/errors.ts';
import type { SuppressionScope } from '../../core/model/suppression.ts';
import { adminRequest, type AdminApp } from '../context.ts';
import type { AdminApiDeps } from '../deps.ts';
import { ERRORS, PageQuerySchema, json, jsonBody } from '../http.ts';
import { SuppressionInputSchema, SuppressionPageSchema, SuppressionSchema, SuppressionScopeQuerySchema } from '../schemas.ts';

const tags = ['suppression list'];

async function scopeOf(deps: AdminApiDeps, channelId: string | undefined): Promise<SuppressionScope> {
  if (!channelId) return { kind: 'account' };
  await channelOf(deps, channelId);
  return { kind: 'channel', channelId };
}

const scopeId = (scope: SuppressionScope): string => (scope.kind === 'account' ? 'account' : `channel:${scope.channelId}`);

export function suppressionRoutes(app: AdminApp, deps: AdminApiDeps): void {
  app.openapi(
    route(
      { role: 'supervisor' },
      {
        method: 'get',
        path: '/suppressions',
        tags,
        summary: "Addresses no mail is sent to: the account-wide list, or a channel's",
        request: { query: PageQuerySchema.extend(SuppressionScopeQuerySchema.shape) },
        responses: { 200: json(SuppressionPageSchema, 'A page of suppressed addresses'), ...ERRORS },
      },
    ),
    async (c) => {
      const { limit, cursor, channelId } = c.req.valid('query');
      const page = await deps.suppressions.list(await scopeOf(deps, channelId), { limit, ...(cursor ? { cursor } : {}) });
      return c.json({ items: [...page.entries], cursor: page.cursor }, 200);
    },
  );

  app.openapi(
    route(
      { role: 'supervisor' },
      {
        method: 'post',
        path: '/suppressions',
        tags,
        summary: 'Suppress an address by hand',
        request: jsonBody(SuppressionInputSchema),
        responses: { 201: json(SuppressionSchema, 'The entry'), ...ERRORS },
      },
    ),
    async (c) => {
      const input = c.req.valid('json');
      const request = adminRequest(c);
      const scope = await scopeOf(deps, input.channelId);
      const entry = {
        address: input.address,
        scope,
        reason: 'manual' as const,
        detail: input.detail ?? `added by ${request.actor.id}`,
        messageId: null,
        since: deps.clock.now().toISOString(),
      };
      await deps.suppressions.put(entry);
      await recordChange(deps, request, 'suppression.add', { type: 'suppression', id: `${scopeId(scope)}/${input.address}` }, ['address']);
      return c.json(entry, 201);
    },
  );

  app.openapi(
    route(
      { role: 'supervisor' },
      {
        method: 'delete',
        path: '/suppressions/{address}',
        tags,
        summary: 'Remove an address from a list',
        request: { params: z.object({ address: z.string().min(3).max(320) }), query: SuppressionScopeQuerySchema },
        responses: { 204: { description: 'Removed' }, ...ERRORS },
      },
    ),
    async (c) => {
      const address = c.req.valid('param').address.toLowerCase();
      const scope = await scopeOf(deps, c.req.valid('query').channelId);
      if (!(await deps.suppressions.remove(scope, address))) throw new NotFoundError(`${address} is not on the ${scopeId(scope)} list`);
      await recordChange(deps, adminRequest(c), 'suppression.remove', { type: 'suppression', id: `${scopeId(scope)}/${address}` }, ['address']);
      return c.body(null, 204);
    },
  );
}
