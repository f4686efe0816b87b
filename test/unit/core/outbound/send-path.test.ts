import { describe, expect, it } from 'vitest';
import { NotFoundError, PolicyError, TransportError, ValidationError } from '../../../../functions/core/errors.ts';
import type { InboundStoredMessage } from '../../../../functions/core/model/stored-message.ts';
import { queueReply } from '../../../../functions/core/outbound/compose/queue-reply.ts';
import { sendOutbound } from '../../../../functions/core/outbound/send/send-outbound.ts';
import { channelSettings } from '../../../support/factories.ts';
import { outboundWorld, permanent, transient } from '../../../support/outbound-world.ts';

const channel = channelSettings({ displayName: 'Example Support' });
const AT = '2026-11-22T10:00:00.000Z';

async function setup() {
  const world = outboundWorld(channel);
  const conversation = { id: 'conv-1', channelId: channel.id, ticketNumber: '0000013', replyToken: 'tok1', createdAt: AT };
  await world.conversations.create(conversation);
  await world.conversations.publish(conversation, ['carla@customer.example'], AT, { reopen: true });
  const question: InboundStoredMessage = {
    direction: 'inbound',
    messageId: 'in-1',
    channelId: channel.id,
    conversationId: 'conv-1',
    sesMessageId: 'ses-1',
    rawKey: 'inbound/raw/ses-1',
    internetMessageId: 'q-1@customer.example',
    subject: 'Where is my parcel?',
    from: { address: 'carla@customer.example', name: 'Carla' },
    to: [{ address: channel.address, name: '' }],
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
  const queue = (text = 'It left today.', extra: Record<string, unknown> = {}) =>
    queueReply(world.queueDeps, { conversationId: 'conv-1', agentId: 'agent-7', text, ...extra });
  const send = () => {
    const job = world.jobs.at(-1);
    if (!job) throw new Error('no job');
    return sendOutbound(world.sendDeps, job);
  };
  return { ...world, queue, send };
}

describe('queueReply', () => {
  it('stores the reply as queued with its plan and puts one job on the queue, grouped by conversation', async () => {
    // Arrange
    const { queue, jobs, messages } = await setup();
    // Act
    const queued = await queue();
    // Assert
    expect(queued).toMatchObject({
      direction: 'outbound',
      purpose: 'reply',
      status: 'queued',
      subject: 'Re: Where is my parcel? [#0000013]',
      agentId: 'agent-7',
      inReplyTo: 'in-1',
    });
    expect(queued.to).toEqual([{ address: 'carla@customer.example', name: 'Carla' }]);
    expect(jobs).toEqual([{ schemaVersion: 1, channelId: channel.id, conversationId: 'conv-1', messageId: queued.messageId, createdAt: queued.createdAt }]);
    expect((await messages.getOutbound(queued)).status).toBe('queued');
  });

  it('refuses a suppressed recipient before anything is stored, naming reason and date', async () => {
    // Arrange
    const { queue, jobs, suppression, messages } = await setup();
    await suppression.put({
      address: 'carla@customer.example',
      scope: { kind: 'channel', channelId: channel.id },
      reason: 'bounce',
      detail: '5.1.1 user unknown',
      messageId: null,
      since: '2026-11-20T08:00:00.000Z',
    });
    // Act
    const error = await queue().catch((e: unknown) => e);
    // Assert
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).code).toBe('suppressed');
    expect((error as Error).message).toMatch(/carla@customer\.example.*2026-11-20.*bounce/);
    expect(jobs).toEqual([]);
    expect([...messages.byId.values()].filter((m) => m.direction === 'outbound')).toEqual([]);
  });

  it('answers 404 for an unknown conversation, and refuses a Cc that would add a header, naming the field', async () => {
    // Arrange
    const world = await setup();
    // Act
    const missing = await queueReply(world.queueDeps, { conversationId: 'nope', agentId: 'a', text: 'x' }).catch((e: unknown) => e);
    const injected = await world.queue('x', { cc: ['eve@evil.example\r\nBcc: all@example.com'] }).catch((e: unknown) => e);
    const named = await world.queue('x', { cc: [{ address: 'eve@evil.example', name: 'Eve\r\nBcc: all@example.com' }] }).catch((e: unknown) => e);
    const empty = await world.queue('   ').catch((e: unknown) => e);
    // Assert
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(injected).toBeInstanceOf(ValidationError);
    expect((injected as ValidationError).issues).toEqual([{ path: 'cc[0]', message: expect.stringMatching(/^an email address, or/) }]);
    expect((named as ValidationError).issues).toEqual([
      { path: 'cc[0].name', message: 'no line breaks, control or bidi override characters, or lone surrogates' },
    ]);
    expect((empty as ValidationError).issues).toEqual([{ path: 'text', message: 'give text or html' }]);
    expect(world.jobs).toEqual([]);
  });
});

