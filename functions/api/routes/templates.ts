import { z } from '@hono/zod-openapi';
import { route } from '../roles.ts';
import { NotFoundError } from '../../core/errors.ts';
import { channelOf } from '../../core/admin/rule-admin.ts';
import { deleteSignature, deleteTemplate, previewSignature, previewTemplate, putSignature, putTemplate } from '../../core/admin/template-admin.ts';
import { adminRequest, type AdminApp } from '../context.ts';
import type { AdminApiDeps } from '../deps.ts';
import { ERRORS, ETAG_HEADER, IfMatchHeaderSchema, PRECONDITION, PageQuerySchema, etagOf, json, jsonBody, optionalVersion, versionFrom, versioned } from '../http.ts';
import { PreviewInputSchema, PreviewSchema, SignatureInputSchema, SignatureOutSchema, TemplateInputSchema, TemplateOutSchema, TemplatePageSchema } from '../schemas.ts';

const TemplateParams = z.object({ channelId: z.string().min(1).max(100), name: z.string().min(1).max(40) });
const AgentParams = z.object({ agentId: z.string().min(1).max(200) });

/** Templates per channel and signatures per agent; PUT creates (no If-Match) or replaces (with it). */
export function templateRoutes(app: AdminApp, deps: AdminApiDeps): void {
  const tags = ['templates'];
  app.openapi(route({ role: 'agent' }, {
    method: 'get', path: '/channels/{channelId}/templates', tags, summary: 'A channel\'s templates',
    request: { params: TemplateParams.pick({ channelId: true }), query: PageQuerySchema },
    responses: { 200: json(TemplatePageSchema, 'A page of templates'), ...ERRORS },
  }), async (c) => {
    const { channelId } = c.req.valid('param');
    await channelOf(deps, channelId);
    const page = await deps.templates(channelId).list(c.req.valid('query'));
    return c.json({ items: page.items.map((t) => ({ ...versioned(t), channelId })), cursor: page.cursor }, 200);
  });

  app.openapi(route({ role: 'agent' }, {
    method: 'get', path: '/channels/{channelId}/templates/{name}', tags, summary: 'Read a template',
    request: { params: TemplateParams },
    responses: { 200: json(TemplateOutSchema, 'The template'), ...ERRORS },
  }), async (c) => {
    const { channelId, name } = c.req.valid('param');
    const stored = await deps.templates(channelId).get(name);
    if (!stored) throw new NotFoundError(`channel ${channelId} has no template ${name}`);
    return c.json({ ...versioned(stored), channelId }, 200, { [ETAG_HEADER]: etagOf(stored.version) });
  });

  app.openapi(route({ role: 'admin' }, {
    method: 'put', path: '/channels/{channelId}/templates/{name}', tags, summary: 'Create (without If-Match) or replace (with it) a template',
    request: { params: TemplateParams, headers: IfMatchHeaderSchema, ...jsonBody(TemplateInputSchema) },
    responses: { 200: json(TemplateOutSchema, 'The template'), ...ERRORS },
  }), async (c) => {
    const { channelId, name } = c.req.valid('param');
    const stored = await putTemplate(deps, adminRequest(c), channelId, name, c.req.valid('json'), optionalVersion(c.req.header('if-match')));
    return c.json({ ...versioned(stored), channelId }, 200, { [ETAG_HEADER]: etagOf(stored.version) });
  });

  app.openapi(route({ role: 'admin' }, {
    method: 'delete', path: '/channels/{channelId}/templates/{name}', tags, summary: 'Delete a template',
    request: { params: TemplateParams, headers: IfMatchHeaderSchema },
    responses: { 204: { description: 'Deleted' }, ...ERRORS, ...PRECONDITION },
  }), async (c) => {
    const { channelId, name } = c.req.valid('param');
    await deleteTemplate(deps, adminRequest(c), channelId, name, versionFrom(c.req.header('if-match')));
    return c.body(null, 204);
  });

  app.openapi(route({ role: 'agent' }, {
    method: 'post', path: '/channels/{channelId}/templates/{name}/preview', tags, summary: 'Render a reply with the template and an agent\'s signature',
    request: { params: TemplateParams, ...jsonBody(PreviewInputSchema) },
    responses: { 200: json(PreviewSchema, 'The rendered reply'), ...ERRORS },
  }), async (c) => {
    const { channelId, name } = c.req.valid('param');
    return c.json(await previewTemplate(deps, channelId, name, c.req.valid('json')), 200);
  });

  const sigTags = ['signatures'];
  app.openapi(route({ role: 'agent', own: true }, {
    method: 'get', path: '/agents/{agentId}/signature', tags: sigTags, summary: 'Read an agent\'s signature',
    request: { params: AgentParams },
    responses: { 200: json(SignatureOutSchema, 'The signature'), ...ERRORS },
  }), async (c) => {
    const { agentId } = c.req.valid('param');
    const stored = await deps.signatures.get(agentId);
    if (!stored) throw new NotFoundError(`agent ${agentId} has no signature`);
    return c.json({ ...versioned(stored), agentId }, 200, { [ETAG_HEADER]: etagOf(stored.version) });
  });

  app.openapi(route({ role: 'agent', own: true }, {
    method: 'put', path: '/agents/{agentId}/signature', tags: sigTags, summary: 'Create (without If-Match) or replace (with it) an agent\'s signature',
    request: { params: AgentParams, headers: IfMatchHeaderSchema, ...jsonBody(SignatureInputSchema) },
    responses: { 200: json(SignatureOutSchema, 'The signature'), ...ERRORS },
  }), async (c) => {
    const { agentId } = c.req.valid('param');
    const stored = await putSignature(deps, adminRequest(c), agentId, c.req.valid('json'), optionalVersion(c.req.header('if-match')));
    return c.json({ ...versioned(stored), agentId }, 200, { [ETAG_HEADER]: etagOf(stored.version) });
  });

  app.openapi(route({ role: 'agent', own: true }, {
    method: 'delete', path: '/agents/{agentId}/signature', tags: sigTags, summary: 'Delete an agent\'s signature',
    request: { params: AgentParams, headers: IfMatchHeaderSchema },
    responses: { 204: { description: 'Deleted' }, ...ERRORS, ...PRECONDITION },
  }), async (c) => {
    await deleteSignature(deps, adminRequest(c), c.req.valid('param').agentId, versionFrom(c.req.header('if-match')));
    return c.body(null, 204);
  });

  app.openapi(route({ role: 'agent', own: true }, {
    method: 'post', path: '/agents/{agentId}/signature/preview', tags: sigTags, summary: 'Render an agent\'s signature',
    request: { params: AgentParams },
    responses: { 200: json(PreviewSchema, 'The signature as HTML and text'), ...ERRORS },
  }), async (c) => c.json(await previewSignature(deps, c.req.valid('param').agentId), 200));
}
