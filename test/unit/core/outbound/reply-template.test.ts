import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../functions/core/errors.ts';
import type { InboundStoredMessage } from '../../../../functions/core/model/stored-message.ts';
import { queueReply } from '../../../../functions/core/outbound/compose/queue-reply.ts';
import { DEFAULT_TEMPLATE } from '../../../../functions/core/outbound/compose/render-template.ts';
import { sendOutbound } from '../../../../functions/core/outbound/send/send-outbound.ts';
import { channelSettings } from '../../../support/factories.ts';
import { outboundWorld } from '../../../support/outbound-world.ts';

const AT = '2026-11-22T10:00:00.000Z';
const INLINE = '<div class="inline">{{body}}{{signature}}</div>';

async function setup(template: string | null = null) {
  const world = outboundWorld(channelSettings({ displayName: 'Example Support', template }));
  const conversation = { id: 'conv-1', channelId: 'support', ticketNumber: '0000013', replyToken: 'tok1', createdAt: AT };
  await world.conversations.create(conversation);
  await world.conversations.publish(conversation, ['carla@customer.example'], AT, { reopen: true });
  const question: InboundStoredMessage = {
    direction: 'inbound',
    messageId: 'in-1',
    channelId: 'support',
    conversationId: 'conv-1',
    sesMessageId: 'ses-1',
    rawKey: 'inbound/raw/ses-1',
    internetMessageId: 'q-1@customer.example',
    subject: 'Where is my parcel?',
    from: { address: 'carla@customer.example', name: 'Carla' },
    to: [{ address: 'support@example.com', name: '' }],
    cc: [],
    date: AT,
    receivedAt: AT,
    replyTo: [],
    sender: null,
    inReplyTo: null,
    references: [],
    lane: 'human',
    laneReason: 'no automatic signal',
    tags: [],
    disposition: 'route',
    route: null,
    thread: { rule: 'new-conversation', reason: 'nothing known', flags: [] },
    preview: 'Order 4711',
    attachments: [],
    rejectedAttachments: [],
    language: null,
  };
  await world.messages.put(question);
  const stored = (name: string, html: string, text?: string) =>
    world.templates.items.set(name, { value: { name, html, ...(text === undefined ? {} : { text }) }, version: 1, updatedAt: AT, managedBy: 'api' });
  const signature = (agentId: string, html: string, text: string) =>
    world.signatures.items.set(agentId, { value: { html, text }, version: 1, updatedAt: AT, managedBy: 'api' });
  /** Queues a reply and returns the plan's content. */
  const contentOf = async (extra: Record<string, unknown> = {}) => {
    await queueReply(world.queueDeps, { conversationId: 'conv-1', agentId: 'agent-7', text: 'It left today.', ...extra });
    const job = world.jobs.at(-1);
    if (!job) throw new Error('no job');
    return (await world.sendDeps.plans.get('support', job.messageId)).content;
  };
  return { ...world, stored, signature, contentOf };
}

describe("queueReply: the stored template and the replying agent's stored signature", () => {
  it("uses the built-in layout, then the channel's inline template, then its stored default", async () => {
    // Arrange
    const builtIn = await setup();
    const inline = await setup(INLINE);
    const stored = await setup(INLINE);
    stored.stored('default', '<main>{{body}}</main>', '{{body}} (#{{ticketNumber}})');
    // Act
    const [a, b, c] = [await builtIn.contentOf(), await inline.contentOf(), await stored.contentOf()];
    // Assert
    expect(a).toMatchObject({ template: DEFAULT_TEMPLATE, textTemplate: null });
    expect(b).toMatchObject({ template: INLINE, textTemplate: null });
    expect(c).toMatchObject({ template: '<main>{{body}}</main>', textTemplate: '{{body}} (#{{ticketNumber}})' });
  });

  it('uses the template a reply names, and refuses a name the channel has no template for (400 on template)', async () => {
    // Arrange
    const w = await setup();
    w.stored('default', '<main>{{body}}</main>');
    w.stored('short', '<p>{{body}}</p>');
    // Act
    const named = await w.contentOf({ template: 'short' });
    const missing = await w.contentOf({ template: 'long' }).catch((e: unknown) => e);
    // Assert
    expect(named.template).toBe('<p>{{body}}</p>');
    expect(missing).toBeInstanceOf(ValidationError);
    expect((missing as ValidationError).issues).toEqual([
      { path: 'template', message: "channel support has no template long; leave template out for the channel's default" },
    ]);
    expect(w.jobs).toHaveLength(1);
  });

  it("carries the replying agent's stored signature, never another agent's; a signature the request gives wins", async () => {
    // Arrange
    const w = await setup();
    w.signature('agent-7', '<p>Ana</p>', 'Ana');
    w.signature('agent-8', '<p>Bo</p>', 'Bo');
    // Act
    const own = await w.contentOf();
    const none = await w.contentOf({ agentId: 'agent-9' });
    const given = await w.contentOf({ signature: { html: '', text: 'From the command line' } });
    // Assert
    expect(own.signature).toEqual({ html: '<p>Ana</p>', text: 'Ana' });
    expect(none.signature).toBeNull();
    expect(given.signature).toEqual({ html: null, text: 'From the command line' });
  });

  it('sends what was set: the stored template and signature are in the composed mail', async () => {
    // Arrange
    const w = await setup();
    w.stored('default', '<html><body><table><tr><td style="color:#123456">{{body}}</td></tr><tr><td>{{signature}}</td></tr></table></body></html>');
    w.signature('agent-7', '<p><b>Ana</b>, Support</p>', '');
    // Act
    await w.contentOf();
    const job = w.jobs.at(-1);
    if (!job) throw new Error('no job');
    await sendOutbound(w.sendDeps, job);
    const sent = await simpleParser(w.transport.sent[0]?.raw ?? '');
    // Assert
    expect(sent.html).toContain('<td style="color:#123456"><p>It left today.</p></td>');
    expect(sent.html).toContain('<td><p><b>Ana</b>, Support</p></td>');
    expect(sent.text).toBe('It left today.\n\n-- \nAna, Support\n');
  });
});
