import { z } from '@hono/zod-openapi';
import { route } from '../roles.ts';
import { RecordIdSchema } from '../../core/model/fields.ts';
import { failedId, replayAll, replayOne, type ReplayResult } from '../../core/admin/failed-admin.ts';
import { adminRequest, type AdminApp } from '../context.ts';
import type { AdminApiDeps } from '../deps.ts';
import { ERRORS, PageQuerySchema, json, jsonBody } from '../http.ts';
import { FailedPageSchema, ReplayAllInputSchema, ReplayAllResultSchema, ReplayResultSchema } from '../schemas.ts';

const tags = ['failed messages'];

function resultOf(r: ReplayResult) {
  const o = r.outcome;
  if (o.status === 'failed') return { id: r.id, outcome: { status: o.status, duplicate: o.duplicate, channelId: o.channelId, error: { ...o.error } } };
  return { id: r.id, outcome: { status: o.status, duplicate: o.duplicate, channelId: o.channelId, conversationId: o.conversationId, skill: o.skill } };
}

export function failedRoutes(app: AdminApp, deps: AdminApiDeps): void {
  app.openapi(
    route(
      { role: 'supervisor' },
      {
        method: 'get',
        path: '/failed-messages',
        tags,
        summary: 'Mail that could not be processed, newest first, with the reason',
        request: { query: PageQuerySchema },
        responses: { 200: json(FailedPageSchema, 'A page of failed mail'), ...ERRORS },
      },
    ),
    async (c) => {
      const page = await deps.failed.list(c.req.valid('query'));
      return c.json({ items: page.items.map((f) => ({ ...f, id: failedId(f) })), cursor: page.cursor }, 200);
    },
  );

  app.openapi(
    route(
      { role: 'supervisor' },
      {
        method: 'post',
        path: '/failed-messages/{id}/replay',
        tags,
        summary: 'Process one failed mail again (it leaves the list when it succeeds)',
        request: { params: z.object({ id: RecordIdSchema }) },
        responses: { 200: json(ReplayResultSchema, 'What happened'), ...ERRORS },
      },
    ),
    async (c) => c.json(resultOf(await replayOne(deps, adminRequest(c), c.req.valid('param').id)), 200),
  );

  app.openapi(
    route(
      { role: 'supervisor' },
      {
        method: 'post',
        path: '/failed-messages/replay',
        tags,
        summary: 'Replay a page of failed mail; call again with the cursor to go on',
        request: jsonBody(ReplayAllInputSchema),
        responses: { 200: json(ReplayAllResultSchema, 'What happened to each'), ...ERRORS },
      },
    ),
    async (c) => {
      const { limit, cursor } = c.req.valid('json');
      const out = await replayAll(deps, adminRequest(c), limit, cursor);
      return c.json({ results: out.results.map(resultOf), cursor: out.cursor }, 200);
    },
  );
}
