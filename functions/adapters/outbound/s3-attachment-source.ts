import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { AppError, DependencyError, NotFoundError, ValidationError } from '../../core/errors.ts';
import type { AttachmentRef } from '../../core/model/outbound-mail.ts';
import { MAX_MESSAGE_BYTES, assertMessageSize, base64Size } from '../../core/outbound/compose/message-size.ts';
import type { AttachmentContent, AttachmentSource } from '../../core/ports/composer.ts';
import { isMissing } from '../s3-raw-mail-store.ts';

export interface S3AttachmentSourceOptions {
  /** Bucket the agents' apps upload attachments to (through presigned URLs). */
  readonly uploadsBucket: string;
  /** Largest attachment accepted, counted as encoded. @default MAX_MESSAGE_BYTES */
  readonly maxBytes?: number;
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/**
 * Attachment bytes from S3: uploads by key in the uploads bucket (forwarded parts of inbound
 * messages are staged there when the reply is queued). The size of an upload is read (HeadObject) before it is fetched,
 * so a file too large to send is refused without downloading it.
 */
export class S3AttachmentSource implements AttachmentSource {
  private readonly maxBytes: number;

  constructor(
    private readonly client: S3Client,
    private readonly options: S3AttachmentSourceOptions,
  ) {
    this.maxBytes = options.maxBytes ?? MAX_MESSAGE_BYTES;
  }

  async fetch(ref: AttachmentRef): Promise<AttachmentContent> {
    if (ref.source === 'inbound') {
      // Parsing inbound MIME would put mailparser into the outbound bundle: `queueReply` copies a
      // forwarded attachment into the uploads when the reply is queued (`S3AttachmentStager`).
      throw new ValidationError('a forwarded attachment must be staged when the reply is queued', [{ path: 'attachments', message: 'not staged' }]);
    }
    const where = `s3://${this.options.uploadsBucket}/${ref.key}`;
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.options.uploadsBucket, Key: ref.key }));
      assertMessageSize(base64Size(head.ContentLength ?? 0), `attachment ${ref.filename}`, this.maxBytes);
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.options.uploadsBucket, Key: ref.key }));
      if (!out.Body) throw new NotFoundError(`attachment ${where} has no body`);
      const content = await out.Body.transformToByteArray();
      assertMessageSize(base64Size(content.byteLength), `attachment ${ref.filename}`, this.maxBytes);
      // The agent's app named the file and its type when it asked for the upload URL.
      return { filename: ref.filename, contentType: ref.contentType, content };
    } catch (error) {
      if (isMissing(error)) throw new NotFoundError(`attachment ${where} does not exist`);
      if (error instanceof AppError) throw error;
      const status = statusOf(error);
      const transient = status === undefined || status >= 500 || status === 429;
      throw new DependencyError(transient ? 'dependency-unavailable' : 'dependency-rejected', `reading attachment ${where} failed`, { cause: error });
    }
  }
}