describe('queueReply: hostile HTML', () => {
  it('refuses HTML nested deeper than the limit with a 400 on html, before anything is stored', async () => {
    // Arrange
    const world = await setup();
    // Act
    const error = await world.queue('', { html: `${'<b>'.repeat(300_000)}x` }).catch((e: unknown) => e);
    // Assert
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([{ path: 'html', message: 'HTML nested more than 200 elements deep; flatten it' }]);
    expect(world.jobs).toEqual([]);
  });

  it('previews a reply of a hundred thousand unclosed <style in linear time', async () => {
    // Arrange
    const world = await setup();
    const started = performance.now();
    // Act
    const queued = await world.queue('', { text: null, html: `<p>Hello</p>${'<style'.repeat(100_000)}` });
    const closed = await world.queue('', { text: null, html: '<style>p{color:red}</style><p>Hello</p><script>x()</script>' });
    // Assert: the old pattern took minutes on this
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(queued.preview).toMatch(/^Hello <style<style<style.*…$/);
    expect(closed.preview).toBe('Hello');
  });
});

describe('queueReply: attachments', () => {
  const file = (key: string) => ({ source: 's3', key, filename: 'a.txt', contentType: 'text/plain' });
  const issuesOf = (error: unknown) => (error as ValidationError).issues;

  it('records an uploaded file of the agent on the stored reply, queued and sent', async () => {
    // Arrange
    const world = await setup();
    world.uploads.set('outbound/uploads/agents/agent-7/u-1/a.txt', 12);
    const source = { fetch: async () => ({ filename: 'a.txt', contentType: 'text/plain', content: new TextEncoder().encode('hello world\n') }) };
    // Act
    const queued = await world.queue('See the file.', { attachments: [file('outbound/uploads/agents/agent-7/u-1/a.txt')] });
    const job = world.jobs.at(-1);
    if (!job) throw new Error('no job');
    const outcome = await sendOutbound({ ...world.sendDeps, attachments: source }, job);
    // Assert
    expect(queued.attachments).toEqual([{ filename: 'a.txt', contentType: 'text/plain', size: 12, inline: false, contentId: null, checksum: null }]);
    expect(outcome.status).toBe('sent');
    expect(world.transport.sent[0]?.raw).toMatch(/^Content-Disposition: attachment; filename=a\.txt/m);
    expect(await world.messages.getOutbound(queued)).toMatchObject({ status: 'sent', attachments: queued.attachments });
  });

  it('refuses a key with no file, and one of another agent, naming attachments[i].key, before anything is stored', async () => {
    // Arrange
    const world = await setup();
    world.uploads.set('outbound/uploads/agents/agent-2/u-2/b.txt', 5);
    world.uploads.set('outbound/uploads/agents/agent-7/u-1/a.txt', 12);
    // Act
    const missing = await world.queue('x', { attachments: [file('outbound/uploads/nope')] }).catch((e: unknown) => e);
    const notUploaded = await world.queue('x', { attachments: [file('outbound/uploads/agents/agent-7/u-9/a.txt')] }).catch((e: unknown) => e);
    const foreign = await world
      .queue('x', {
        attachments: [file('outbound/uploads/agents/agent-7/u-1/a.txt'), file('outbound/uploads/agents/agent-2/u-2/b.txt')],
      })
      .catch((e: unknown) => e);
    // Assert
    expect(issuesOf(missing)).toEqual([{ path: 'attachments[0].key', message: expect.stringMatching(/^not an upload of the replying agent/) }]);
    expect(issuesOf(notUploaded)).toEqual([{ path: 'attachments[0].key', message: expect.stringMatching(/^no file is stored under this key/) }]);
    expect(issuesOf(foreign)).toEqual([{ path: 'attachments[1].key', message: expect.stringContaining('outbound/uploads/agents/agent-7/') }]);
    expect(world.jobs).toEqual([]);
  });

  it("lets a supervisor replying for an agent attach the agent's uploads and their own, no one else's", async () => {
    // Arrange
    const world = await setup();
    world.uploads.set('outbound/uploads/agents/agent-7/u-1/a.txt', 12);
    world.uploads.set('outbound/uploads/agents/sup-1/u-2/a.txt', 3);
    world.uploads.set('outbound/uploads/agents/agent-2/u-3/a.txt', 4);
    const forAgent = (key: string) => world.queue('x', { callerId: 'sup-1', attachments: [file('outbound/uploads/agents/agent-7/u-1/a.txt'), file(key)] });
    // Act
    const queued = await forAgent('outbound/uploads/agents/sup-1/u-2/a.txt');
    const refused = await forAgent('outbound/uploads/agents/agent-2/u-3/a.txt').catch((e: unknown) => e);
    // Assert
    expect(queued.attachments.map((a) => a.size)).toEqual([12, 3]);
    expect(issuesOf(refused)).toEqual([{ path: 'attachments[1].key', message: expect.stringMatching(/agent-7\/….*sup-1\/…/) }]);
  });
});

