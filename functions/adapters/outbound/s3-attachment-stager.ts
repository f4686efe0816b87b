import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DependencyError } from '../../core/errors.ts';
import type { AttachmentRef } from '../../core/model/outbound-mail.ts';
import { MAX_MESSAGE_BYTES, assertMessageSize, base64Size } from '../../core/outbound/compose/message-size.ts';
import { UPLOAD_PREFIX, stagedUploadPrefix } from '../../core/outbound/compose/upload-keys.ts';
import type { IdGenerator } from '../../core/ports/clock.ts';
import type { AttachmentStager } from '../../core/ports/composer.ts';
import type { RawMailStore } from '../../core/ports/inbound.ts';
import { isMissing } from '../s3-raw-mail-store.ts';

/** Where staged and uploaded attachments live in the mail bucket (the outbound function reads this prefix). */
export const OUTBOUND_UPLOAD_PREFIX = UPLOAD_PREFIX;

/**
 * Uploads looked up with HeadObject; forwarded attachments decoded from the raw inbound copy and
 * written under the channel's staging prefix.
 */
export class S3AttachmentStager implements AttachmentStager {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly rawMail: RawMailStore,
    private readonly ids: IdGenerator,
  ) {}

  async stage(ref: Extract<AttachmentRef, { source: 'inbound' }>, channelId: string): Promise<Extract<AttachmentRef, { source: 's3' }>> {
    const raw = await this.rawMail.get(ref.rawKey);
    // mailparser is loaded on the first forward, not when the admin function starts.
    const { extractInboundAttachment } = await import('./inbound-attachment.ts');
    const part = await extractInboundAttachment(raw, {
      ...(ref.partIndex !== undefined ? { partIndex: ref.partIndex } : {}),
      ...(ref.filename !== undefined ? { filename: ref.filename } : {}),
    });
    assertMessageSize(base64Size(part.content.byteLength), `attachment ${part.filename}`, MAX_MESSAGE_BYTES);
    const key = `${stagedUploadPrefix(channelId)}${this.ids.next()}/${encodeURIComponent(part.filename)}`;
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: part.content, ContentType: part.contentType }));
    return { source: 's3', key, filename: part.filename, contentType: part.contentType };
  }

  async enclose(
    mail: { readonly rawKey: string; readonly filename: string },
    channelId: string,
  ): Promise<{ readonly ref: Extract<AttachmentRef, { source: 's3' }>; readonly size: number }> {
    const raw = await this.rawMail.get(mail.rawKey);
    // A message/rfc822 part travels unencoded: its bytes are what the mail carries.
    assertMessageSize(raw.byteLength, `the forwarded mail ${mail.filename}`, MAX_MESSAGE_BYTES);
    const key = `${stagedUploadPrefix(channelId)}${this.ids.next()}/${encodeURIComponent(mail.filename)}`;
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: raw, ContentType: 'message/rfc822' }));
    return { ref: { source: 's3', key, filename: mail.filename, contentType: 'message/rfc822' }, size: raw.byteLength };
  }

  async sizeOf(key: string): Promise<number | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return head.ContentLength ?? 0;
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      // Without s3:ListBucket (not granted: no one lists the uploads) S3 answers 403, not 404, for a
      // missing key; the role may read every key below the uploads prefix, so a 403 there is "none".
      if (isMissing(error) || status === 403) return null;
      const transient = status === undefined || status >= 500 || status === 429;
      throw new DependencyError(transient ? 'dependency-unavailable' : 'dependency-rejected', `looking up upload ${key} failed`, { cause: error });
    }
  }
}
