import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AuditEntrySchema, type AuditEntry } from '../core/model/admin-resources.ts';
import type { AuditLog, Page, PageRequest } from '../core/ports/admin.ts';
import { decodeCursor, encodeCursor } from './dynamo-cursor.ts';
import { AUDIT_PARTITION, itemKeys } from './dynamo-schema.ts';
import { withoutKeys } from './dynamo-util.ts';

/** Audit records under one partition, sorted by time (admin changes are few). */
export class DynamoAuditLog implements AuditLog {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async append(entry: AuditEntry): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...itemKeys.audit(entry.at, entry.id), ...AuditEntrySchema.parse(entry) } }));
  }

  async list(page: PageRequest): Promise<Page<AuditEntry>> {
    const out = await this.client.send(new QueryCommand({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': AUDIT_PARTITION },
      ScanIndexForward: false,
      Limit: page.limit,
      ExclusiveStartKey: decodeCursor(page.cursor),
    }));
    return { items: (out.Items ?? []).map((i) => AuditEntrySchema.parse(withoutKeys(i))), cursor: encodeCursor(out.LastEvaluatedKey) };
  }
}
