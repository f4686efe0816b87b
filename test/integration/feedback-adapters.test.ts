import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAcknowledgementLedger } from '../../functions/adapters/dynamo-acknowledgement-ledger.ts';
import { DynamoOutboundMessages } from '../../functions/adapters/dynamo-outbound-messages.ts';
import { DynamoSuppressionList } from '../../functions/adapters/dynamo-suppression-list.ts';
import { DynamoWindowCounter } from '../../functions/adapters/dynamo-window-counter.ts';
import { BusyError } from '../../functions/core/errors.ts';
import type { SuppressionEntry } from '../../functions/core/model/suppression.ts';
import { SES_ID, sentMessage } from '../support/outbound.ts';
import { startLocalAws, type LocalAws } from '../support/local-aws.ts';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws([]);
});
afterAll(async () => {
  await aws.stop();
});

const entry = (address: string, scope: SuppressionEntry['scope'], reason: SuppressionEntry['reason'] = 'bounce'): SuppressionEntry => ({
  address,
  scope,
  reason,
  detail: '5.1.1',
  messageId: null,
  since: '2026-12-01T10:00:00.000Z',
});

describe('DynamoSuppressionList on dynalite', () => {
  it('finds channel and account entries, lists a scope in address order page by page, removes', async () => {
    // Arrange
    const list = new DynamoSuppressionList(aws.db, aws.tableName);
    const support = { kind: 'channel', channelId: 'support' } as const;
    for (const a of ['c@x.example', 'a@x.example', 'b@x.example']) await list.put(entry(a, support));
    await list.put(entry('d@x.example', { kind: 'account' }, 'complaint'));

    // Act
    const first = await list.list(support, { limit: 2 });
    const second = await list.list(support, { limit: 2, cursor: first.cursor ?? undefined });
    const removed = await list.remove(support, 'A@X.example');
    const removedAgain = await list.remove(support, 'a@x.example');

    // Assert
    expect(first.entries.map((e) => e.address)).toEqual(['a@x.example', 'b@x.example']);
    expect(second.entries.map((e) => e.address)).toEqual(['c@x.example']);
    expect(await list.find('support', 'D@x.example')).toMatchObject({ reason: 'complaint', scope: { kind: 'account' } });
    expect(await list.find('sales', 'b@x.example')).toBeNull();
    expect([removed, removedAgain]).toEqual([true, false]);
    expect(await list.find('support', 'a@x.example')).toBeNull();
  });
});

describe('DynamoOutboundMessages on dynalite', () => {
  it('finds a sent message by SES id and by each Message-ID, and fences a stale update', async () => {
    // Arrange
    const messages = new DynamoOutboundMessages(aws.db, aws.tableName);
    await messages.put(sentMessage());

    // Act
    const bySes = await messages.findBySesMessageId(SES_ID);
    const byOurs = await messages.findByInternetMessageId('support', '<out-1.agent@example.com>');
    const bySesRewrite = await messages.findByInternetMessageId('support', `${SES_ID}@email.amazonses.com`);
    await messages.put({ ...sentMessage(), status: 'delivered', updatedAt: '2026-12-01T10:00:01.000Z' }, { expectedUpdatedAt: '2026-12-01T10:00:00.000Z' });
    const stale = await messages
      .put({ ...sentMessage(), status: 'bounced', updatedAt: '2026-12-01T10:00:02.000Z' }, { expectedUpdatedAt: '2026-12-01T10:00:00.000Z' })
      .catch((e: unknown) => e);

    // Assert
    expect(bySes).toEqual(sentMessage());
    expect(byOurs?.messageId).toBe('out-1');
    expect(bySesRewrite?.messageId).toBe('out-1');
    expect(await messages.findByInternetMessageId('sales', 'out-1.agent@example.com')).toBeNull();
    expect(stale).toBeInstanceOf(BusyError);
    expect((await messages.findBySesMessageId(SES_ID))?.status).toBe('delivered');
  });
});

describe('window counter and acknowledgement ledger on dynalite', () => {
  it('counts events in the sliding window once each', async () => {
    const counter = new DynamoWindowCounter(aws.db, aws.tableName);
    const day = 86_400_000;
    const at = (d: number) => new Date(Date.parse('2026-12-01T00:00:00.000Z') + d * day);
    expect(await counter.hit('soft#support#a@b', { id: 'e1', at: at(0) }, 7 * day)).toBe(1);
    expect(await counter.hit('soft#support#a@b', { id: 'e1', at: at(0) }, 7 * day)).toBe(1);
    expect(await counter.hit('soft#support#a@b', { id: 'e2', at: at(3) }, 7 * day)).toBe(2);
    expect(await counter.hit('soft#support#a@b', { id: 'e3', at: at(8) }, 7 * day)).toBe(2);
    expect(await counter.hit('soft#support#other@b', { id: 'e1', at: at(8) }, 7 * day)).toBe(1);
  });

  it('lets one of two racing claims win, the winner retry, and a claim after the window win', async () => {
    // Arrange
    const ledger = new DynamoAcknowledgementLedger(aws.db, aws.tableName);
    const t0 = new Date('2026-12-01T10:00:00.000Z');
    const day = 86_400_000;

    // Act
    const race = await Promise.all(['m1', 'm2', 'm3'].map((mailId) => ledger.markAcknowledged('support', 'Anna@X.example', { mailId, at: t0 }, day)));
    const winner = ['m1', 'm2', 'm3'][race.indexOf(true)] ?? '';
    const retry = await ledger.markAcknowledged('support', 'anna@x.example', { mailId: winner, at: t0 }, day);
    const nextDay = await ledger.markAcknowledged('support', 'anna@x.example', { mailId: 'm9', at: new Date(t0.getTime() + day) }, day);

    // Assert
    expect(race.filter(Boolean)).toHaveLength(1);
    expect(retry).toBe(true);
    expect(nextDay).toBe(true);
    expect(await ledger.lastAcknowledged('support', 'anna@x.example')).toEqual({ at: '2026-12-02T10:00:00.000Z', mailId: 'm9' });
    expect(await ledger.recordMail('support', 'anna@x.example', { id: 'm9', at: t0 }, 600_000)).toBe(1);
  });
});
