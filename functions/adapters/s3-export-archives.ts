import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArchiveWriter, ExportArchives, ExportStaging } from '../core/ports/privacy.ts';
import { isMissing } from './s3-raw-mail-store.ts';

/** Where export archives and an export's staged findings are kept in the mail bucket (a lifecycle rule expires both). */
export const PRIVACY_PREFIX = 'privacy/';
export const EXPORT_ARCHIVE_PREFIX = `${PRIVACY_PREFIX}exports/`;
export const EXPORT_STAGING_PREFIX = `${PRIVACY_PREFIX}staging/`;
/** Seconds a download link works: long enough to start a download, short enough not to be passed around. */
export const DOWNLOAD_LINK_SECONDS = 300;

/** Parts already compressed (images, archives, PDFs): stored, not deflated again. */
const STORED = /\.(?:jpe?g|png|gif|webp|zip|gz|pdf|docx|xlsx|pptx|mp[34]|mov)$/i;

/**
 * Export archives as zip files (fflate, streaming) in the mail bucket under `privacy/exports/`:
 * written to a temporary file as entries are added (a person's mail can be large; memory holds
 * one entry at a time), then stored with one PutObject; downloaded through a presigned GET that
 * works `DOWNLOAD_LINK_SECONDS`. Staged findings of an export's scan are JSON objects under
 * `privacy/staging/<job>/`.
 */
export class S3ExportArchives implements ExportArchives, ExportStaging {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly options: { readonly tmpDir?: string; readonly linkSeconds?: number } = {},
  ) {}

  async create(jobId: string): Promise<ArchiveWriter> {
    // Loaded with the first archive: the admin function carries this adapter and never zips.
    const { Zip, ZipDeflate, ZipPassThrough } = await import('fflate');
    const dir = await mkdtemp(join(this.options.tmpDir ?? tmpdir(), 'postroom-export-'));
    const file = join(dir, 'export.zip');
    const out = createWriteStream(file);
    let failure: Error | null = null;
    let finished: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => {
      finished = resolve;
    });
    out.on('error', (error) => {
      failure = error;
      finished();
    });
    let waiting: Promise<void> | null = null;
    const zip = new Zip((error, chunk, final) => {
      if (error) {
        failure = error;
        finished();
        return;
      }
      // Backpressure: the next entry waits until the file has taken what is buffered.
      if (!out.write(chunk) && !waiting)
        waiting = new Promise((resolve) =>
          out.once('drain', () => {
            waiting = null;
            resolve();
          }),
        );
      if (final) out.end(() => finished());
    });
    const key = `${EXPORT_ARCHIVE_PREFIX}${jobId}.zip`;
    const cleanup = () => rm(dir, { recursive: true, force: true });
    return {
      add: async (path, data) => {
        if (failure) throw failure;
        const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
        const entry = STORED.test(path) ? new ZipPassThrough(path) : new ZipDeflate(path, { level: 6 });
        zip.add(entry);
        entry.push(bytes, true);
        if (waiting) await waiting;
      },
      close: async () => {
        zip.end();
        await ended;
        try {
          if (failure) throw failure;
          const bytes = (await stat(file)).size;
          await this.client.send(
            new PutObjectCommand({
              Bucket: this.bucket,
              Key: key,
              Body: createReadStream(file),
              ContentLength: bytes,
              ContentType: 'application/zip',
            }),
          );
          return { key, bytes };
        } finally {
          await cleanup();
        }
      },
      abort: async () => {
        zip.terminate();
        out.destroy();
        await cleanup();
      },
    };
  }

  async downloadUrl(archiveKey: string): Promise<{ url: string; expiresAt: string }> {
    const seconds = this.options.linkSeconds ?? DOWNLOAD_LINK_SECONDS;
    const name = archiveKey.slice(archiveKey.lastIndexOf('/') + 1);
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: archiveKey,
      ResponseContentDisposition: `attachment; filename="postroom-export-${name}"`,
    });
    const url = await getSignedUrl(this.client, command, { expiresIn: seconds });
    return { url, expiresAt: new Date(Date.now() + seconds * 1000).toISOString() };
  }

  async delete(archiveKey: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: archiveKey }));
  }

  async put(jobId: string, part: number, data: unknown): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: stagingKey(jobId, part), Body: JSON.stringify(data), ContentType: 'application/json' }),
    );
  }

  async get(jobId: string, part: number): Promise<unknown> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: stagingKey(jobId, part) }));
      return JSON.parse(out.Body ? await out.Body.transformToString('utf8') : '[]');
    } catch (error) {
      // A part gone (expired, or cleared by an erasure of the same person) stages nothing.
      if (isMissing(error)) return [];
      throw error;
    }
  }

  async clear(jobId: string): Promise<void> {
    let token: string | undefined;
    do {
      const out = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${EXPORT_STAGING_PREFIX}${jobId}/`, ...(token ? { ContinuationToken: token } : {}) }),
      );
      for (const o of out.Contents ?? []) if (o.Key) await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: o.Key }));
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }
}

function stagingKey(jobId: string, part: number): string {
  return `${EXPORT_STAGING_PREFIX}${jobId}/${String(part).padStart(6, '0')}.json`;
}
