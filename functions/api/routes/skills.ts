import { z } from '@hono/zod-openapi';
import { route } from '../roles.ts';
import { IdSchema } from '../../core/model/fields.ts';
import { NotFoundError } from '../../core/errors.ts';
import { createSkill, deleteSkill, updateSkill } from '../../core/admin/skill-admin.ts';
import { adminRequest, type AdminApp } from '../context.ts';
import type { AdminApiDeps } from '../deps.ts';
import { ERRORS, IfMatchHeaderSchema, json, jsonBody, PageQuerySchema, PRECONDITION, versioned, versionedJson, versionFrom } from '../http.ts';
import { SkillInputSchema, SkillOutSchema, SkillPageSchema, SkillPatchSchema } from '../schemas.ts';

const tags = ['skills'];
const SkillParams = z.object({ skill: IdSchema });

export function skillRoutes(app: AdminApp, deps: AdminApiDeps): void {
  app.openapi(
    route(
      { role: 'supervisor' },
      {
        method: 'get',
        path: '/skills',
        tags,
        summary: 'List skills with their queues',
        request: { query: PageQuerySchema },
        responses: { 200: json(SkillPageSchema, 'A page of skills'), ...ERRORS },
      },
    ),
    async (c) => {
      const page = await deps.skills.list(c.req.valid('query'));
      return c.json({ items: page.items.map(versioned), cursor: page.cursor }, 200);
    },
  );

  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'post',
        path: '/skills',
        tags,
        summary: 'Create a skill: its FIFO queue and dead-letter queue are created at once',
        request: jsonBody(SkillInputSchema),
        responses: { 201: json(SkillOutSchema, 'The skill'), ...ERRORS },
      },
    ),
    async (c) => {
      const stored = await createSkill(deps, adminRequest(c), c.req.valid('json'));
      return versionedJson(c, stored, 201, {}, { Location: `/skills/${stored.value.name}` });
    },
  );

  app.openapi(
    route(
      { role: 'supervisor' },
      {
        method: 'get',
        path: '/skills/{skill}',
        tags,
        summary: 'Read a skill',
        request: { params: SkillParams },
        responses: { 200: json(SkillOutSchema, 'The skill'), ...ERRORS },
      },
    ),
    async (c) => {
      const { skill } = c.req.valid('param');
      const stored = await deps.skills.get(skill);
      if (!stored) throw new NotFoundError(`skill ${skill} not found`);
      return versionedJson(c, stored, 200, {});
    },
  );

  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'patch',
        path: '/skills/{skill}',
        tags,
        summary: "Change a skill's description",
        request: { params: SkillParams, headers: IfMatchHeaderSchema, ...jsonBody(SkillPatchSchema) },
        responses: { 200: json(SkillOutSchema, 'The skill'), ...ERRORS, ...PRECONDITION },
      },
    ),
    async (c) => {
      const stored = await updateSkill(deps, adminRequest(c), c.req.valid('param').skill, c.req.valid('json'), versionFrom(c.req.header('if-match')));
      return versionedJson(c, stored, 200, {});
    },
  );

  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'delete',
        path: '/skills/{skill}',
        tags,
        summary: 'Delete a skill and its queues; refused while a channel or rule names it or messages wait',
        request: { params: SkillParams, headers: IfMatchHeaderSchema },
        responses: { 204: { description: 'Deleted' }, ...ERRORS, ...PRECONDITION },
      },
    ),
    async (c) => {
      await deleteSkill(deps, adminRequest(c), c.req.valid('param').skill, versionFrom(c.req.header('if-match')));
      return c.body(null, 204);
    },
  );
}
