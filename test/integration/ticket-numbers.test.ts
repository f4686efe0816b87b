import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoConversationStore } from '../../functions/adapters/dynamo-conversation-store.ts';
import { DynamoTicketSequence } from '../../functions/adapters/dynamo-ticket-sequence.ts';
import { receiveMail } from '../../functions/core/inbound/receive-mail.ts';
import { formatTicketNumber } from '../../functions/core/mail/ticket-number.ts';
import { startAdminHarness, type AdminHarness } from '../support/admin-api.ts';
import { EXAMPLE_CONFIG } from '../support/local-aws.ts';
import { TestClock, customerMail, inboundDeps, inboundMail } from '../support/inbound-deps.ts';

let h: AdminHarness;
let n = 0;
const sesId = (label: string): string => `${label}-${++n}-0100018c`;
const FORMAT = EXAMPLE_CONFIG.channels[0]?.ticket ?? { placement: 'end', delimiter: 'brackets', hook: '#', digits: 7 };

beforeAll(async () => {
  h = await startAdminHarness();
});

afterAll(async () => {
  await h.stop();
});

/** A channel's counter as it was kept before ticket numbers were unique across channels. */
async function legacyCounter(channelId: string, value: number): Promise<void> {
  await h.aws.db.send(new PutCommand({ TableName: h.aws.tableName, Item: { pk: `COUNTER#${channelId}`, sk: 'TICKET', value } }));
}

async function forgetDeploymentCounter(): Promise<void> {
  await h.aws.db.send(new DeleteCommand({ TableName: h.aws.tableName, Key: { pk: 'COUNTER#*', sk: 'TICKET' } }));
}

async function deliver(channel: 'support' | 'billing', label: string): Promise<string> {
  const id = sesId(label);
  const to = channel === 'support' ? 'support@example.com' : 'billing@example.com';
  await h.aws.putRaw(inboundMail(id).rawKey, customerMail({ messageId: `${id}@customer.example`, to, subject: 'Where is my order?' }));
  const outcome = await receiveMail(inboundDeps(h.aws, new TestClock()), inboundMail(id, [to]));
  if (outcome.status === 'failed' || !outcome.conversationId) throw new Error(`not routed: ${JSON.stringify(outcome)}`);
  return outcome.conversationId;
}

async function byTicket(ticket: string): Promise<Response> {
  return h.call('GET', `/conversations?ticket=${ticket}`);
}

describe('ticket numbers are unique in the deployment, against dynalite', () => {
  it('continues above every channel counter of before, and numbers mails of two channels apart', async () => {
    // Arrange: support had counted to 12, billing to 40, each from 1
    await legacyCounter('support', 12);
    await legacyCounter('billing', 40);

    // Act
    const onSupport = await deliver('support', 'a');
    const onBilling = await deliver('billing', 'b');
    const read = async (id: string) => (await (await h.call('GET', `/conversations/${id}`)).json()) as { conversation: { ticketNumber: string } };
    const [a, b] = await Promise.all([onSupport, onBilling].map(read));
    const foundA = (await (await byTicket(a?.conversation.ticketNumber ?? '')).json()) as { items: { id: string }[] };
    const foundB = (await (await byTicket(b?.conversation.ticketNumber ?? '')).json()) as { items: { id: string }[] };

    // Assert
    expect(a?.conversation.ticketNumber).toBe(formatTicketNumber(41, FORMAT));
    expect(b?.conversation.ticketNumber).toBe(formatTicketNumber(42, FORMAT));
    expect(foundA.items.map((c) => c.id)).toEqual([onSupport]);
    expect(foundB.items.map((c) => c.id)).toEqual([onBilling]);
  });

  it('hands racing first draws distinct numbers, all above the counters of before', async () => {
    // Arrange: an upgrade: no deployment counter yet
    await forgetDeploymentCounter();
    await legacyCounter('billing', 500);
    const sequence = new DynamoTicketSequence(h.aws.db, h.aws.tableName);

    // Act
    const drawn = await Promise.all(Array.from({ length: 8 }, (_, i) => sequence.next(i % 2 === 0 ? 'support' : 'billing')));

    // Assert
    expect([...drawn].sort((x, y) => x - y)).toEqual([501, 502, 503, 504, 505, 506, 507, 508]);
  });

  it('answers 409 naming both conversations for a number two channels handed out before', async () => {
    // Arrange: one number on two channels, as each channel counting from 1 left it
    const store = new DynamoConversationStore(h.aws.db, h.aws.tableName);
    const ticket = formatTicketNumber(7, FORMAT);
    for (const channelId of ['support', 'billing']) {
      const at = '2026-01-05T10:00:00.000Z';
      const created = await store.create({ id: `legacy-${channelId}`, channelId, ticketNumber: ticket, replyToken: null, createdAt: at });
      await store.publish(created, ['carla@customer.example'], at, { reopen: true });
    }

    // Act
    const res = await byTicket(ticket);
    const one = await h.call('GET', `/conversations?ticket=${ticket}&channelId=billing`);

    // Assert
    expect(res.status).toBe(409);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('conflict');
    expect(error.message).toContain(`ticket number ${ticket} names 2 conversations`);
    expect(error.message).toContain('legacy-support (channel support)');
    expect(error.message).toContain('legacy-billing (channel billing)');
    expect(one.status).toBe(200);
    expect(((await one.json()) as { items: { id: string }[] }).items.map((c) => c.id)).toEqual(['legacy-billing']);
  });
});
