import { z } from '@hono/zod-openapi';
import { route } from '../roles.ts';
import { IdSchema } from '../../core/model/fields.ts';
import { pollNow, sourceStatus } from '../../core/admin/source-admin.ts';
import { adminRequest, type AdminApp } from '../context.ts';
import type { AdminApiDeps } from '../deps.ts';
import { ERRORS, json } from '../http.ts';
import { PollReportOutSchema, SourceStatusOutSchema } from '../schemas.ts';

const tags = ['mailbox sources'];
const Params = z.object({ channelId: IdSchema });

/** A channel's inbound source: its health and cursor, and a poll on demand. */
export function sourceRoutes(app: AdminApp, deps: AdminApiDeps): void {
  app.openapi(route({ role: 'supervisor' }, {
    method: 'get', path: '/channels/{channelId}/source', tags, summary: 'The channel\'s source: type, health and its reason, last poll, cursor and counts',
    request: { params: Params },
    responses: { 200: json(SourceStatusOutSchema, 'The source\'s status; never a secret'), ...ERRORS },
  }), async (c) => c.json(await sourceStatus(deps, c.req.valid('param').channelId), 200));

  app.openapi(route({ role: 'admin' }, {
    method: 'post', path: '/channels/{channelId}/source/poll', tags, summary: 'Poll the channel\'s mailbox now; answers what the poll fetched',
    request: { params: Params },
    responses: { 200: json(PollReportOutSchema, 'What the poll did, message by message'), ...ERRORS },
  }), async (c) => {
    const report = await pollNow(deps, adminRequest(c), c.req.valid('param').channelId);
    return c.json({ ...report, items: [...report.items] }, 200);
  });
}
