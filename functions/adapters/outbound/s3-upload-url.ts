import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ConfigError, ValidationError } from '../../core/errors.ts';
import { S3AttachmentRefSchema } from '../../core/model/outbound-mail.ts';
import { assertAttachmentFilename } from '../../core/outbound/header-safety.ts';
import { OUTBOUND_UPLOAD_PREFIX } from './s3-attachment-stager.ts';
import type { IdGenerator } from '../../core/ports/clock.ts';
import { parseOrThrow } from '../../core/validation.ts';

export interface UploadUrlRequest {
  readonly channelId: string;
  readonly filename: string;
  readonly contentType: string;
  /** Seconds the URL stays valid. @default 900 */
  readonly expiresIn?: number;
}

export interface UploadUrl {
  /** PUT the file here, with the same Content-Type. */
  readonly url: string;
  /** The reference to send with the reply once uploaded. */
  readonly ref: { readonly source: 's3'; readonly key: string; readonly filename: string; readonly contentType: string };
  readonly expiresIn: number;
}

/** A key segment from a filename: no path separators or characters S3 keys handle badly. */
function keySafe(filename: string): string {
  return filename.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_').slice(-100) || 'file';
}

/**
 * A presigned PUT URL for an attachment the agent's app uploads before sending a reply, under
 * `outbound/uploads/CHANNEL/ID/FILENAME` in the uploads bucket (a lifecycle rule should expire the
 * prefix). The Content-Type is signed, so the upload must declare the type the reference names.
 * Throws `ValidationError` / `HeaderInjectionError` for a filename (a path, a line break) or a
 * type that cannot go into a mail header.
 *
 * The client must be built with `requestChecksumCalculation: 'WHEN_REQUIRED'`: by default the
 * SDK signs a CRC32 of the (empty) body into the URL, and S3 then refuses every real upload
 * with a checksum mismatch. A URL carrying a checksum is a `ConfigError`, not a broken upload.
 */
export async function presignAttachmentUpload(client: S3Client, bucket: string, ids: IdGenerator, request: UploadUrlRequest): Promise<UploadUrl> {
  assertAttachmentFilename('filename', request.filename);
  const expiresIn = request.expiresIn ?? 900;
  if (!Number.isInteger(expiresIn) || expiresIn < 60 || expiresIn > 7 * 24 * 3600) {
    throw new ValidationError('expiresIn must be whole seconds between 60 and 604800', [{ path: 'expiresIn', message: 'out of range' }]);
  }
  const key = `${OUTBOUND_UPLOAD_PREFIX}${encodeURIComponent(request.channelId)}/${ids.next()}/${keySafe(request.filename)}`;
  const ref = parseOrThrow(S3AttachmentRefSchema, { source: 's3', key, filename: request.filename, contentType: request.contentType }, 'attachment upload');
  // content-type as a signed header (not hoisted to the query): the upload must send that type.
  const url = await getSignedUrl(client, new PutObjectCommand({ Bucket: bucket, Key: key, ContentType: ref.contentType }), {
    expiresIn,
    signableHeaders: new Set(['content-type']),
  });
  if (/[?&]x-amz-checksum-/i.test(url)) {
    throw new ConfigError("the S3 client signs a body checksum into upload URLs; build it with requestChecksumCalculation: 'WHEN_REQUIRED'");
  }
  return { url, ref: { source: 's3', key: ref.key, filename: ref.filename, contentType: ref.contentType }, expiresIn };
}
