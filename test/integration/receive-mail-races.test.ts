import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoConversationStore } from '../../functions/adapters/dynamo-conversation-store.ts';
import { BusyError } from '../../functions/core/errors.ts';
import { applyThread } from '../../functions/core/conversation/apply-thread.ts';
import { receiveMail } from '../../functions/core/inbound/receive-mail.ts';
import type { ThreadDecision } from '../../functions/core/model/conversation.ts';
import type { ConversationStore } from '../../functions/core/ports/conversation-store.ts';
import { addr, channelSettings, parsedMessage } from '../support/factories.ts';
import { TestClock, customerMail, inboundDeps, inboundMail, retrying } from '../support/inbound-deps.ts';
import { startSeededLocalAws, type LocalAws } from '../support/local-aws.ts';

const channel = channelSettings();
const at = '2026-11-22T10:00:00.000Z';
let aws: LocalAws;
let store: DynamoConversationStore;
let n = 0;
const uid = (label: string): string => `${label}-${++n}-0100018c`;

beforeAll(async () => {
  aws = await startSeededLocalAws();
  store = new DynamoConversationStore(aws.db, aws.tableName);
});

afterAll(async () => {
  await aws.stop();
});

async function conversations(): Promise<Record<string, unknown>[]> {
  const out = await aws.db.send(new ScanCommand({ TableName: aws.tableName, ConsistentRead: true }));
  return (out.Items ?? []).filter((i) => i.sk === 'CONV');
}

/** Every merged conversation points at a published one: no chains, no cycles. */
async function expectMergesSettled(): Promise<void> {
  const all = await conversations();
  for (const loser of all.filter((c) => c.visibility === 'merged')) {
    expect(all.find((c) => c.id === loser.mergedInto)).toMatchObject({ visibility: 'published' });
  }
}

