import { z } from '@hono/zod-openapi';
import { route } from '../roles.ts';
import { ForbiddenError } from '../../core/errors.ts';
import { hasRole } from '../../core/model/agent.ts';
import { IdSchema } from '../../core/model/fields.ts';
import {
  deleteSignature,
  deleteTemplate,
  listTemplates,
  previewSignature,
  previewTemplate,
  putSignature,
  putTemplate,
  readSignature,
  readTemplate,
} from '../../core/admin/template-admin.ts';
import { adminRequest, type AdminApp } from '../context.ts';
import type { AdminApiDeps } from '../deps.ts';
import { ERRORS, IfMatchHeaderSchema, json, jsonBody, optionalVersion, PageQuerySchema, PRECONDITION, versioned, versionedJson, versionFrom } from '../http.ts';
import {
  PreviewInputSchema,
  PreviewSchema,
  SignatureInputSchema,
  SignatureOutSchema,
  TemplateInputSchema,
  TemplateOutSchema,
  TemplatePageSchema,
} from '../schemas.ts';

const TemplateParams = z.object({ channelId: IdSchema, name: IdSchema });
const AgentParams = z.object({ agentId: IdSchema });

const TEMPLATE_PUT =
  'Stored with its HTML sanitized (scripts, event handlers, `javascript:` URLs, frames and forms removed). ' +
  'Placeholders: `{{body}}` (required), `{{signature}}`, `{{ticketNumber}}`, `{{agentName}}`, `{{channelName}}`, `{{subject}}`; ' +
  'any other, and one inside a tag, attribute value or comment (placeholders belong in text content), is a 400 naming it. ' +
  'The sanitized HTML is checked against the same limits (length, nesting depth) and refused with a 400 "… (after sanitizing)". ' +
  "A reply renders with the template it names, else the channel's `default` template, " +
  "else the channel's inline `outbound.template`, else the built-in layout.";

/**
 * Templates per channel and signatures per agent; PUT creates (no If-Match) or replaces (with
 * it). HTML is sanitized on write and again on every read and preview.
 */
