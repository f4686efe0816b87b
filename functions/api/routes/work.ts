import { z } from '@hono/zod-openapi';
import { IdSchema, RecordIdSchema } from '../../core/model/fields.ts';
import { completeLease, extendLease, releaseLease } from '../../core/work/lease-actions.ts';
import { leavePresence, markPresence, presenceOn } from '../../core/work/presence.ts';
import { listQueues, takeNext } from '../../core/work/take-work.ts';
import { PRESENCE_STATES, PRESENCE_TTL_MS, VISIBILITY_SECONDS, type WorkLease } from '../../core/work/work-item.ts';
import { adminRequest, type AdminApp } from '../context.ts';
import type { AdminApiDeps } from '../deps.ts';
import { ERRORS, json } from '../http.ts';
import { route } from '../roles.ts';

const tags = ['work'];

const VisibilitySchema = z.number().int().min(VISIBILITY_SECONDS.min).max(VISIBILITY_SECONDS.max);

const QueuesSchema = z
  .object({
    queues: z.array(
      z.object({
        skill: z.string(),
        description: z.string().nullable(),
        waiting: z.number().int().meta({ description: 'Messages ready to take (SQS ApproximateNumberOfMessages).' }),
        inFlight: z.number().int().meta({ description: 'Messages taken and not yet done or released (SQS ApproximateNumberOfMessagesNotVisible).' }),
      }),
    ),
  })
  .meta({ id: 'WorkQueues' });

const TakeInputSchema = z
  .strictObject({
    visibilitySeconds: VisibilitySchema.optional().meta({
      description: `How long the message stays with the caller unless extended (${VISIBILITY_SECONDS.min}–${VISIBILITY_SECONDS.max}; ${VISIBILITY_SECONDS.default} when absent).`,
    }),
  })
  .meta({ id: 'TakeInput' });

const ExtendInputSchema = z
  .strictObject({
    visibilitySeconds: VisibilitySchema.optional().meta({ description: "Seconds from now; the lease's own length when absent." }),
  })
  .meta({ id: 'ExtendInput' });

const LeaseSchema = z
  .object({
    lease: z.object({
      id: z.string().meta({ description: "Opaque; extend, release and finish the message with it. The queue's receipt handle stays on the server." }),
      skill: z.string(),
      expiresAt: z.string().meta({ description: 'ISO time the message goes back on the queue unless extended, released or done.' }),
      conversationId: z.string().nullable(),
      messageId: z.string(),
      pointer: z.record(z.string(), z.unknown()).meta({ description: 'The routed-message record as it was queued (docs/schemas/routed-message.v2.json).' }),
    }),
  })
  .meta({ id: 'WorkLease' });

const PresenceInputSchema = z.strictObject({ state: z.enum(PRESENCE_STATES) }).meta({ id: 'PresenceInput' });
const PresenceSchema = z
  .object({
    agents: z.array(
      z.object({
        agentId: z.string(),
        displayName: z.string(),
        state: z.enum(PRESENCE_STATES),
        since: z.string().meta({ description: 'ISO time the agent entered this state.' }),
        self: z.boolean().meta({ description: "The caller's own entry." }),
      }),
    ),
  })
  .meta({ id: 'Presence' });

const SkillParams = z.object({ skill: IdSchema });
const LeaseParams = z.object({ leaseId: RecordIdSchema });
const ConversationParams = z.object({ conversationId: RecordIdSchema });
/** A body a route may do without: `{}`, or none at all. */
const optionalBody = <T extends z.ZodType>(schema: T) => ({ body: { content: { 'application/json': { schema } }, required: false } });
const NO_CONTENT = { description: 'Done' } as const;

const leaseOut = (lease: WorkLease) => ({
  lease: {
    id: lease.id,
    skill: lease.skill,
    expiresAt: lease.expiresAt,
    conversationId: lease.conversationId,
    messageId: lease.messageId,
    pointer: lease.pointer,
  },
});

/**
 * What an agent's app needs to work the skill queues through the API alone: the queues with their
 * counts, take the next message (kept invisible under a lease), extend, release or finish it, and
 * who else has a conversation open.
 */