/** Resolves the store's `claim` calls in a fixed order of `steps` (racer name + nth claim). */
function gatedClaims(steps: readonly string[]): (name: string) => ConversationStore {
  const done = new Map(steps.map((s) => [s, deferred()]));
  return (name) => {
    let count = 0;
    return Object.assign(Object.create(store) as ConversationStore, {
      claim: async (c: string, id: string, conv: string) => {
        const step = `${name}${++count}`;
        const index = steps.indexOf(step);
        if (index > 0) await done.get(steps[index - 1] ?? '')?.promise;
        const owner = await store.claim(c, id, conv);
        done.get(step)?.resolve();
        return owner;
      },
    });
  };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const newDecision = (claimIds: string[]): ThreadDecision => ({
  action: 'new',
  rule: 'new-conversation',
  conversation: null,
  signals: [],
  reason: '',
  flags: [],
  claimIds,
});
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('racing new-thread mails against dynalite', () => {
  it('ends a mail and its quick reply-all, processed together, in one conversation (cross reference)', async () => {
    for (let round = 0; round < 6; round++) {
      // Arrange: X replies to an unseen P; Y answers X (In-Reply-To X, References P X)
      const [p, x, y] = [`${uid('p')}@customer.example`, uid('x'), uid('y')];
      await aws.putRaw(inboundMail(x).rawKey, customerMail({ messageId: `${x}@customer.example`, inReplyTo: p, subject: 'Re: order' }));
      await aws.putRaw(
        inboundMail(y).rawKey,
        customerMail({
          messageId: `${y}@other.example`,
          inReplyTo: `${x}@customer.example`,
          references: [p, `${x}@customer.example`],
          subject: 'Re: order',
          from: 'Bob <bob@other.example>',
        }),
      );
      // Act
      const [outX, outY] = await Promise.all([
        retrying(() => receiveMail(inboundDeps(aws, new TestClock()), inboundMail(x))),
        retrying(() => receiveMail(inboundDeps(aws, new TestClock()), inboundMail(y))),
      ]);
      // Assert
      expect([outX.status, outY.status]).toEqual(['routed', 'routed']);
      const conversationId = (outX as { conversationId: string }).conversationId;
      expect((outY as { conversationId: string }).conversationId).toBe(conversationId);
      const found = await store.findByMessageIds('support', [p, `${x}@customer.example`, `${y}@other.example`]);
      expect([...found.values()].map((c) => c.id)).toEqual([conversationId, conversationId, conversationId]);
      await aws.drain(aws.queueUrls.support ?? '');
    }
    await expectMergesSettled();
  });

  it('cannot merge two candidates into each other, whatever the claim interleaving', async () => {
    // Arrange: the interleaving that made X lose x1 to Y and Y lose p to X when each claimed in its own order
    const gate = gatedClaims(['X1', 'Y1', 'X2', 'Y2', 'Y3']);
    const [p, x1, y1] = [uid('p'), uid('x1'), uid('y1')];
    const X = parsedMessage({ messageId: x1, inReplyTo: p, references: [p] });
    const Y = parsedMessage({ messageId: y1, inReplyTo: x1, references: [p, x1], from: addr('bob@other.example') });
    // Act
    const [ax, ay] = await Promise.all([
      applyThread(
        { store: gate('X'), pause },
        { channel, message: X, decision: newDecision([x1, p]), candidate: { conversationId: uid('conv-x'), ticketNumber: '0000011', replyToken: null }, at },
      ),
      applyThread(
        { store: gate('Y'), pause },
        {
          channel,
          message: Y,
          decision: newDecision([y1, x1, p]),
          candidate: { conversationId: uid('conv-y'), ticketNumber: '0000029', replyToken: null },
          at,
        },
      ),
    ]);
    // Assert: one conversation, and lookups through the claims come back
    expect(ax?.id).toBe(ay?.id);
    const found = await store.findByMessageIds(channel.id, [p, x1, y1]);
    expect(new Set([...found.values()].map((c) => c.id))).toEqual(new Set([ax?.id]));
    await expectMergesSettled();
  });

  it('keeps the first owner and the first claim of a Message-ID, each on its own (as the memory store does)', async () => {
    const [parent, ooo] = [uid('parent'), uid('ooo')];
    await store.claim(channel.id, parent, 'conv-a');
    await store.claimOwn(channel.id, ooo, 'm-ooo', null);
    const owned = await store.claimOwn(channel.id, parent, 'm-parent', 'conv-b');
    const copy = await store.claimOwn(channel.id, parent, 'm-copy', 'conv-c');
    const claimedLater = await store.claim(channel.id, ooo, 'conv-d');
    expect(owned).toEqual({ conversationId: 'conv-a', owner: 'm-parent' });
    expect(copy).toEqual({ conversationId: 'conv-a', owner: 'm-parent' });
    expect(claimedLater).toBe('conv-d');
    expect(await store.findClaims(channel.id, [parent, ooo, uid('unknown')])).toEqual(
      new Map([
        [parent, { conversationId: 'conv-a', owner: 'm-parent' }],
        [ooo, { conversationId: 'conv-d', owner: 'm-ooo' }],
      ]),
    );
  });

  it('does not file a mail under another attempt’s candidate that then loses its race', async () => {
    // Arrange: W owns p2; X (refs p1, p2) has claimed p1 for its pending candidate when Z (In-Reply-To p1) comes
    const [p1, p2, w, x] = [uid('p1'), uid('p2'), uid('conv-w'), uid('conv-x')];
    await store.create({ id: w, channelId: channel.id, ticketNumber: '0000011', replyToken: null, createdAt: at });
    await store.claim(channel.id, p2, w);
    await store.publish({ id: w, channelId: channel.id, ticketNumber: '0000011', replyToken: null, createdAt: at }, [], at, { reopen: false });
    const held = deferred();
    const resumeX = deferred();
    let claims = 0;
    const paused = Object.assign(Object.create(store) as ConversationStore, {
      claim: async (c: string, id: string, conv: string) => {
        if (++claims === 2) {
          held.resolve();
          await resumeX.promise;
        }
        return store.claim(c, id, conv);
      },
    });
    const X = parsedMessage({ messageId: `${uid('x1')}`, inReplyTo: p1, references: [p2, p1] });
    const xDone = applyThread(
      { store: paused, pause },
      {
        channel,
        message: X,
        decision: newDecision([X.messageId ?? '', p1, p2]),
        candidate: { conversationId: x, ticketNumber: '0000029', replyToken: null },
        at,
      },
    );
    await held.promise;
    const pending = (await store.findByMessageIds(channel.id, [p1])).get(p1) ?? null;
    const Z = parsedMessage({ messageId: uid('z1'), inReplyTo: p1, references: [p1], from: addr('zed@x.example') });
    const zDecision: ThreadDecision = { ...newDecision([Z.messageId ?? '']), action: 'join', rule: 'in-reply-to', conversation: pending };
    // Act: without waiting Z must not join; waiting while X settles, Z lands where X ended
    const refused = await applyThread({ store }, { channel, message: Z, decision: zDecision, candidate: null, at }).catch((e: unknown) => e);
    const z = await applyThread(
      {
        store,
        pause: async (ms) => {
          resumeX.resolve();
          await pause(ms);
        },
      },
      { channel, message: Z, decision: zDecision, candidate: null, at },
    );
    const xEnded = await xDone;
    // Assert
    expect(pending?.id).toBe(x);
    expect(refused).toBeInstanceOf(BusyError);
    expect(xEnded?.id).toBe(w);
    expect(z).toMatchObject({ id: w, created: false });
    expect(z?.participants).toContain('zed@x.example');
    expect((await conversations()).find((c) => c.id === x)).toMatchObject({ visibility: 'merged', mergedInto: w });
  });
});
