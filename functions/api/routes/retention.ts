import { z } from '@hono/zod-openapi';
import { RecordIdSchema } from '../../core/model/fields.ts';
import { LegalHoldInputSchema } from '../../core/model/retention.ts';
import { placeLegalHold, releaseLegalHold } from '../../core/retention/legal-hold.ts';
import { adminRequest, type AdminApp } from '../context.ts';
import type { AdminApiDeps } from '../deps.ts';
import { ERRORS, json, jsonBody } from '../http.ts';
import { route } from '../roles.ts';
import { ConversationSchema } from '../schemas.ts';

const tags = ['retention'];
const Params = z.object({ conversationId: RecordIdSchema });

/**
 * Legal holds (`docs/retention.md`): while one stands nothing of the conversation expires and the
 * erasure of a person's data leaves it alone. Admins only: a hold overrides the retention policy.
 */
export function retentionRoutes(app: AdminApp, deps: AdminApiDeps): void {
  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'put',
        path: '/conversations/{conversationId}/legal-hold',
        tags,
        summary: 'Place a legal hold: nothing of the conversation (records, raw mail, attachments, plans) expires until it is lifted',
        description: "Placing it again changes the reason and keeps when it was first placed. The erasure of a person's data skips a held conversation.",
        request: { params: Params, ...jsonBody(LegalHoldInputSchema) },
        responses: { 200: json(ConversationSchema, 'The conversation, with its hold and no expiry'), ...ERRORS },
      },
    ),
    async (c) => {
      const held = await placeLegalHold(deps, adminRequest(c), c.req.valid('param').conversationId, c.req.valid('json'));
      return c.json({ ...held, participants: [...held.participants] }, 200);
    },
  );

  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'delete',
        path: '/conversations/{conversationId}/legal-hold',
        tags,
        summary: "Lift a legal hold: the conversation expires again by its channel's retention, counted from its last message",
        request: { params: Params },
        responses: { 200: json(ConversationSchema, 'The conversation, with its expiry again'), ...ERRORS },
      },
    ),
    async (c) => {
      const released = await releaseLegalHold(deps, adminRequest(c), c.req.valid('param').conversationId);
      return c.json({ ...released, participants: [...released.participants] }, 200);
    },
  );
}
