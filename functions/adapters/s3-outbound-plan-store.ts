import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { NotFoundError } from '../core/errors.ts';
import { OutboundMailSchema, type OutboundMail } from '../core/model/outbound-mail.ts';
import type { OutboundPlanStore } from '../core/ports/outbound-store.ts';
import { isMissing } from './s3-raw-mail-store.ts';

/** Where planned mails are kept in the mail bucket (its lifecycle rule expires them with the raw mail). */
export const OUTBOUND_PLAN_PREFIX = 'outbound/plans/';

/** Planned outbound mails as JSON objects in the mail bucket, one per outbound message. */
export class S3OutboundPlanStore implements OutboundPlanStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async put(mail: OutboundMail, postroomMessageId: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: outboundPlanKey(mail.channelId, postroomMessageId),
        Body: JSON.stringify(mail),
        ContentType: 'application/json',
      }),
    );
  }

  async get(channelId: string, postroomMessageId: string): Promise<OutboundMail> {
    const key = outboundPlanKey(channelId, postroomMessageId);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!out.Body) throw new NotFoundError(`no planned mail at ${key}`);
      return OutboundMailSchema.parse(JSON.parse(await out.Body.transformToString('utf8')));
    } catch (error) {
      if (isMissing(error)) throw new NotFoundError(`no planned mail at ${key}`);
      throw error;
    }
  }
}

/** Where the planned mail of a message is kept (an erasure deletes or redacts it there too). */
export function outboundPlanKey(channelId: string, messageId: string): string {
  return `${OUTBOUND_PLAN_PREFIX}${encodeURIComponent(channelId)}/${encodeURIComponent(messageId)}.json`;
}
