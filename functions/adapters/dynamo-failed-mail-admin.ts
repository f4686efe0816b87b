import { DeleteCommand, GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FailedMailSchema, type FailedMail } from '../core/model/inbound-record.ts';
import type { FailedMailAdmin, Page, PageRequest } from '../core/ports/admin.ts';
import { decodeCursor, encodeCursor } from './dynamo-cursor.ts';
import { FAILED_PARTITION, TABLE_SCHEMA, itemKeys } from './dynamo-schema.ts';
import { key, withoutKeys } from './dynamo-util.ts';

/** Failed mail as `DynamoFailedMailStore` writes it, paged newest first through `gsi1`. */
export class DynamoFailedMailAdmin implements FailedMailAdmin {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async list(page: PageRequest): Promise<Page<FailedMail>> {
    const { indexName, partitionKey } = TABLE_SCHEMA.failedIndex;
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: indexName,
        KeyConditionExpression: '#pk = :failed',
        ExpressionAttributeNames: { '#pk': partitionKey },
        ExpressionAttributeValues: { ':failed': FAILED_PARTITION },
        ScanIndexForward: false,
        Limit: page.limit,
        ExclusiveStartKey: decodeCursor(page.cursor),
      }),
    );
    return { items: (out.Items ?? []).map((i) => FailedMailSchema.parse(withoutKeys(i))), cursor: encodeCursor(out.LastEvaluatedKey) };
  }

  async get(sesMessageId: string, channelId: string | null): Promise<FailedMail | null> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key(itemKeys.failed(sesMessageId, channelId)), ConsistentRead: true }));
    return out.Item ? FailedMailSchema.parse(withoutKeys(out.Item)) : null;
  }

  async remove(sesMessageId: string, channelId: string | null): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: key(itemKeys.failed(sesMessageId, channelId)) }));
  }
}
