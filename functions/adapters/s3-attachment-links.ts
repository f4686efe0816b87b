import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../core/errors.ts';
import type { InboundStoredMessage } from '../core/model/stored-message.ts';
import type { AttachmentLinks, UploadLink } from '../core/ports/admin.ts';
import type { RawMailStore } from '../core/ports/inbound.ts';
import { OUTBOUND_UPLOAD_PREFIX } from './outbound/s3-attachment-stager.ts';
import { presignAttachmentUpload } from './outbound/s3-upload-url.ts';

/** Prefix of files uploaded for replies: where the outbound function reads attachments. */
export const OUTBOUND_ATTACHMENT_PREFIX = OUTBOUND_UPLOAD_PREFIX;
/** Prefix of attachments extracted from inbound mail for download. */
export const INBOUND_ATTACHMENT_PREFIX = 'attachments/';

export interface S3AttachmentLinksOptions {
  readonly bucket: string;
  /** How long a link works. @default 300 */
  readonly expiresSeconds?: number;
}

// type/subtype (RFC 6838 §4.2), the most of a customer's Content-Type the download's header repeats.
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;

/** A content type safe in a Content-Type header: a broken one (a control character is refused by the HTTP client) is sent as octets. */
function safeType(type: string): string {
  return MEDIA_TYPE.test(type) ? type : 'application/octet-stream';
}

/** A file name safe in an object key and a Content-Disposition header. */
function safeName(name: string | null, fallback: string): string {
  const cleaned = (name ?? '')
    .replace(/[^\w.\- ]+/g, '_')
    .trim()
    .slice(0, 120);
  return cleaned || fallback;
}

/**
 * Short-lived presigned URLs in the mail bucket. Inbound attachments are extracted from the raw
 * copy on the first download (mailparser, loaded only then) and stored under
 * `attachments/<messageId>/<index>`, matched by checksum so the index is the stored message's.
 */
export class S3AttachmentLinks implements AttachmentLinks {
  constructor(
    private readonly client: S3Client,
    private readonly raw: RawMailStore,
    private readonly options: S3AttachmentLinksOptions,
  ) {}

  async download(message: InboundStoredMessage, index: number): Promise<{ url: string; expiresAt: string }> {
    const attachment = message.attachments[index];
    if (!attachment) throw new NotFoundError(`message ${message.messageId} has no attachment ${index}`);
    const key = `${INBOUND_ATTACHMENT_PREFIX}${message.messageId}/${index}`;
    const filename = safeName(attachment.filename, `attachment-${index}`);
    if (!(await this.exists(key))) {
      const raw = await this.raw.get(message.rawKey);
      const { simpleParser } = await import('mailparser');
      const parsed = await simpleParser(Buffer.from(raw), { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true });
      const found = parsed.attachments.find((a) => attachment.checksum !== null && a.checksum === attachment.checksum) ?? parsed.attachments[index];
      if (!found) throw new NotFoundError(`attachment ${index} of message ${message.messageId} is not in its raw copy`);
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          Body: found.content,
          ContentType: safeType(attachment.contentType),
          ContentDisposition: `attachment; filename="${filename}"`,
        }),
      );
    }
    return this.sign(new GetObjectCommand({ Bucket: this.options.bucket, Key: key, ResponseContentDisposition: `attachment; filename="${filename}"` }));
  }

  /**
   * A presigned POST form for a reply attachment, under the uploading agent's prefix below the
   * uploads the outbound function reads: the filename and content type checked as a header takes them, the size fixed by the policy.
   */
  async upload(input: { readonly agentId: string; readonly filename: string; readonly contentType: string; readonly size: number }): Promise<UploadLink> {
    const seconds = this.options.expiresSeconds ?? 300;
    const signed = await presignAttachmentUpload(
      this.client,
      this.options.bucket,
      { next: () => randomUUID() },
      {
        agentId: input.agentId,
        filename: safeName(input.filename, 'attachment'),
        contentType: input.contentType,
        size: input.size,
        expiresIn: Math.max(60, seconds),
      },
    );
    return { url: signed.url, fields: signed.fields, key: signed.ref.key, expiresAt: new Date(Date.now() + signed.expiresIn * 1000).toISOString() };
  }

  private async sign(command: GetObjectCommand): Promise<{ url: string; expiresAt: string }> {
    const seconds = this.options.expiresSeconds ?? 300;
    const url = await getSignedUrl(this.client, command, { expiresIn: seconds });
    return { url, expiresAt: new Date(Date.now() + seconds * 1000).toISOString() };
  }

  private async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return true;
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || (error instanceof Error && /NotFound|NoSuchKey/.test(error.name))) return false;
      throw error;
    }
  }
}
