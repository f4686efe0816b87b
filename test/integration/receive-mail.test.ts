import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoFailedMailStore } from '../../functions/adapters/dynamo-failed-mail-store.ts';
import { BusyError } from '../../functions/core/errors.ts';
import { receiveMail } from '../../functions/core/inbound/receive-mail.ts';
import { RoutedMessageSchema, type RoutedMessage } from '../../functions/core/model/routed-message.ts';
import type { InboundLedger, RoutedQueue } from '../../functions/core/ports/inbound.ts';
import { LEASE_MS, TestClock, customerMail, inboundDeps, inboundMail, retrying } from '../support/inbound-deps.ts';
import { startSeededLocalAws, type LocalAws } from '../support/local-aws.ts';

let aws: LocalAws;
let n = 0;
/** A fresh SES message id per use, so tests share the servers without sharing state. */
const sesId = (label: string): string => `${label}-${++n}-0100018c`;

beforeAll(async () => {
  aws = await startSeededLocalAws();
});

afterAll(async () => {
  await aws.stop();
});

async function items(): Promise<Record<string, unknown>[]> {
  const out = await aws.db.send(new ScanCommand({ TableName: aws.tableName, ConsistentRead: true }));
  return out.Items ?? [];
}

async function routedOn(skill: string): Promise<{ body: RoutedMessage; groupId: string | undefined; dedupId: string | undefined }[]> {
  const messages = await aws.drain(aws.queueUrls[skill] ?? '');
  return messages.map((m) => ({
    body: RoutedMessageSchema.parse(JSON.parse(m.Body ?? '')),
    groupId: m.Attributes?.MessageGroupId,
    dedupId: m.Attributes?.MessageDeduplicationId,
  }));
}

