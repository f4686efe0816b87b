import { z } from '@hono/zod-openapi';
import { route } from '../roles.ts';
import { IdSchema } from '../../core/model/fields.ts';
import { addRule, channelOf, deleteRule, replaceRules } from '../../core/admin/rule-admin.ts';
import type { ChannelResource } from '../../core/model/admin-resources.ts';
import type { Versioned } from '../../core/ports/admin.ts';
import { adminRequest, type AdminApp } from '../context.ts';
import type { AdminApiDeps } from '../deps.ts';
import { ERRORS, ETAG_HEADER, IfMatchHeaderSchema, PRECONDITION, etagOf, json, jsonBody, versionFrom } from '../http.ts';
import { RuleInputSchema, RulesInputSchema, RulesSchema } from '../schemas.ts';

const tags = ['rules'];
const ChannelParams = z.object({ channelId: IdSchema });

function rulesOf(channel: Versioned<ChannelResource>) {
  return { channelId: channel.value.id, rules: channel.value.routing, version: channel.version };
}

/** A channel's ordered routing rules; they share the channel's ETag. */
export function ruleRoutes(app: AdminApp, deps: AdminApiDeps): void {
  app.openapi(
    route(
      { role: 'supervisor' },
      {
        method: 'get',
        path: '/channels/{channelId}/rules',
        tags,
        summary: "A channel's routing rules, in the order they are tried",
        request: { params: ChannelParams },
        responses: { 200: json(RulesSchema, "The rules, with the channel's ETag"), ...ERRORS },
      },
    ),
    async (c) => {
      const channel = await channelOf(deps, c.req.valid('param').channelId);
      return c.json(rulesOf(channel), 200, { [ETAG_HEADER]: etagOf(channel.version) });
    },
  );

  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'put',
        path: '/channels/{channelId}/rules',
        tags,
        summary: 'Replace the whole ordered list',
        request: { params: ChannelParams, headers: IfMatchHeaderSchema, ...jsonBody(RulesInputSchema) },
        responses: { 200: json(RulesSchema, 'The rules'), ...ERRORS, ...PRECONDITION },
      },
    ),
    async (c) => {
      const channel = await replaceRules(
        deps,
        adminRequest(c),
        c.req.valid('param').channelId,
        c.req.valid('json').rules,
        versionFrom(c.req.header('if-match')),
      );
      return c.json(rulesOf(channel), 200, { [ETAG_HEADER]: etagOf(channel.version) });
    },
  );

  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'post',
        path: '/channels/{channelId}/rules',
        tags,
        summary: 'Add a rule at a position (last by default)',
        request: { params: ChannelParams, headers: IfMatchHeaderSchema, ...jsonBody(RuleInputSchema) },
        responses: { 201: json(RulesSchema, 'The rules'), ...ERRORS, ...PRECONDITION },
      },
    ),
    async (c) => {
      const { position, ...rule } = c.req.valid('json');
      const channel = await addRule(deps, adminRequest(c), c.req.valid('param').channelId, rule, position, versionFrom(c.req.header('if-match')));
      return c.json(rulesOf(channel), 201, { [ETAG_HEADER]: etagOf(channel.version) });
    },
  );

  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'delete',
        path: '/channels/{channelId}/rules/{ruleName}',
        tags,
        summary: 'Remove a rule',
        request: { params: ChannelParams.extend({ ruleName: IdSchema }), headers: IfMatchHeaderSchema },
        responses: { 200: json(RulesSchema, 'The rules left'), ...ERRORS, ...PRECONDITION },
      },
    ),
    async (c) => {
      const { channelId, ruleName } = c.req.valid('param');
      const channel = await deleteRule(deps, adminRequest(c), channelId, ruleName, versionFrom(c.req.header('if-match')));
      return c.json(rulesOf(channel), 200, { [ETAG_HEADER]: etagOf(channel.version) });
    },
  );
}
