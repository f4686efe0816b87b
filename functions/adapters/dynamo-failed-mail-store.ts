import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FailedMailSchema, type FailedMail } from '../core/model/inbound-record.ts';
import type { FailedMailStore } from '../core/ports/inbound.ts';
import { FAILED_PARTITION, TABLE_SCHEMA, itemKeys } from './dynamo-schema.ts';
import { withoutKeys } from './dynamo-util.ts';

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

  /** The most recent failures, newest first (for operators and replays). */
  async list(limit = 50): Promise<FailedMail[]> {
    const { indexName, partitionKey } = TABLE_SCHEMA.failedIndex;
    const out = await this.client.send(new QueryCommand({
      TableName: this.tableName,
      IndexName: indexName,
      KeyConditionExpression: '#pk = :failed',
      ExpressionAttributeNames: { '#pk': partitionKey },
      ExpressionAttributeValues: { ':failed': FAILED_PARTITION },
      ScanIndexForward: false,
      Limit: limit,
    }));
    return (out.Items ?? []).map((i) => FailedMailSchema.parse(withoutKeys(i)));
  }
}
