import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AttachmentRef } from '../../core/model/outbound-mail.ts';
import { MAX_MESSAGE_BYTES, assertMessageSize, base64Size } from '../../core/outbound/message-size.ts';
import type { IdGenerator } from '../../core/ports/clock.ts';
import type { AttachmentStager } from '../../core/ports/composer.ts';
import type { RawMailStore } from '../../core/ports/inbound.ts';

/** Where staged and uploaded attachments live in the mail bucket (the outbound function reads this prefix). */
export const OUTBOUND_UPLOAD_PREFIX = 'outbound/uploads/';

/** Forwarded attachments decoded from the raw inbound copy and written under the uploads prefix. */
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
    const part = await extractInboundAttachment(raw, { ...(ref.partIndex !== undefined ? { partIndex: ref.partIndex } : {}), ...(ref.filename !== undefined ? { filename: ref.filename } : {}) });
    assertMessageSize(base64Size(part.content.byteLength), `attachment ${part.filename}`, MAX_MESSAGE_BYTES);
    const key = `${OUTBOUND_UPLOAD_PREFIX}${encodeURIComponent(channelId)}/${this.ids.next()}/${encodeURIComponent(part.filename)}`;
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: part.content, ContentType: part.contentType }));
    return { source: 's3', key, filename: part.filename, contentType: part.contentType };
  }
}
