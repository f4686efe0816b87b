import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ArchiveUploadForm, ImportArchives } from '../core/ports/import-jobs.ts';
import { isMissing } from './s3-raw-mail-store.ts';

/** The largest archive one presigned POST takes (S3's limit for a single POST upload). */
export const MAX_ARCHIVE_BYTES = 5 * 1024 ** 3;

/**
 * Uploaded archives in the mail bucket under `imports/` (a lifecycle rule expires the prefix):
 * uploaded with a presigned POST whose policy fixes the key and caps the size, read back into a
 * temporary file (Lambda's /tmp) for the streaming reader.
 */
export class S3ImportArchives implements ImportArchives {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async uploadForm(objectKey: string): Promise<ArchiveUploadForm> {
    const expiresIn = 3600;
    const form = await createPresignedPost(this.client, {
      Bucket: this.bucket,
      Key: objectKey,
      Expires: expiresIn,
      Conditions: [['content-length-range', 1, MAX_ARCHIVE_BYTES]],
    });
    return { url: form.url, fields: form.fields, expiresIn, maxBytes: MAX_ARCHIVE_BYTES };
  }

  async exists(objectKey: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  async localCopy(objectKey: string): Promise<{ readonly path: string; release(): Promise<void> }> {
    const dir = await mkdtemp(join(tmpdir(), 'postroom-import-'));
    const path = join(dir, 'archive');
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      await pipeline(out.Body as Readable, createWriteStream(path));
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    return { path, release: () => rm(dir, { recursive: true, force: true }) };
  }
}
