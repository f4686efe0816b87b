import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skillQueueLookup } from '../../../functions/adapters/skill-queue-lookup.ts';
import { SqsRoutedQueue } from '../../../functions/adapters/sqs-routed-queue.ts';
import { receiveMail } from '../../../functions/core/inbound/receive-mail.ts';
import { startAdminHarness, type AdminHarness } from '../../support/admin-api.ts';
import { TestClock, customerMail, inboundDeps, inboundMail } from '../../support/inbound-deps.ts';

let h: AdminHarness;
beforeAll(async () => {
  h = await startAdminHarness();
});
afterAll(async () => h.stop());

const mail = customerMail({ messageId: 'q1@bigcorp.example', from: 'Vera VIP <vera@bigcorp.example>', to: 'sales@example.com', subject: 'Volume licence' });

describe('a new admin: second channel, skill, rule, mail on the new queue, read and reply', () => {
  let conversationId = '';

  it('creates the skill with its FIFO queue and dead-letter queue', async () => {
    // Act
    const res = await h.call('POST', '/skills', { body: { name: 'vip', description: 'Key accounts' } });
    // Assert
    expect(res.status).toBe(201);
    const skill = (await res.json()) as { queueUrl: string; deadLetterQueueUrl: string; managedBy: string };
    expect(skill.queueUrl).toMatch(/\/vip\.fifo$/);
    expect(skill.deadLetterQueueUrl).toMatch(/\/vip-dlq\.fifo$/);
    expect(skill.managedBy).toBe('api');
    const found = await h.aws.sqs.send(new GetQueueUrlCommand({ QueueName: 'vip.fifo' }));
    expect(found.QueueUrl).toBe(skill.queueUrl);
  });

  it('creates the channel and a rule, and the dry run shows the decision without storing anything', async () => {
    // Act
    const channel = await h.call('POST', '/channels', { body: { id: 'sales', address: 'sales@example.com', name: 'Sales', defaultSkill: 'support' } });
    const rule = await h.call('POST', '/channels/sales/rules', {
      body: { name: 'key-accounts', when: { senderDomains: ['bigcorp.example'] }, skill: 'vip' },
      headers: { 'if-match': '"1"' },
    });
    const dry = await h.call('POST', '/channels/sales/dry-run?spam=PASS', { raw: mail, headers: { 'content-type': 'message/rfc822' } });
    const conversations = await h.call('GET', '/conversations?channelId=sales');
    // Assert
    expect(channel.status).toBe(201);
    expect(rule.status).toBe(201);
    expect(rule.headers.get('etag')).toBe('"2"');
    expect(dry.status).toBe(200);
    expect(await dry.json()).toMatchObject({
      lane: 'human',
      disposition: 'route',
      tags: [],
      thread: { action: 'new', rule: 'new-conversation' },
      route: { skill: 'vip', rule: 'key-accounts', reason: 'rule key-accounts matched first' },
    });
    expect(((await conversations.json()) as { items: unknown[] }).items).toEqual([]);
  });

  it("routes a mail to the new address onto the new skill's queue, with no redeploy", async () => {
    // Arrange: the inbound function's adapters, whose environment names only the deployed skills
    await h.aws.putRaw('inbound/raw/ses-vip-1', mail);
    const deps = inboundDeps(h.aws, new TestClock(), {
      queue: new SqsRoutedQueue(h.aws.sqs, h.aws.queueUrls, skillQueueLookup({ db: h.aws.db, tableName: h.aws.tableName, sqs: h.aws.sqs, prefix: '' })),
    });
    // Act
    const outcome = await receiveMail(deps, inboundMail('ses-vip-1', ['sales@example.com']));
    // Assert
    expect(outcome).toMatchObject({ status: 'routed', channelId: 'sales', skill: 'vip' });
    const skill = (await (await h.call('GET', '/skills/vip')).json()) as { queueUrl: string };
    const messages = await h.aws.drain(skill.queueUrl);
    expect(messages).toHaveLength(1);
    const routed = JSON.parse(messages[0]?.Body ?? '{}') as { conversationId: string; skill: string };
    expect(routed.skill).toBe('vip');
    conversationId = routed.conversationId;
  });

  it('finds the conversation by skill, participant and ticket number, and reads its whole history', async () => {
    // Act
    const bySkill = (await (await h.call('GET', '/conversations?skill=vip')).json()) as { items: { id: string; ticketNumber: string; lastSkill: string }[] };
    const byParticipant = (await (await h.call('GET', '/conversations?participant=vera@bigcorp.example&status=open')).json()) as { items: { id: string }[] };
    const ticket = bySkill.items[0]?.ticketNumber ?? '';
    const byTicket = (await (await h.call(`GET`, `/conversations?ticket=${ticket}`)).json()) as { items: { id: string }[] };
    const history = await h.call('GET', `/conversations/${conversationId}`);
    // Assert
    expect(bySkill.items.map((c) => c.id)).toEqual([conversationId]);
    expect(bySkill.items[0]?.lastSkill).toBe('vip');
    expect(byParticipant.items.map((c) => c.id)).toEqual([conversationId]);
    expect(byTicket.items.map((c) => c.id)).toEqual([conversationId]);
    expect(history.status).toBe(200);
    const body = (await history.json()) as {
      entries: { type: string; message: { direction: string; lane: string; thread: { rule: string } }; body: { newText: string; text: string } }[];
    };
    expect(body.entries).toHaveLength(1);
    expect(body.entries[0]).toMatchObject({ type: 'message', message: { direction: 'inbound', lane: 'human', thread: { rule: 'new-conversation' } } });
    expect(body.entries[0]?.body.newText).toContain('my order 4711 has not arrived');
  });

  it('assigns, notes, replies, closes and reopens through the API', async () => {
    // Act
    const assigned = await h.call('POST', `/conversations/${conversationId}/assign`, { body: { agentId: 'supervisor-1' } });
    const etag = assigned.headers.get('etag') ?? '';
    const note = await h.call('POST', `/conversations/${conversationId}/notes`, { body: { text: 'Key account, be quick' } });
    const reply = await h.call('POST', `/conversations/${conversationId}/reply`, { body: { text: 'Hello Vera, we are on it.' } });
    const closedStale = await h.call('POST', `/conversations/${conversationId}/close`, { headers: { 'if-match': '"1"' } });
    const closed = await h.call('POST', `/conversations/${conversationId}/close`, { headers: { 'if-match': etag } });
    const reopened = await h.call('POST', `/conversations/${conversationId}/reopen`);
    const history = (await (await h.call('GET', `/conversations/${conversationId}?bodies=false`)).json()) as { entries: { type: string }[] };
    // Assert
    expect(assigned.status).toBe(200);
    expect(await assigned.json()).toMatchObject({ lastAgent: 'supervisor-1' });
    expect(note.status).toBe(201);
    expect(reply.status).toBe(202);
    expect(await reply.json()).toMatchObject({ direction: 'outbound', status: 'queued', conversationId });
    expect(h.replies.sent).toMatchObject([{ conversationId, agentId: 'admin', text: 'Hello Vera, we are on it.' }]);
    expect(closedStale.status).toBe(409);
    expect(closed.status).toBe(200);
    expect(await closed.json()).toMatchObject({ status: 'closed' });
    expect(await reopened.json()).toMatchObject({ status: 'open' });
    expect(history.entries.map((e) => e.type)).toEqual(['message', 'note']);
  });

  it('answers 404 for a conversation that does not exist and 400 for a reply without text', async () => {
    // Act
    const missing = await h.call('GET', '/conversations/nope');
    const empty = await h.call('POST', `/conversations/${conversationId}/reply`, { body: {} });
    // Assert
    expect(missing.status).toBe(404);
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { error: { issues: { field: string }[] } }).error.issues[0]?.field).toBe('text');
  });
});

