import { z } from '@hono/zod-openapi';
import { agentOf, deleteAgent, putAgent } from '../../core/admin/agent-admin.ts';
import { AgentIdSchema } from '../../core/model/agent.ts';
import { adminRequest, type AdminApp } from '../context.ts';
import type { AdminApiDeps } from '../deps.ts';
import { ERRORS, IfMatchHeaderSchema, json, jsonBody, optionalVersion, PageQuerySchema, PRECONDITION, versioned, versionedJson, versionFrom } from '../http.ts';
import { route } from '../roles.ts';
import { AgentInputOutSchema, AgentOutSchema, AgentPageSchema, MeSchema } from '../schemas.ts';

const tags = ['agents'];
const Params = z.object({ agentId: AgentIdSchema });

/** Agents: who signs in as whom, with which role, channels and skills. Admins manage them; anyone reads themselves. */
export function agentRoutes(app: AdminApp, deps: AdminApiDeps): void {
  app.openapi(
    route(
      { role: 'agent' },
      {
        method: 'get',
        path: '/me',
        tags,
        summary: 'Who the caller is: agent id, role, display name, channels and skills',
        responses: { 200: json(MeSchema, 'The caller'), ...ERRORS },
      },
    ),
    (c) => {
      const caller = adminRequest(c).caller;
      return c.json({ ...caller, channels: [...caller.channels], skills: [...caller.skills] }, 200);
    },
  );

  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'get',
        path: '/agents',
        tags,
        summary: 'List agents',
        request: { query: PageQuerySchema },
        responses: { 200: json(AgentPageSchema, 'A page of agents'), ...ERRORS },
      },
    ),
    async (c) => {
      const page = await deps.agents.list(c.req.valid('query'));
      return c.json({ items: page.items.map(versioned), cursor: page.cursor }, 200);
    },
  );

  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'get',
        path: '/agents/{agentId}',
        tags,
        summary: 'Read an agent',
        request: { params: Params },
        responses: { 200: json(AgentOutSchema, 'The agent, with its ETag'), ...ERRORS },
      },
    ),
    async (c) => {
      const stored = await agentOf(deps, c.req.valid('param').agentId);
      return versionedJson(c, stored, 200, {});
    },
  );

  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'put',
        path: '/agents/{agentId}',
        tags,
        summary: 'Create (without If-Match) or replace (with it) an agent: role, display name, channels, skills, identities',
        request: { params: Params, headers: IfMatchHeaderSchema, ...jsonBody(AgentInputOutSchema) },
        responses: { 200: json(AgentOutSchema, 'The agent'), ...ERRORS },
      },
    ),
    async (c) => {
      const { agentId } = c.req.valid('param');
      const stored = await putAgent(deps, adminRequest(c), agentId, c.req.valid('json'), optionalVersion(c.req.header('if-match')));
      return versionedJson(c, stored, 200, {});
    },
  );

  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'delete',
        path: '/agents/{agentId}',
        tags,
        summary: 'Delete an agent (their identities sign in as nobody)',
        request: { params: Params, headers: IfMatchHeaderSchema },
        responses: { 204: { description: 'Deleted' }, ...ERRORS, ...PRECONDITION },
      },
    ),
    async (c) => {
      await deleteAgent(deps, adminRequest(c), c.req.valid('param').agentId, versionFrom(c.req.header('if-match')));
      return c.body(null, 204);
    },
  );
}
