import { route } from '../roles.ts';
import type { AdminApp } from '../context.ts';
import type { AdminApiDeps } from '../deps.ts';
import { ERRORS, PageQuerySchema, json } from '../http.ts';
import { AuditPageSchema } from '../schemas.ts';

export function auditRoutes(app: AdminApp, deps: AdminApiDeps): void {
  app.openapi(
    route(
      { role: 'supervisor' },
      {
        method: 'get',
        path: '/audit',
        tags: ['audit'],
        summary: 'Every change made through the API, newest first: who, when, what (never a secret)',
        request: { query: PageQuerySchema },
        responses: { 200: json(AuditPageSchema, 'A page of audit records'), ...ERRORS },
      },
    ),
    async (c) => {
      const page = await deps.audit.list(c.req.valid('query'));
      return c.json({ items: [...page.items], cursor: page.cursor }, 200);
    },
  );
}
