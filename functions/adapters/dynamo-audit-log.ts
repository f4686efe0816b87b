import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../core/errors.ts';
import { AuditEntrySchema, type AuditEntry } from '../core/model/admin-resources.ts';
import type { AuditLog, Page, PageRequest } from '../core/ports/admin.ts';
import { decodeCursor, encodeCursor } from './dynamo-cursor.ts';
import { RETENTION_DEFAULTS, type RetentionSettings } from '../core/model/retention.ts';
import { expiryAfter } from '../core/retention/expiry.ts';
import { AUDIT_PARTITION, itemKeys, keyedTableInput } from './dynamo-schema.ts';
import { isConditionFailed, withoutKeys } from './dynamo-util.ts';

/**
 * The audit table: a table of its own, so its policy can make it append-only (the admin function
 * may only put and query; nobody may update or delete an entry). Entries are keyed as
 * `itemKeys.audit` says: one partition, sorted by time. Shared by the CDK `Tables` construct and
 * the local servers, so they cannot drift apart.
 */
export const AUDIT_TABLE_SCHEMA = { partitionKey: 'pk', sortKey: 'sk' } as const;

/** A CreateTable request for the audit table (what the CDK construct declares), for local servers and tests. */
export function createAuditTableInput(tableName: string): CreateTableCommandInput {
  return keyedTableInput(tableName, AUDIT_TABLE_SCHEMA);
}

/** Audit records in the append-only audit table, newest first on reading (admin changes are few). */
export class DynamoAuditLog implements AuditLog {
  private readonly auditDays: number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** The account-wide retention: entries are kept `auditDays` after they were written (the table's TTL deletes them, nobody else may). */
    options: { readonly retention?: Pick<RetentionSettings, 'auditDays'> } = {},
  ) {
    this.auditDays = options.retention?.auditDays ?? RETENTION_DEFAULTS.auditDays;
  }

  /** Writes a new entry; an entry with the same time and id is never overwritten (`ConflictError`). */
  async append(entry: AuditEntry): Promise<void> {
    const key = itemKeys.audit(entry.at, entry.id);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key, ...AuditEntrySchema.parse(entry), expiresAt: expiryAfter(entry.at, this.auditDays) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (isConditionFailed(error)) throw new ConflictError(`audit entry ${entry.id} exists already; entries are never overwritten`);
      throw error;
    }
  }

  async list(page: PageRequest): Promise<Page<AuditEntry>> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': AUDIT_PARTITION },
        ScanIndexForward: false,
        Limit: page.limit,
        ExclusiveStartKey: decodeCursor(page.cursor),
      }),
    );
    return { items: (out.Items ?? []).map((i) => AuditEntrySchema.parse(withoutKeys(i))), cursor: encodeCursor(out.LastEvaluatedKey) };
  }
}