describe('skills', () => {
  it('refuses to delete a skill a rule names, or one of the deploy config', async () => {
    // Act
    const used = await h.call('DELETE', '/skills/vip', { headers: { 'if-match': '"1"' } });
    const seeded = await h.call('DELETE', '/skills/billing', { headers: { 'if-match': '"1"' } });
    // Assert
    expect(used.status).toBe(409);
    expect(((await used.json()) as { error: { message: string } }).error.message).toContain('sales.routing[0].skill');
    expect(seeded.status).toBe(409);
  });

  it('deletes an unused skill and its queues', async () => {
    // Arrange
    await h.call('POST', '/skills', { body: { name: 'temp' } });
    // Act
    const deleted = await h.call('DELETE', '/skills/temp', { headers: { 'if-match': '"1"' } });
    const after = await h.call('GET', '/skills/temp');
    // Assert
    expect(deleted.status).toBe(204);
    expect(after.status).toBe(404);
    await expect(h.aws.sqs.send(new GetQueueUrlCommand({ QueueName: 'temp.fifo' }))).rejects.toThrow();
  });

  it('validates a skill name and refuses a second skill of one name', async () => {
    // Act
    const bad = await h.call('POST', '/skills', { body: { name: 'Not OK!' } });
    const twice = await h.call('POST', '/skills', { body: { name: 'support' } });
    // Assert
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { issues: { field: string }[] } }).error.issues[0]?.field).toBe('name');
    expect(twice.status).toBe(409);
  });
});
