import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedCalendarLookup } from '../../functions/adapters/dynamo-calendar-lookup.ts';
import { dynamoCalendarStore } from '../../functions/adapters/dynamo-calendar-store.ts';
import { DynamoConversationAdmin } from '../../functions/adapters/dynamo-conversation-admin.ts';
import { DynamoConversationStore } from '../../functions/adapters/dynamo-conversation-store.ts';
import { DynamoSlaSchedule } from '../../functions/adapters/dynamo-sla-schedule.ts';
import { recordSentMessage } from '../../functions/core/conversation/record-sent.ts';
import { receiveMail } from '../../functions/core/inbound/receive-mail.ts';
import type { PostroomConfig } from '../../functions/core/model/postroom-config.ts';
import { checkSla } from '../../functions/core/sla/check-sla.ts';
import type { SlaEvent } from '../../functions/core/sla/ports.ts';
import { slaPolicies } from '../../functions/core/sla/sla-policies.ts';
import { TestClock, customerMail, inboundDeps, inboundMail } from '../support/inbound-deps.ts';
import { EXAMPLE_CONFIG, startSeededLocalAws, type LocalAws } from '../support/local-aws.ts';

const config: PostroomConfig = {
  ...EXAMPLE_CONFIG,
  channels: EXAMPLE_CONFIG.channels.map((c) =>
    c.id === 'support' ? { ...c, sla: { firstResponseMinutes: 60, solutionMinutes: 120, calendar: 'always', warningPercent: 50 } } : c,
  ),
};
const MINUTE = 60_000;

let aws: LocalAws;

beforeAll(async () => {
  aws = await startSeededLocalAws(config);
});

afterAll(async () => {
  await aws.stop();
});

function world(clock: TestClock) {
  const store = new DynamoConversationStore(aws.db, aws.tableName);
  const policies = slaPolicies(new CachedCalendarLookup(dynamoCalendarStore(aws.db, aws.tableName), { clock, cacheMs: 0 }), null);
  const deps = inboundDeps(aws, clock, { conversations: store, sla: { policies, store } });
  const receive = async (id: string, raw: string) => {
    await aws.putRaw(inboundMail(id).rawKey, raw);
    const outcome = await receiveMail(deps, inboundMail(id));
    await aws.drain(aws.queueUrls.support ?? '');
    if (outcome.status === 'failed' || !outcome.conversationId) throw new Error(`${id} not threaded`);
    return outcome.conversationId;
  };
  const sla = async (id: string) => (await store.getConversations([id])).get(id)?.sla;
  return { store, receive, sla };
}

const outOfOffice = (messageId: string, inReplyTo: string) =>
  customerMail({ messageId, inReplyTo, subject: 'Automatic reply: Re: My order' }).replace(
    'MIME-Version: 1.0',
    'Auto-Submitted: auto-replied\r\nMIME-Version: 1.0',
  );

describe('SLA clocks on the DynamoDB store', () => {
  it("starts with a customer's mail, pauses on the answer, ignores an out-of-office, resumes with the customer's answer, stops on close", async () => {
    // Arrange
    const clock = new TestClock(new Date('2026-11-22T10:00:00.000Z'));
    const { store, receive, sla } = world(clock);

    // Act: opened at 10:00, answered at 10:30, an out-of-office at 11:00, the customer at 11:30, closed at 11:40
    const id = await receive('sla-q', customerMail({ messageId: 'sla-q@customer.example' }));
    const started = await sla(id);
    clock.advance(30 * MINUTE);
    await recordSentMessage(store, {
      channelId: 'support',
      conversationId: id,
      messageId: 'sla-out-1',
      threadIds: ['sla-out-1@example.com'],
      recipients: ['carla@customer.example'],
      agentId: 'agent-7',
      at: clock.now().toISOString(),
    });
    const answered = await sla(id);
    clock.advance(30 * MINUTE);
    await receive('sla-ooo', outOfOffice('sla-ooo@customer.example', 'sla-out-1@example.com'));
    const afterAutoReply = await sla(id);
    clock.advance(30 * MINUTE);
    await receive('sla-a', customerMail({ messageId: 'sla-a@customer.example', inReplyTo: 'sla-out-1@example.com', subject: 'Re: My order' }));
    const resumed = await sla(id);
    clock.advance(10 * MINUTE);
    const closed = await new DynamoConversationAdmin(aws.db, aws.tableName).update(id, { status: 'closed' }, clock.now().toISOString());

    // Assert
    expect(started).toMatchObject({
      firstResponseDueAt: '2026-11-22T11:00:00.000Z',
      solutionDueAt: '2026-11-22T12:00:00.000Z',
      solutionWarnAt: '2026-11-22T11:00:00.000Z',
      respondedAt: null,
      pausedSince: null,
      rev: 1,
    });
    expect(answered).toMatchObject({ respondedAt: '2026-11-22T10:30:00.000Z', pausedSince: '2026-11-22T10:30:00.000Z', rev: 2 });
    expect(afterAutoReply).toEqual(answered);
    // 90 of the 120 minutes were left when it paused: due 90 minutes after the customer's answer.
    expect(resumed).toMatchObject({
      pausedSince: null,
      solutionDueAt: '2026-11-22T13:00:00.000Z',
      solutionWarnAt: '2026-11-22T12:00:00.000Z',
      respondedAt: '2026-11-22T10:30:00.000Z',
    });
    expect(closed.sla).toEqual({
      firstResponseDueAt: '2026-11-22T11:00:00.000Z',
      solutionDueAt: '2026-11-22T13:00:00.000Z',
      state: 'ok',
      pausedSince: '2026-11-22T11:40:00.000Z',
    });
    expect(await new DynamoSlaSchedule(aws.db, aws.tableName).due('2030-01-01T00:00:00.000Z', 100)).not.toContainEqual(
      expect.objectContaining({ conversationId: id }),
    );
  });

  it('publishes each warning and breach once with two checks running at the same time', async () => {
    // Arrange: a conversation nobody answers
    const clock = new TestClock(new Date('2026-11-23T08:00:00.000Z'));
    const { receive } = world(clock);
    const id = await receive('sla-race', customerMail({ messageId: 'sla-race@customer.example', subject: 'Nobody answers' }));
    const published: SlaEvent[] = [];
    const check = (at: string) => {
      const deps = {
        schedule: new DynamoSlaSchedule(aws.db, aws.tableName),
        events: { publish: async (e: SlaEvent) => void published.push(e) },
        clock: { now: () => new Date(at) },
      };
      return Promise.all([checkSla(deps), checkSla(deps)]);
    };

    // Act: at 08:31 the first-response warning (50 %) is due; at 09:01 its breach and the solution warning; at 10:01 the solution breach
    const first = await check('2026-11-23T08:31:00.000Z');
    await check('2026-11-23T08:32:00.000Z');
    await check('2026-11-23T09:01:00.000Z');
    await check('2026-11-23T10:01:00.000Z');
    await check('2026-11-23T11:00:00.000Z');

    // Assert
    const mine = published.filter((e) => e.conversationId === id).map((e) => `${e.target}.${e.type}`);
    expect(mine).toEqual(['firstResponse.sla.warning', 'firstResponse.sla.breach', 'solution.sla.warning', 'solution.sla.breach']);
    expect(first.map((r) => r.published.length).sort()).toEqual([0, 1]);
  });
});
