import { z } from '@hono/zod-openapi';
import { route } from '../roles.ts';
import { IdSchema } from '../../core/model/fields.ts';
import { createChannel, deleteChannel, patchChannel, replaceChannel } from '../../core/admin/channel-admin.ts';
import { channelOf } from '../../core/admin/rule-admin.ts';
import { dryRun } from '../../core/admin/dry-run.ts';
import { adminRequest, type AdminApp } from '../context.ts';
import type { AdminApiDeps } from '../deps.ts';
import { ERRORS, IfMatchHeaderSchema, json, jsonBody, PageQuerySchema, PRECONDITION, versioned, versionedJson, versionFrom } from '../http.ts';
import {
  ChannelInputSchema,
  ChannelPageSchema,
  ChannelPatchSchema,
  ChannelSchema,
  ChannelWriteSchema,
  DryRunQuerySchema,
  DryRunResultSchema,
} from '../schemas.ts';

const tags = ['channels'];
const ChannelParams = z.object({ channelId: IdSchema });

export function channelRoutes(app: AdminApp, deps: AdminApiDeps): void {
  app.openapi(
    route(
      { role: 'supervisor' },
      {
        method: 'get',
        path: '/channels',
        tags,
        summary: 'List channels',
        request: { query: PageQuerySchema },
        responses: { 200: json(ChannelPageSchema, 'A page of channels'), ...ERRORS },
      },
    ),
    async (c) => {
      const page = await deps.channels.list(c.req.valid('query'));
      return c.json({ items: page.items.map(versioned), cursor: page.cursor }, 200);
    },
  );

  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'post',
        path: '/channels',
        tags,
        summary: 'Create a channel (it receives mail at once, no redeploy)',
        request: jsonBody(ChannelInputSchema),
        responses: { 201: json(ChannelSchema, 'The channel'), ...ERRORS },
      },
    ),
    async (c) => {
      const stored = await createChannel(deps, adminRequest(c), c.req.valid('json'));
      return versionedJson(c, stored, 201, {}, { Location: `/channels/${stored.value.id}` });
    },
  );

  app.openapi(
    route(
      { role: 'supervisor' },
      {
        method: 'get',
        path: '/channels/{channelId}',
        tags,
        summary: 'Read a channel',
        request: { params: ChannelParams },
        responses: { 200: json(ChannelSchema, 'The channel, with its ETag'), ...ERRORS },
      },
    ),
    async (c) => {
      const stored = await channelOf(deps, c.req.valid('param').channelId);
      return versionedJson(c, stored, 200, {});
    },
  );

  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'put',
        path: '/channels/{channelId}',
        tags,
        summary: "Replace a channel's settings",
        request: { params: ChannelParams, headers: IfMatchHeaderSchema, ...jsonBody(ChannelInputSchema) },
        responses: { 200: json(ChannelWriteSchema, 'The channel, and the secrets the change cleared'), ...ERRORS, ...PRECONDITION },
      },
    ),
    async (c) => {
      const { channelId } = c.req.valid('param');
      const stored = await replaceChannel(deps, adminRequest(c), channelId, c.req.valid('json'), versionFrom(c.req.header('if-match')));
      return versionedJson(c, stored, 200, { credentialsCleared: [...stored.credentialsCleared] });
    },
  );

  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'patch',
        path: '/channels/{channelId}',
        tags,
        summary: "Change some of a channel's settings",
        request: { params: ChannelParams, headers: IfMatchHeaderSchema, ...jsonBody(ChannelPatchSchema) },
        responses: { 200: json(ChannelWriteSchema, 'The channel, and the secrets the change cleared'), ...ERRORS, ...PRECONDITION },
      },
    ),
    async (c) => {
      const { channelId } = c.req.valid('param');
      const stored = await patchChannel(deps, adminRequest(c), channelId, c.req.valid('json'), versionFrom(c.req.header('if-match')));
      return versionedJson(c, stored, 200, { credentialsCleared: [...stored.credentialsCleared] });
    },
  );

  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'delete',
        path: '/channels/{channelId}',
        tags,
        summary: 'Delete a channel (its addresses stop receiving)',
        request: { params: ChannelParams, headers: IfMatchHeaderSchema },
        responses: { 204: { description: 'Deleted' }, ...ERRORS, ...PRECONDITION },
      },
    ),
    async (c) => {
      await deleteChannel(deps, adminRequest(c), c.req.valid('param').channelId, versionFrom(c.req.header('if-match')));
      return c.body(null, 204);
    },
  );

  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'post',
        path: '/channels/{channelId}/dry-run',
        tags: ['rules'],
        summary: 'What the channel would do with a mail: lane, tags, thread decision and skill with their reasons; stores nothing',
        request: {
          params: ChannelParams,
          query: DryRunQuerySchema,
          body: { content: { 'message/rfc822': { schema: z.string().meta({ format: 'binary', description: 'The raw .eml' }) } }, required: true },
        },
        responses: { 200: json(DryRunResultSchema, 'The decision'), ...ERRORS },
      },
    ),
    async (c) => {
      const { channelId } = c.req.valid('param');
      const q = c.req.valid('query');
      const raw = new Uint8Array(await c.req.arrayBuffer());
      const verdicts = {
        ...(q.spam ? { spamVerdict: q.spam } : {}),
        ...(q.virus ? { virusVerdict: q.virus } : {}),
        ...(q.spf ? { spfVerdict: q.spf } : {}),
        ...(q.dkim ? { dkimVerdict: q.dkim } : {}),
        ...(q.dmarc ? { dmarcVerdict: q.dmarc } : {}),
      };
      const recipients = q.recipients
        ?.split(',')
        .map((r) => r.trim().toLowerCase())
        .filter((r) => r.length > 0);
      const result = await dryRun(deps, { channelId, raw, verdicts, recipients });
      return c.json(
        {
          ...result,
          tags: [...result.tags],
          rejectedAttachments: [...result.rejectedAttachments],
          thread: { ...result.thread, flags: [...result.thread.flags], signals: [...result.thread.signals] },
        },
        200,
      );
    },
  );
}
