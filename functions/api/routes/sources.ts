import { z } from '@hono/zod-openapi';
import { route } from '../roles.ts';
import { IdSchema, RecordIdSchema } from '../../core/model/fields.ts';
import type { ImportJob } from '../../core/model/import-job.ts';
import { createImport, importStatus, pollNow, sourceStatus, startImport } from '../../core/admin/source-admin.ts';
import { adminRequest, type AdminApp } from '../context.ts';
import type { AdminApiDeps } from '../deps.ts';
import { ERRORS, json } from '../http.ts';
import { ImportCreatedOutSchema, ImportJobOutSchema, PollReportOutSchema, SourceStatusOutSchema } from '../schemas.ts';

const tags = ['mailbox sources'];
const Params = z.object({ channelId: IdSchema });
const ImportParams = z.object({ channelId: IdSchema, importId: RecordIdSchema });

/** A job as the API shows it: no storage key or version. */
function jobOut(job: ImportJob) {
  const { objectKey: _key, version: _version, position, ...rest } = job;
  return { ...rest, failures: [...job.failures], resumable: position !== null };
}

/** A channel's inbound source: its health and cursor, and a poll on demand. */
export function sourceRoutes(app: AdminApp, deps: AdminApiDeps): void {
  app.openapi(
    route(
      { role: 'supervisor' },
      {
        method: 'get',
        path: '/channels/{channelId}/source',
        tags,
        summary: "The channel's source: type, health and its reason, last poll, cursor and counts",
        request: { params: Params },
        responses: { 200: json(SourceStatusOutSchema, "The source's status; never a secret"), ...ERRORS },
      },
    ),
    async (c) => c.json(await sourceStatus(deps, c.req.valid('param').channelId), 200),
  );

  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'post',
        path: '/channels/{channelId}/source/poll',
        tags,
        summary: "Poll the channel's mailbox now; answers what the poll fetched",
        request: { params: Params },
        responses: { 200: json(PollReportOutSchema, 'What the poll did, message by message'), ...ERRORS },
      },
    ),
    async (c) => {
      const report = await pollNow(deps, adminRequest(c), c.req.valid('param').channelId);
      return c.json({ ...report, items: [...report.items] }, 200);
    },
  );

  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'post',
        path: '/channels/{channelId}/imports',
        tags,
        summary: 'Create an import of an existing mailbox archive (mbox or .eml); answers the upload form',
        description:
          'Upload the archive with the form (`multipart/form-data`: every field, then the file as `file`), then start the import. ' +
          'Messages become closed conversations threaded among themselves; nothing is queued or acknowledged; a re-run imports nothing twice.',
        request: { params: Params },
        responses: { 201: json(ImportCreatedOutSchema, 'The job and the presigned upload form'), ...ERRORS },
      },
    ),
    async (c) => {
      const { job, upload } = await createImport(deps, adminRequest(c), c.req.valid('param').channelId);
      return c.json({ import: jobOut(job), upload: { ...upload, fields: { ...upload.fields } } }, 201);
    },
  );

  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'post',
        path: '/channels/{channelId}/imports/{importId}/start',
        tags,
        summary: 'Start an import whose archive is uploaded (starting it again changes nothing)',
        request: { params: ImportParams },
        responses: { 202: json(ImportJobOutSchema, 'The job, queued'), ...ERRORS },
      },
    ),
    async (c) => {
      const { channelId, importId } = c.req.valid('param');
      return c.json(jobOut(await startImport(deps, adminRequest(c), channelId, importId)), 202);
    },
  );

  app.openapi(
    route(
      { role: 'supervisor' },
      {
        method: 'get',
        path: '/channels/{channelId}/imports/{importId}',
        tags,
        summary: "An import's progress: status, counts (imported, duplicates skipped, failed) and the first failure reasons",
        request: { params: ImportParams },
        responses: { 200: json(ImportJobOutSchema, 'The job'), ...ERRORS },
      },
    ),
    async (c) => {
      const { channelId, importId } = c.req.valid('param');
      return c.json(jobOut(await importStatus(deps, channelId, importId)), 200);
    },
  );
}
