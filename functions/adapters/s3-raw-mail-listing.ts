import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { RawMailListing, RawMailPage } from '../core/inbound/reconcile.ts';

/**
 * Raw mail objects under one prefix of the mail bucket, a page of up to `pageSize` keys per
 * ListObjectsV2 call. S3 lists by key only: the window by time is the caller's filter.
 */
export class S3RawMailListing implements RawMailListing {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
    private readonly pageSize = 1000,
  ) {}

  async list(cursor: string | null): Promise<RawMailPage> {
    const out = await this.client.send(
      new ListObjectsV2Command({
        Bucket: this.bucket,
        Prefix: this.prefix,
        MaxKeys: this.pageSize,
        ...(cursor === null ? {} : { ContinuationToken: cursor }),
      }),
    );
    const objects = (out.Contents ?? []).flatMap((o) => (o.Key && o.LastModified ? [{ key: o.Key, lastModified: o.LastModified.toISOString() }] : []));
    return { objects, cursor: out.IsTruncated && out.NextContinuationToken ? out.NextContinuationToken : null };
  }
}