describe('sendOutbound', () => {
  it("sends once, records sent with our id and the provider's, claims both and sets the last agent; a redelivered job sends nothing", async () => {
    // Arrange
    const { queue, send, transport, messages, conversations } = await setup();
    const queued = await queue();
    // Act
    const first = await send();
    const again = await send();
    // Assert
    expect(first).toMatchObject({ status: 'sent', duplicate: false });
    expect(again).toMatchObject({ status: 'sent', duplicate: true });
    expect(transport.sent).toHaveLength(1);
    expect(transport.sent[0]?.raw).toMatch(/^In-Reply-To: <q-1@customer\.example>/m);
    const stored = await messages.getOutbound(queued);
    expect(stored).toMatchObject({ status: 'sent', providerMessageId: 'p-1', retrying: false });
    expect(stored.threadIds).toEqual([queued.internetMessageId, 'p-1@eu-west-1.amazonses.com']);
    expect(stored.recipients.map((r) => r.status)).toEqual(['sent']);
    const found = await conversations.findByMessageIds(channel.id, ['p-1@eu-west-1.amazonses.com']);
    expect(found.get('p-1@eu-west-1.amazonses.com')).toMatchObject({ id: 'conv-1', lastAgent: 'agent-7' });
  });

  it('records a transient failure as failed and retrying, throws for a redelivery, and sends on the next one', async () => {
    // Arrange
    const { queue, send, transport, messages } = await setup();
    const queued = await queue();
    transport.failures.push(transient());
    // Act
    const error = await send().catch((e: unknown) => e);
    const between = await messages.getOutbound(queued);
    const retried = await send();
    // Assert
    expect(error).toBeInstanceOf(TransportError);
    expect(between).toMatchObject({ status: 'failed', retrying: true, statusReason: '451 4.3.0 try again later' });
    expect(retried).toMatchObject({ status: 'sent' });
    expect((await messages.getOutbound(queued)).status).toBe('sent');
    expect(transport.sent).toHaveLength(1);
  });

  it('fails a permanent refusal at once with the reason, and a transient one at the last attempt', async () => {
    // Arrange
    const world = await setup();
    const refused = await world.queue('one');
    world.transport.failures.push(permanent());
    // Act
    const outcome = await world.send();
    const flaky = await world.queue('two');
    world.transport.failures.push(transient(), transient(), transient());
    const thrown = [await world.send().catch((e: unknown) => e), await world.send().catch((e: unknown) => e)];
    const last = await world.send();
    // Assert
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'transport-permanent' } });
    expect(await world.messages.getOutbound(refused)).toMatchObject({ status: 'failed', retrying: false, statusReason: '550 5.1.1 no such user' });
    expect(thrown.every((e) => e instanceof TransportError)).toBe(true);
    expect(last).toMatchObject({ status: 'failed', error: { code: 'transport-transient' } });
    expect(await world.messages.getOutbound(flaky)).toMatchObject({ status: 'failed', retrying: false });
    expect(world.transport.sent).toHaveLength(0);
  });

  it('never sends twice after a crash in the middle of a send: the mail may have left, so it is failed as unknown', async () => {
    // Arrange: the first attempt dies inside the transport call
    const { queue, send, transport, clock, messages } = await setup();
    const queued = await queue();
    transport.crashNext = true;
    void send();
    await new Promise((resolve) => setTimeout(resolve, 50));
    clock.advance(61_000);
    // Act
    const retried = await send();
    // Assert
    expect(transport.sent).toHaveLength(1);
    expect(retried).toMatchObject({ status: 'failed', error: { code: 'transport-permanent' } });
    expect((await messages.getOutbound(queued)).statusReason).toMatch(/may have left/);
  });

  it('fails a mail the composer cannot build at once, with the reason, instead of retrying it', async () => {
    // Arrange: a sanitizer that overflows its stack on the content
    const world = await setup();
    const queued = await world.queue();
    const job = world.jobs.at(-1);
    if (!job) throw new Error('no job');
    const overflowing = { compose: async () => Promise.reject(new RangeError('Maximum call stack size exceeded')) };
    // Act
    const outcome = await sendOutbound({ ...world.sendDeps, composer: overflowing }, job);
    // Assert
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'compose-failed' } });
    const stored = await world.messages.getOutbound(queued);
    expect(stored).toMatchObject({ status: 'failed', retrying: false });
    expect(stored.statusReason).toBe('the mail could not be composed: RangeError: Maximum call stack size exceeded');
    expect(world.transport.sent).toHaveLength(0);
  });

  it('refuses at send time an address suppressed after the reply was queued', async () => {
    // Arrange
    const { queue, send, transport, suppression, messages } = await setup();
    const queued = await queue();
    await suppression.put({
      address: 'carla@customer.example',
      scope: { kind: 'account' },
      reason: 'complaint',
      detail: 'abuse',
      messageId: null,
      since: '2026-11-22T09:00:00.000Z',
    });
    // Act
    const outcome = await send();
    // Assert
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'suppressed' } });
    expect(transport.sent).toHaveLength(0);
    expect((await messages.getOutbound(queued)).status).toBe('failed');
  });
});
