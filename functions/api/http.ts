import type { Context } from 'hono';
import { z } from 'zod';
import { ValidationError } from '../core/errors.ts';
import type { Versioned } from '../core/ports/admin.ts';
import { ErrorBodySchema, PreconditionRequiredError } from './errors.ts';

export const ETAG_HEADER = 'ETag';

export function etagOf(version: number): string {
  return `"${version}"`;
}

/** The version an `If-Match` header names (`"3"`, `W/"3"`); 428 when absent, 400 when it is no ETag of ours. */
export function versionFrom(header: string | undefined): number {
  if (header === undefined || header.trim() === '') throw new PreconditionRequiredError();
  const match = /^\s*(?:W\/)?"(\d{1,15})"\s*$/.exec(header);
  if (!match?.[1])
    throw new ValidationError('If-Match: not an ETag of this API (e.g. "3")', [{ path: 'If-Match', message: 'not an ETag of this API, e.g. "3"' }]);
  return Number(match[1]);
}

/** The version `If-Match` names, or null without one (a create-or-replace route). */
export function optionalVersion(header: string | undefined): number | null {
  return header === undefined || header.trim() === '' ? null : versionFrom(header);
}

export const PageQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(25).meta({ description: 'Items per page (1–100).' }),
  cursor: z.string().max(2000).optional().meta({ description: 'The `cursor` of the previous page.' }),
});

/** A page of `item`s: `cursor` is null on the last page. */
export function pageOf<T extends z.ZodType>(item: T, id: string) {
  return z.object({ items: z.array(item), cursor: z.string().nullable() }).meta({ id });
}

/** Fields every versioned resource carries besides its own. */
export const VersionFields = {
  version: z.number().int().meta({ description: 'Bumped by every write; the ETag is `"<version>"`.' }),
  updatedAt: z.string(),
  managedBy: z
    .enum(['config', 'api'])
    .meta({ description: '`config`: the deploy config may still rewrite it; `api`: changed through the API, a redeploy never overwrites it.' }),
};

export function versioned<T extends object>(v: Versioned<T>): T & { version: number; updatedAt: string; managedBy: 'config' | 'api' } {
  return { ...v.value, version: v.version, updatedAt: v.updatedAt, managedBy: v.managedBy };
}

/**
 * The answer of one versioned resource: its value with the version fields (and `extra`, such as
 * the path id of a sub-resource) as JSON, its ETag in the header, any other headers given.
 */
export function versionedJson<T extends object, X extends object, S extends 200 | 201>(
  c: Context,
  stored: Versioned<T>,
  status: S,
  extra: X,
  headers: Record<string, string> = {},
) {
  return c.json({ ...versioned(stored), ...extra }, status, { [ETAG_HEADER]: etagOf(stored.version), ...headers });
}

const error = (description: string) => ({ description, content: { 'application/json': { schema: ErrorBodySchema } } });

/** The error answers every authenticated route can give. */
export const ERRORS = {
  400: error('Bad input: each field with its problem'),
  401: error('No or invalid credentials'),
  404: error('Not found'),
  409: error('Version conflict, or a resource that exists or is in use'),
  413: error('The body (or the mail of a dry run) is over its size limit'),
  415: error('The body is not in the content type the route reads (application/json; message/rfc822 for a dry run)'),
  422: error('Refused by a rule of the product'),
  503: error('Busy or a dependency is unavailable; retry (see Retry-After)'),
} as const;

export const PRECONDITION = { 428: error('If-Match missing: read the resource and send its ETag') } as const;

export const IfMatchHeaderSchema = z.object({
  'if-match': z.string().optional().meta({ description: 'ETag of the version read, e.g. `"3"`; required for updates and deletes.' }),
});

export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

export function jsonBody<T extends z.ZodType>(schema: T) {
  return { body: { content: { 'application/json': { schema } }, required: true } };
}
