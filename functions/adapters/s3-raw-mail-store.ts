import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { NotFoundError } from '../core/errors.ts';
import type { RawMailStore } from '../core/ports/inbound.ts';
import type { RawMailWriter } from '../core/ports/source-state.ts';

/** Raw mail SES's S3 action wrote, or a mailbox source or an import (SSE-KMS by bucket default: plain GetObject decrypts). */
export class S3RawMailStore implements RawMailStore, RawMailWriter {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async get(key: string): Promise<Uint8Array> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!out.Body) throw new NotFoundError(`raw mail s3://${this.bucket}/${key} has no body`);
      return await out.Body.transformToByteArray();
    } catch (error) {
      if (isMissing(error)) throw new NotFoundError(`raw mail s3://${this.bucket}/${key} does not exist`);
      throw error;
    }
  }

  async put(key: string, raw: Uint8Array): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: raw, ContentType: 'message/rfc822' }));
  }
}

/** True for S3's answer to a key that does not exist. */
export function isMissing(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return error.name === 'NoSuchKey' || error.name === 'NotFound' || status === 404;
}