export function templateRoutes(app: AdminApp, deps: AdminApiDeps): void {
  const tags = ['templates'];
  app.openapi(
    route(
      { role: 'agent' },
      {
        method: 'get',
        path: '/channels/{channelId}/templates',
        tags,
        summary: "A channel's templates (HTML sanitized)",
        request: { params: TemplateParams.pick({ channelId: true }), query: PageQuerySchema },
        responses: { 200: json(TemplatePageSchema, 'A page of templates'), ...ERRORS },
      },
    ),
    async (c) => {
      const { channelId } = c.req.valid('param');
      const page = await listTemplates(deps, channelId, c.req.valid('query'));
      return c.json({ items: page.items.map((t) => ({ ...versioned(t), channelId })), cursor: page.cursor }, 200);
    },
  );

  app.openapi(
    route(
      { role: 'agent' },
      {
        method: 'get',
        path: '/channels/{channelId}/templates/{name}',
        tags,
        summary: 'Read a template (HTML sanitized)',
        request: { params: TemplateParams },
        responses: { 200: json(TemplateOutSchema, 'The template'), ...ERRORS },
      },
    ),
    async (c) => {
      const { channelId, name } = c.req.valid('param');
      const stored = await readTemplate(deps, channelId, name);
      return versionedJson(c, stored, 200, { channelId });
    },
  );

  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'put',
        path: '/channels/{channelId}/templates/{name}',
        tags,
        summary: 'Create (without If-Match) or replace (with it) a template',
        description: TEMPLATE_PUT,
        request: { params: TemplateParams, headers: IfMatchHeaderSchema, ...jsonBody(TemplateInputSchema) },
        responses: { 200: json(TemplateOutSchema, 'The template'), ...ERRORS },
      },
    ),
    async (c) => {
      const { channelId, name } = c.req.valid('param');
      const stored = await putTemplate(deps, adminRequest(c), channelId, name, c.req.valid('json'), optionalVersion(c.req.header('if-match')));
      return versionedJson(c, stored, 200, { channelId });
    },
  );

  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'delete',
        path: '/channels/{channelId}/templates/{name}',
        tags,
        summary: 'Delete a template',
        request: { params: TemplateParams, headers: IfMatchHeaderSchema },
        responses: { 204: { description: 'Deleted' }, ...ERRORS, ...PRECONDITION },
      },
    ),
    async (c) => {
      const { channelId, name } = c.req.valid('param');
      await deleteTemplate(deps, adminRequest(c), channelId, name, versionFrom(c.req.header('if-match')));
      return c.body(null, 204);
    },
  );

  app.openapi(
    route(
      { role: 'agent' },
      {
        method: 'post',
        path: '/channels/{channelId}/templates/{name}/preview',
        tags,
        summary: "Render a reply with the template and an agent's signature",
        description: 'The HTML and text of a reply with this template, rendered by the code that renders sent replies: the preview is the mail body.',
        request: { params: TemplateParams, ...jsonBody(PreviewInputSchema) },
        responses: { 200: json(PreviewSchema, 'The rendered reply'), ...ERRORS },
      },
    ),
    async (c) => {
      const { channelId, name } = c.req.valid('param');
      const input = c.req.valid('json');
      const { caller } = adminRequest(c);
      // An agent previews with their own signature; another agent's is a supervisor's to look at.
      if (input.agentId !== undefined && input.agentId !== caller.agentId && !hasRole(caller.role, 'supervisor')) {
        throw new ForbiddenError(`a preview as agent ${input.agentId} needs the supervisor role; leave agentId out or name yourself (${caller.agentId})`);
      }
      return c.json(await previewTemplate(deps, channelId, name, input), 200);
    },
  );

  const sigTags = ['signatures'];
  app.openapi(
    route(
      { role: 'agent', own: true },
      {
        method: 'get',
        path: '/agents/{agentId}/signature',
        tags: sigTags,
        summary: "Read an agent's signature (HTML sanitized)",
        request: { params: AgentParams },
        responses: { 200: json(SignatureOutSchema, 'The signature'), ...ERRORS },
      },
    ),
    async (c) => {
      const { agentId } = c.req.valid('param');
      const stored = await readSignature(deps, agentId);
      return versionedJson(c, stored, 200, { agentId });
    },
  );

  app.openapi(
    route(
      { role: 'agent', own: true },
      {
        method: 'put',
        path: '/agents/{agentId}/signature',
        tags: sigTags,
        summary: "Create (without If-Match) or replace (with it) an agent's signature",
        description:
          'Stored with its HTML sanitized, checked again after sanitizing (length, nesting depth); no `{{…}}` placeholders. ' +
          'Every later reply of the agent carries it; a reply cannot name another.',
        request: { params: AgentParams, headers: IfMatchHeaderSchema, ...jsonBody(SignatureInputSchema) },
        responses: { 200: json(SignatureOutSchema, 'The signature'), ...ERRORS },
      },
    ),
    async (c) => {
      const { agentId } = c.req.valid('param');
      const stored = await putSignature(deps, adminRequest(c), agentId, c.req.valid('json'), optionalVersion(c.req.header('if-match')));
      return versionedJson(c, stored, 200, { agentId });
    },
  );

  app.openapi(
    route(
      { role: 'agent', own: true },
      {
        method: 'delete',
        path: '/agents/{agentId}/signature',
        tags: sigTags,
        summary: "Delete an agent's signature",
        request: { params: AgentParams, headers: IfMatchHeaderSchema },
        responses: { 204: { description: 'Deleted' }, ...ERRORS, ...PRECONDITION },
      },
    ),
    async (c) => {
      await deleteSignature(deps, adminRequest(c), c.req.valid('param').agentId, versionFrom(c.req.header('if-match')));
      return c.body(null, 204);
    },
  );

  app.openapi(
    route(
      { role: 'agent', own: true },
      {
        method: 'post',
        path: '/agents/{agentId}/signature/preview',
        tags: sigTags,
        summary: "Render an agent's signature as replies carry it",
        request: { params: AgentParams },
        responses: { 200: json(PreviewSchema, 'The signature as HTML and text'), ...ERRORS },
      },
    ),
    async (c) => c.json(await previewSignature(deps, c.req.valid('param').agentId), 200),
  );
}