describe('receiveMail against dynalite and fauxqs', () => {
  it('routes a new mail to its skill queue as a valid pointer record', async () => {
    // Arrange
    const id = sesId('new');
    await aws.putRaw(inboundMail(id).rawKey, customerMail({ messageId: `${id}@customer.example` }));
    // Act
    const outcome = await receiveMail(inboundDeps(aws, new TestClock()), inboundMail(id));
    // Assert
    expect(outcome).toMatchObject({ status: 'routed', duplicate: false, skill: 'support', channelId: 'support' });
    const [routed, ...more] = await routedOn('support');
    expect(more).toEqual([]);
    expect(routed?.body).toMatchObject({ isNewConversation: true, lane: 'human', channelId: 'support', internetMessageId: `${id}@customer.example` });
    expect(routed?.groupId).toBe(routed?.body.conversationId);
    expect(routed?.dedupId).toBe(routed?.body.messageId);
    expect(routed?.body.ticketNumber).toMatch(/^\d{7}$/);
  });

  it('routes by the channel rules (subject keyword → billing)', async () => {
    const id = sesId('billing');
    await aws.putRaw(inboundMail(id).rawKey, customerMail({ messageId: `${id}@customer.example`, subject: 'Wrong invoice' }));
    const outcome = await receiveMail(inboundDeps(aws, new TestClock()), inboundMail(id));
    expect(outcome).toMatchObject({ status: 'routed', skill: 'billing' });
    expect((await routedOn('billing')).map((r) => r.body.routingRule)).toEqual(['billing-words']);
  });

  it('does nothing the second time the same SES message is delivered', async () => {
    // Arrange
    const id = sesId('dup');
    await aws.putRaw(inboundMail(id).rawKey, customerMail({ messageId: `${id}@customer.example` }));
    const deps = inboundDeps(aws, new TestClock());
    // Act
    const first = await receiveMail(deps, inboundMail(id));
    const second = await receiveMail(deps, inboundMail(id));
    // Assert
    expect(first).toMatchObject({ status: 'routed', duplicate: false });
    expect(second).toMatchObject({ status: 'routed', duplicate: true, messageId: (first as { messageId: string }).messageId });
    expect(await routedOn('support')).toHaveLength(1);
    const all = await items();
    expect(all.filter((i) => i.kind === 'message' && i.sesMessageId === id)).toHaveLength(1);
    const conversationId = (first as { conversationId: string }).conversationId;
    expect(all.filter((i) => String(i.pk).startsWith('CONV#') && i.sk === 'CONV' && i.id === conversationId)).toHaveLength(1);
  });

  it('ends two replies to the same unseen message, arriving together, in one conversation', async () => {
    for (let round = 0; round < 5; round++) {
      // Arrange
      const root = `${sesId('root')}@customer.example`;
      const [a, b] = [sesId('race-a'), sesId('race-b')];
      await aws.putRaw(inboundMail(a).rawKey, customerMail({ messageId: `${a}@customer.example`, inReplyTo: root, subject: 'Re: order' }));
      await aws.putRaw(
        inboundMail(b).rawKey,
        customerMail({ messageId: `${b}@other.example`, inReplyTo: root, subject: 'Re: order', from: 'Bob <bob@other.example>' }),
      );
      // Act
      const [outA, outB] = await Promise.all([
        retrying(() => receiveMail(inboundDeps(aws, new TestClock()), inboundMail(a))),
        retrying(() => receiveMail(inboundDeps(aws, new TestClock()), inboundMail(b))),
      ]);
      // Assert
      expect(outA).toMatchObject({ status: 'routed' });
      expect(outB).toMatchObject({ status: 'routed' });
      const conversationId = (outA as { conversationId: string }).conversationId;
      expect((outB as { conversationId: string }).conversationId).toBe(conversationId);
      const routed = await routedOn('support');
      expect(routed.map((r) => r.groupId)).toEqual([conversationId, conversationId]);
      expect(routed.filter((r) => r.body.isNewConversation)).toHaveLength(1);
      const conversation = (await items()).find((i) => i.pk === `CONV#${conversationId}` && i.sk === 'CONV');
      expect(conversation).toMatchObject({ visibility: 'published' });
      expect([...(conversation?.participants as Set<string>)].sort()).toEqual(['bob@other.example', 'carla@customer.example']);
    }
    // Both started a conversation at once in at least one round; the losers were merged, never published.
    const merged = (await items()).filter((i) => i.sk === 'CONV' && i.visibility === 'merged');
    expect(merged.length).toBeGreaterThan(0);
    const all = await items();
    for (const loser of merged) {
      expect(all.find((i) => i.pk === `CONV#${String(loser.mergedInto)}` && i.sk === 'CONV')).toMatchObject({ visibility: 'published' });
    }
  });

  it('keeps an unparseable mail as failed: raw copy stays, failed record, nothing queued, no throw', async () => {
    // Arrange
    const id = sesId('bomb');
    const raw = readFileSync(join(import.meta.dirname, '../fixtures/mail/parse/nesting-bomb.eml'));
    await aws.putRaw(inboundMail(id).rawKey, raw);
    const deps = inboundDeps(aws, new TestClock());
    // Act
    const outcome = await receiveMail(deps, inboundMail(id));
    // Assert
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'limit-depth' } });
    expect(await deps.rawMail.get(inboundMail(id).rawKey)).toEqual(new Uint8Array(raw));
    const failed = await new DynamoFailedMailStore(aws.db, aws.tableName).list();
    expect(failed.find((f) => f.sesMessageId === id)).toMatchObject({ code: 'limit-depth', rawKey: `inbound/raw/${id}`, channelId: 'support' });
    expect(await routedOn('support')).toEqual([]);
    expect(await receiveMail(deps, inboundMail(id))).toMatchObject({ status: 'failed', duplicate: true });
  });

  it('records a missing raw copy as failed, and a replay after it is restored routes it', async () => {
    // Arrange
    const id = sesId('missing');
    const deps = inboundDeps(aws, new TestClock());
    // Act
    const missing = await receiveMail(deps, inboundMail(id));
    await aws.putRaw(inboundMail(id).rawKey, customerMail({ messageId: `${id}@customer.example` }));
    const again = await receiveMail(deps, inboundMail(id));
    const replayed = await receiveMail(deps, inboundMail(id), { replay: true });
    // Assert
    expect(missing).toMatchObject({ status: 'failed', duplicate: false, error: { code: 'raw-missing' } });
    expect(again).toMatchObject({ status: 'failed', duplicate: true });
    expect(replayed).toMatchObject({ status: 'routed', duplicate: false });
    expect(await routedOn('support')).toHaveLength(1);
  });

  it('fails mail for a recipient no channel has, without throwing', async () => {
    const id = sesId('stranger');
    const outcome = await receiveMail(inboundDeps(aws, new TestClock()), inboundMail(id, ['nobody@example.com']));
    expect(outcome).toMatchObject({ status: 'failed', channelId: null, error: { code: 'unknown-recipient' } });
  });

  it('resumes after a crash between deciding and queueing: one message, one queue entry', async () => {
    // Arrange
    const id = sesId('crash');
    await aws.putRaw(inboundMail(id).rawKey, customerMail({ messageId: `${id}@customer.example` }));
    const clock = new TestClock();
    const { queue: real, ledger } = inboundDeps(aws, clock);
    const down: RoutedQueue = { send: async () => Promise.reject(new Error('sqs unavailable')) };
    // A crash gives nothing back: the lease stays until it expires.
    const crashing = Object.assign(Object.create(ledger) as InboundLedger, { release: async () => undefined });
    // Act
    await expect(receiveMail(inboundDeps(aws, clock, { queue: down, ledger: crashing }), inboundMail(id))).rejects.toThrow('sqs unavailable');
    const whileLeased = receiveMail(inboundDeps(aws, clock, { queue: real }), inboundMail(id));
    await expect(whileLeased).rejects.toBeInstanceOf(BusyError);
    clock.advance(LEASE_MS + 1);
    const resumed = await receiveMail(inboundDeps(aws, clock, { queue: real }), inboundMail(id));
    // Assert
    expect(resumed).toMatchObject({ status: 'routed', duplicate: false });
    const routed = await routedOn('support');
    expect(routed).toHaveLength(1);
    expect(routed[0]?.body.isNewConversation).toBe(true);
    expect((await items()).filter((i) => i.kind === 'message' && i.sesMessageId === id)).toHaveLength(1);
  });
});
