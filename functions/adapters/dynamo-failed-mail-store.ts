import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FailedMail } from '../core/model/inbound-record.ts';
import type { FailedMailStore } from '../core/ports/inbound.ts';
import { DynamoFailedMailAdmin } from './dynamo-failed-mail-admin.ts';
import { FAILED_PARTITION, itemKeys } from './dynamo-schema.ts';

/** Failed mail next to its inbound record, listed newest first through the sparse `gsi1` index. */
export class DynamoFailedMailStore implements FailedMailStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(failure: FailedMail): Promise<void> {
    const item = {
      ...itemKeys.failed(failure.sesMessageId, failure.channelId),
      gsi1pk: FAILED_PARTITION,
      gsi1sk: `${failure.failedAt}#${failure.sesMessageId}`,
      ...failure,
    };
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }

  /** The most recent failures, newest first (for operators and replays): the first page the admin API lists. */
  async list(limit = 50): Promise<FailedMail[]> {
    return [...(await new DynamoFailedMailAdmin(this.client, this.tableName).list({ limit })).items];
  }
}
