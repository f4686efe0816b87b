import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoFailedMailStore } from '../../functions/adapters/dynamo-failed-mail-store.ts';
import type { SweepReport } from '../../functions/core/retention/sweep-expired.ts';
import { startSandboxRetention } from '../../functions/local/sandbox-retention.ts';
import { inboundMail } from '../support/inbound-deps.ts';
import { startLocalAws, type LocalAws } from '../support/local-aws.ts';

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws([]);
});
afterAll(async () => {
  await aws.stop();
});

describe("the sandbox's retention sweep", () => {
  it('sweeps once at start and again on demand, one sweep at a time, and stops', async () => {
    // Arrange: failed mail from long ago (its expiry passed), and one from today
    const settings = { mailDays: 30, failedMailDays: 14, uploadDays: 30, auditDays: 400 };
    const store = new DynamoFailedMailStore(aws.db, aws.tableName, { retention: settings });
    const failure = (id: string, failedAt: string) => ({
      sesMessageId: id,
      channelId: null,
      rawKey: `inbound/raw/${id}`,
      code: 'config',
      reason: 'no channel',
      failedAt,
      mail: inboundMail(id),
    });
    await store.put(failure('old-failure', '2026-01-01T00:00:00.000Z'));
    await store.put(failure('new-failure', new Date().toISOString()));
    let sweptAtStart: (report: SweepReport) => void = () => undefined;
    const atStart = new Promise<SweepReport>((resolve) => {
      sweptAtStart = resolve;
    });
    // Act
    const retention = startSandboxRetention({
      target: aws,
      settings,
      everyMs: 3_600_000,
      onSwept: (report) => sweptAtStart(report),
      onError: (error) => {
        throw error;
      },
    });
    const first = await atStart;
    // Two at once: the second waits for the first, so it finds nothing left.
    const [a, b] = await Promise.all([retention.sweep(new Date(Date.now() + 15 * 86_400_000)), retention.sweep(new Date(Date.now() + 15 * 86_400_000))]);
    await retention.stop();
    // Assert
    const item = (id: string) => aws.db.send(new GetCommand({ TableName: aws.tableName, Key: { pk: `INBOUND#${id}`, sk: 'FAILED#-' } })).then((o) => o.Item);
    expect(first.expired.map((e) => e.kind)).toEqual(['failed-mail']);
    expect(await item('old-failure')).toBeUndefined();
    expect(a.expired.map((e) => e.kind)).toEqual(['failed-mail']);
    expect(b.expired).toEqual([]);
    expect(await item('new-failure')).toBeUndefined();
  });
});
