import { DeleteObjectCommand, DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DependencyError } from '../core/errors.ts';
import type { AgedObjects, ExpiringMessage, RetentionObjects } from '../core/retention/ports.ts';
import { chunks } from './dynamo-util.ts';
import { INBOUND_ATTACHMENT_PREFIX } from './s3-attachment-links.ts';
import { outboundPlanKey } from './s3-outbound-plan-store.ts';

/** Keys one DeleteObjects request takes at most. */
const DELETE_BATCH = 1000;

/**
 * Expiry in the mail bucket: a message's objects (the raw copy, the attachments extracted for
 * download, the planned mail of one we sent) deleted by their known keys, so the function needs
 * no listing; and, for the sandbox, objects expired by age as a lifecycle rule expires them.
 */
export class S3RetentionObjects implements RetentionObjects, AgedObjects {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async deleteMessageObjects(message: ExpiringMessage, options: { readonly raw: boolean }): Promise<number> {
    const keys = [
      ...(options.raw && message.rawKey ? [message.rawKey] : []),
      // Extracted on a first download only; deleting a key that was never written is no error.
      ...Array.from({ length: message.attachmentCount }, (_, i) => `${INBOUND_ATTACHMENT_PREFIX}${message.messageId}/${i}`),
      ...(message.direction === 'outbound' ? [outboundPlanKey(message.channelId, message.messageId)] : []),
    ];
    return this.deleteKeys(keys);
  }

  async deleteRaw(key: string): Promise<number> {
    if (!key) return 0;
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    return 1;
  }

  async expireOlderThan(prefix: string, before: Date): Promise<number> {
    let deleted = 0;
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      const old = (page.Contents ?? []).filter((o) => o.Key && o.LastModified && o.LastModified.getTime() < before.getTime()).map((o) => o.Key as string);
      deleted += await this.deleteKeys(old);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return deleted;
  }

  /** Deletes keys in batches; returns how many S3 reports deleted (a key that was not there counts, as S3 reports it). */
  private async deleteKeys(keys: readonly string[]): Promise<number> {
    let deleted = 0;
    for (const batch of chunks(keys, DELETE_BATCH)) {
      const out = await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: false } }));
      const failed = out.Errors ?? [];
      // Retried: the expiry runs again (the stream redelivers, the next sweep finds the rest).
      if (failed.length > 0)
        throw new DependencyError(
          'dependency-unavailable',
          `S3 did not delete ${failed.length} object(s) of the mail bucket (${failed[0]?.Code ?? 'unknown'})`,
        );
      deleted += (out.Deleted ?? []).length;
    }
    return deleted;
  }
}
