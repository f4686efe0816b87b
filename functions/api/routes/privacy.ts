import { z } from '@hono/zod-openapi';
import { privacyJobStatus, requestPrivacyJob, viewOf, type PrivacyJobView } from '../../core/governance/privacy-admin.ts';
import { PRIVACY_PHASES, type PrivacyJobKind } from '../../core/governance/privacy-job.ts';
import { AddressSchema, RecordIdSchema } from '../../core/model/fields.ts';
import { route } from '../roles.ts';
import { adminRequest, type AdminApp } from '../context.ts';
import type { AdminApiDeps } from '../deps.ts';
import { ERRORS, json, jsonBody } from '../http.ts';

const tags = ['privacy'];

const PrivacyRequestSchema = z
  .strictObject({
    address: AddressSchema.meta({ description: "The person's email address; matched in any case, also inside display names and encoded header words." }),
  })
  .meta({ id: 'PrivacyRequest' });

const PrivacyJobOutSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['export', 'erasure']),
    status: z.enum(['queued', 'running', 'done', 'failed']),
    address: z.string().nullable().meta({ description: 'The address; null once an erasure is done (the job keeps only its SHA-256).' }),
    progress: z.object({
      phase: z.enum(PRIVACY_PHASES),
      scannedItems: z.number().int().meta({ description: 'Table items read so far: a job reads the whole table once.' }),
      percent: z.number().int().min(0).max(100),
    }),
    counts: z
      .record(z.string(), z.number().int())
      .meta({ description: 'What the export found or the erasure did, by kind (conversations deleted, messages erased or redacted, raw mails redacted, …).' }),
    heldConversations: z
      .array(z.string())
      .meta({ description: 'Conversations under a legal hold: left untouched by an erasure (erase again once the hold is lifted).' }),
    configuration: z
      .array(z.string())
      .meta({ description: 'Settings naming the address (a routing rule, an agent): no job changes them; review them by hand.' }),
    requestedBy: z.string(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    error: z.string().nullable(),
    download: z
      .object({ url: z.string(), expiresAt: z.string(), bytes: z.number().int().nullable() })
      .nullable()
      .meta({ description: 'A finished export: a presigned link to its zip archive, valid for minutes (each link handed out is recorded in the audit log).' }),
  })
  .meta({ id: 'PrivacyJob' });

const JobParams = z.object({ jobId: RecordIdSchema });

function out(view: PrivacyJobView) {
  return { ...view, counts: { ...view.counts }, heldConversations: [...view.heldConversations], configuration: [...view.configuration] };
}

/**
 * Subject access and erasure (ADM-2): an admin asks for one address's data as a zip archive, or
 * for its erasure; both run as jobs (the whole table is read once), polled until done.
 */
export function privacyRoutes(app: AdminApp, deps: AdminApiDeps): void {
  const paths: Record<PrivacyJobKind, string> = { export: '/privacy/exports', erasure: '/privacy/erasures' };
  const summaries: Record<PrivacyJobKind, { create: string; description: string; status: string }> = {
    export: {
      create: 'Export everything held about one address (subject access) as a zip archive; answers the job',
      description:
        'Conversations the address is a party of with their messages (JSON with their text, the raw .eml, attachments), notes mentioning it, ' +
        'suppression entries, other records and audit entries naming it, and a manifest.json. Poll the job; once done it carries a short-lived download link.',
      status: "An export's progress; once done, a presigned download link to the archive",
    },
    erasure: {
      create: 'Erase one address: delete or redact everything held about it; answers the job',
      description:
        'The address gets a hashed account-wide suppression first (it is never mailed again). Its conversations are deleted; in a conversation shared ' +
        "with others, its messages become stubs and the others' messages, raw copies and records are redacted of it. Conversations under a legal hold are left " +
        'untouched and listed. Earlier exports of the address are deleted. Running it again is harmless. One audit record says what was done, without the address.',
      status: "An erasure's progress, and once done what it did",
    },
  };
  for (const kind of ['export', 'erasure'] as const) {
    app.openapi(
      route(
        { role: 'admin' },
        {
          method: 'post',
          path: paths[kind],
          tags,
          summary: summaries[kind].create,
          description: summaries[kind].description,
          request: jsonBody(PrivacyRequestSchema),
          responses: { 202: json(PrivacyJobOutSchema, 'The job, queued'), ...ERRORS },
        },
      ),
      async (c) => {
        const job = await requestPrivacyJob(deps, adminRequest(c), kind, c.req.valid('json').address);
        return c.json(out(viewOf(job)), 202);
      },
    );

    app.openapi(
      route(
        { role: 'admin' },
        {
          method: 'get',
          path: `${paths[kind]}/{jobId}`,
          tags,
          summary: summaries[kind].status,
          request: { params: JobParams },
          responses: { 200: json(PrivacyJobOutSchema, 'The job'), ...ERRORS },
        },
      ),
      async (c) => c.json(out(await privacyJobStatus(deps, adminRequest(c), kind, c.req.valid('param').jobId)), 200),
    );
  }
}
