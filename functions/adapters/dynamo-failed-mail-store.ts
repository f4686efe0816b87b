import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FailedMail } from '../core/model/inbound-record.ts';
import type { FailedMailStore } from '../core/ports/inbound.ts';
import { RETENTION_DEFAULTS, type RetentionSettings } from '../core/model/retention.ts';
import { expiryAfter } from '../core/retention/expiry.ts';
import { DynamoFailedMailAdmin } from './dynamo-failed-mail-admin.ts';
import { FAILED_PARTITION, itemKeys } from './dynamo-schema.ts';

/** Failed mail next to its inbound record, listed newest first through the sparse `gsi1` index. */
export class DynamoFailedMailStore implements FailedMailStore {
  private readonly failedMailDays: number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** The account-wide retention: failed mail is kept `failedMailDays` after it (last) failed. */
    options: { readonly retention?: Pick<RetentionSettings, 'failedMailDays'> } = {},
  ) {
    this.failedMailDays = options.retention?.failedMailDays ?? RETENTION_DEFAULTS.failedMailDays;
  }

  async put(failure: FailedMail): Promise<void> {
    const item = {
      ...itemKeys.failed(failure.sesMessageId, failure.channelId),
      gsi1pk: FAILED_PARTITION,
      gsi1sk: `${failure.failedAt}#${failure.sesMessageId}`,
      ...failure,
      // Its TTL: when it expires, so does its raw copy unless a record of the mail on another channel still uses it.
      expiresAt: expiryAfter(failure.failedAt, this.failedMailDays),
    };
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }

  /** The most recent failures, newest first (for operators and replays): the first page the admin API lists. */
  async list(limit = 50): Promise<FailedMail[]> {
    return [...(await new DynamoFailedMailAdmin(this.client, this.tableName).list({ limit })).items];
  }
}