export function workRoutes(app: AdminApp, deps: AdminApiDeps): void {
  app.openapi(
    route(
      { role: 'agent' },
      {
        method: 'get',
        path: '/work/queues',
        tags,
        summary: "The caller's skill queues (supervisors and admins: every skill) with what waits and what is being worked",
        responses: { 200: json(QueuesSchema, 'The queues'), ...ERRORS },
      },
    ),
    async (c) => c.json({ queues: await listQueues(deps, adminRequest(c).caller) }, 200),
  );

  app.openapi(
    route(
      { role: 'agent' },
      {
        method: 'post',
        path: '/work/queues/{skill}/take',
        tags,
        summary: "Take the next message of a skill's queue: it stays with the caller, invisible to others, until done, released or expired",
        description:
          "Receives one message from the skill's FIFO queue. Its conversation's later mail waits behind it (one FIFO group per conversation), " +
          'so a conversation is with one agent at a time. A reply or close by the caller completes the lease as `done` does. ' +
          "Each take counts as a receive of the message: one taken as often as the queue's redrive count allows (released or expired each time) moves to the skill's dead-letter queue.",
        request: { params: SkillParams, ...optionalBody(TakeInputSchema) },
        responses: { 200: json(LeaseSchema, 'The lease and the routed message'), 204: { description: 'Nothing is waiting' }, ...ERRORS },
      },
    ),
    async (c) => {
      const lease = await takeNext(deps, adminRequest(c), c.req.valid('param').skill, c.req.valid('json').visibilitySeconds);
      return lease ? c.json(leaseOut(lease), 200) : c.body(null, 204);
    },
  );

  app.openapi(
    route(
      { role: 'agent' },
      {
        method: 'post',
        path: '/work/leases/{leaseId}/extend',
        tags,
        summary: 'Keep the message longer (a heartbeat while the agent works on it)',
        request: { params: LeaseParams, ...optionalBody(ExtendInputSchema) },
        responses: { 200: json(z.object({ expiresAt: z.string() }).meta({ id: 'LeaseExtended' }), 'The new end of the lease'), ...ERRORS },
      },
    ),
    async (c) => {
      const lease = await extendLease(deps, adminRequest(c), c.req.valid('param').leaseId, c.req.valid('json').visibilitySeconds);
      return c.json({ expiresAt: lease.expiresAt }, 200);
    },
  );

  app.openapi(
    route(
      { role: 'agent' },
      {
        method: 'post',
        path: '/work/leases/{leaseId}/release',
        tags,
        summary: "Put the message back on the queue at once, for the next agent (supervisors: any agent's)",
        request: { params: LeaseParams },
        responses: { 204: NO_CONTENT, ...ERRORS },
      },
    ),
    async (c) => {
      await releaseLease(deps, adminRequest(c), c.req.valid('param').leaseId);
      return c.body(null, 204);
    },
  );

  app.openapi(
    route(
      { role: 'agent' },
      {
        method: 'post',
        path: '/work/leases/{leaseId}/done',
        tags,
        summary: 'The message is handled: delete it from the queue',
        request: { params: LeaseParams },
        responses: { 204: NO_CONTENT, ...ERRORS },
      },
    ),
    async (c) => {
      await completeLease(deps, adminRequest(c), c.req.valid('param').leaseId);
      return c.body(null, 204);
    },
  );

  app.openapi(
    route(
      { role: 'agent' },
      {
        method: 'put',
        path: '/conversations/{conversationId}/presence',
        tags,
        summary: `Say the caller is viewing or answering the conversation; lapses ${PRESENCE_TTL_MS / 1000} s after the last call (renew about every 20 s)`,
        request: { params: ConversationParams, body: { content: { 'application/json': { schema: PresenceInputSchema } }, required: true } },
        responses: { 204: NO_CONTENT, ...ERRORS },
      },
    ),
    async (c) => {
      await markPresence(deps, adminRequest(c).caller, c.req.valid('param').conversationId, c.req.valid('json').state);
      return c.body(null, 204);
    },
  );

  app.openapi(
    route(
      { role: 'agent' },
      {
        method: 'delete',
        path: '/conversations/{conversationId}/presence',
        tags,
        summary: 'The caller left the conversation',
        request: { params: ConversationParams },
        responses: { 204: NO_CONTENT, ...ERRORS },
      },
    ),
    async (c) => {
      await leavePresence(deps, adminRequest(c).caller, c.req.valid('param').conversationId);
      return c.body(null, 204);
    },
  );

  app.openapi(
    route(
      { role: 'agent' },
      {
        method: 'get',
        path: '/conversations/{conversationId}/presence',
        tags,
        summary: 'Who has the conversation open now, viewing or answering',
        request: { params: ConversationParams },
        responses: { 200: json(PresenceSchema, 'The agents present, the caller marked `self`'), ...ERRORS },
      },
    ),
    async (c) => c.json({ agents: await presenceOn(deps, adminRequest(c).caller, c.req.valid('param').conversationId) }, 200),
  );
}
