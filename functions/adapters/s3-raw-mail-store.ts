import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { NotFoundError } from '../core/errors.ts';
import type { RawMailStore } from '../core/ports/inbound.ts';

/** Raw mail SES's S3 action wrote (SSE-KMS by bucket default: plain GetObject decrypts). */
export class S3RawMailStore implements RawMailStore {
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
}

/** True for S3's answer to a key that does not exist. */
export function isMissing(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return error.name === 'NoSuchKey' || error.name === 'NotFound' || status === 404;
}
