import type { S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { ValidationError } from '../../core/errors.ts';
import { MAX_UPLOAD_BYTES, S3AttachmentRefSchema } from '../../core/model/outbound-mail.ts';
import { assertAttachmentFilename } from '../../core/outbound/compose/header-safety.ts';
import { agentUploadPrefix } from '../../core/outbound/compose/upload-keys.ts';
import type { IdGenerator } from '../../core/ports/clock.ts';
import { parseOrThrow } from '../../core/validation.ts';

export interface UploadUrlRequest {
  /** The uploading agent: the key is below their prefix, and only their replies (or a supervisor's for them) may attach it. */
  readonly agentId: string;
  readonly filename: string;
  readonly contentType: string;
  /** The file's size in bytes: S3 refuses an upload of any other size. */
  readonly size: number;
  /** Seconds the form stays valid. @default 900 */
  readonly expiresIn?: number;
}

export interface UploadForm {
  /** POST a `multipart/form-data` form here: every one of `fields`, then the file as the last field, `file`. */
  readonly url: string;
  /** Form fields to send as they are: the key, the Content-Type, the signed policy and its signature. */
  readonly fields: Readonly<Record<string, string>>;
  /** The reference to send with the reply once uploaded. */
  readonly ref: { readonly source: 's3'; readonly key: string; readonly filename: string; readonly contentType: string };
  readonly expiresIn: number;
}

/** A key segment from a filename: no path separators or characters S3 keys handle badly. */
function keySafe(filename: string): string {
  return (
    filename
      .replace(/[^A-Za-z0-9._-]+/g, '_')
      .replace(/^\.+/, '_')
      .slice(-100) || 'file'
  );
}

function outOfRange(field: string, message: string): ValidationError {
  return new ValidationError(`${field}: ${message}`, [{ path: field, message }]);
}

/**
 * A presigned POST (browser-based upload) for an attachment the agent's app uploads before
 * sending a reply, under `outbound/uploads/agents/AGENT/ID/FILENAME` (a lifecycle rule should
 * expire the prefix). The signed policy fixes the key, the Content-Type and the size: S3 refuses a file
 * larger or smaller than declared (`content-length-range`), which a presigned PUT cannot.
 * Throws `ValidationError` / `HeaderInjectionError` for a filename (a path, a line break), a
 * type that cannot go into a mail header, or a size or lifetime out of range.
 */
export async function presignAttachmentUpload(client: S3Client, bucket: string, ids: IdGenerator, request: UploadUrlRequest): Promise<UploadForm> {
  assertAttachmentFilename('filename', request.filename);
  const expiresIn = request.expiresIn ?? 900;
  if (!Number.isInteger(expiresIn) || expiresIn < 60 || expiresIn > 7 * 24 * 3600) throw outOfRange('expiresIn', 'whole seconds between 60 and 604800');
  if (!Number.isInteger(request.size) || request.size < 1 || request.size > MAX_UPLOAD_BYTES) {
    throw outOfRange('size', `whole bytes between 1 and ${MAX_UPLOAD_BYTES}`);
  }
  const key = `${agentUploadPrefix(request.agentId)}${ids.next()}/${keySafe(request.filename)}`;
  const ref = parseOrThrow(S3AttachmentRefSchema, { source: 's3', key, filename: request.filename, contentType: request.contentType }, 'attachment upload');
  // Fields become exact-match conditions of the policy: the upload must send this Content-Type.
  const form = await createPresignedPost(client, {
    Bucket: bucket,
    Key: key,
    Fields: { 'Content-Type': ref.contentType },
    Conditions: [['content-length-range', request.size, request.size]],
    Expires: expiresIn,
  });
  return { url: form.url, fields: form.fields, ref: { source: 's3', key: ref.key, filename: ref.filename, contentType: ref.contentType }, expiresIn };
}
