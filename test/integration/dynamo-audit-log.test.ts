import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../functions/adapters/dynamo-audit-log.ts';
import { ConflictError } from '../../functions/core/errors.ts';
import type { AuditEntry } from '../../functions/core/model/admin-resources.ts';
import { startLocalAws, type LocalAws } from '../support/local-aws.ts';

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws([]);
});
afterAll(() => aws.stop());

const entry = (id: string, at: string, action = 'channel.update'): AuditEntry => ({
  id,
  at,
  actor: { kind: 'iam', id: 'arn:aws:iam::123456789012:role/admin' },
  action,
  resource: { type: 'channel', id: 'support' },
  fields: ['displayName'],
  requestId: 'req-1',
});

describe('DynamoAuditLog on dynalite', () => {
  it('appends to the audit table of its own and lists newest first', async () => {
    // Arrange
    const log = new DynamoAuditLog(aws.db, aws.auditTableName);
    // Act
    await log.append(entry('a1', '2026-12-01T10:00:00.000Z'));
    await log.append(entry('a2', '2026-12-01T11:00:00.000Z'));
    const page = await log.list({ limit: 10 });
    const main = await aws.db.send(new ScanCommand({ TableName: aws.tableName }));
    // Assert
    expect(page.items.map((e) => e.id)).toEqual(['a2', 'a1']);
    expect(aws.auditTableName).not.toBe(aws.tableName);
    expect(JSON.stringify(main.Items ?? [])).not.toContain('channel.update');
  });

  it('refuses to overwrite an entry and keeps the first one as it was', async () => {
    // Arrange
    const log = new DynamoAuditLog(aws.db, aws.auditTableName);
    await log.append(entry('b1', '2026-12-02T10:00:00.000Z', 'credentials.set'));
    // Act
    const error = await log.append(entry('b1', '2026-12-02T10:00:00.000Z', 'credentials.forged')).catch((e: unknown) => e);
    const page = await log.list({ limit: 10 });
    // Assert
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toBe('audit entry b1 exists already; entries are never overwritten');
    expect(page.items.filter((e) => e.id === 'b1').map((e) => e.action)).toEqual(['credentials.set']);
  });
});
