import { describe, expect, it } from 'vitest';
import { MemoryAcknowledgementLedger } from '../../../../functions/adapters/memory/memory-acknowledgement-ledger.ts';
import { MemorySuppressionList } from '../../../../functions/adapters/memory/memory-suppression-list.ts';
import { AcknowledgementSettingsSchema } from '../../../../functions/core/model/acknowledgement-settings.ts';
import {
  acknowledgementHeaders,
  isRoleAddress,
  LOOP_SUSPECTED_TAG,
  planAcknowledgement,
  renderAcknowledgement,
  type AcknowledgementInput,
} from '../../../../functions/core/outbound/acknowledgement/acknowledgement.ts';
import { TestClock } from '../../../support/clock.ts';
import { addr, parsedMessage } from '../../../support/factories.ts';

const ON = AcknowledgementSettingsSchema.parse({ enabled: true });

function input(overrides: Partial<AcknowledgementInput> = {}): AcknowledgementInput {
  return {
    channelId: 'support',
    mailId: 'in-1',
    settings: ON,
    ownAddresses: ['support@example.com', 'sales@example.com'],
    message: parsedMessage({ from: addr('Anna <anna@customer.example>') }),
    isNewConversation: true,
    autoAnswerAllowed: true,
    ...overrides,
  };
}

function deps(clock = new TestClock()) {
  return { ledger: new MemoryAcknowledgementLedger(), suppression: new MemorySuppressionList(), clock };
}

describe('planAcknowledgement', () => {
  it('acknowledges a new conversation opened by a person, to the sender', async () => {
    expect(await planAcknowledgement(deps(), input())).toEqual({ send: true, to: 'anna@customer.example' });
  });

  it.each([
    ['disabled', { settings: AcknowledgementSettingsSchema.parse({}) }],
    ['no-sender', { message: parsedMessage({ from: null }) }],
    ['own-address', { message: parsedMessage({ from: addr('sales+eu@example.com') }) }],
    ['own-address', { message: parsedMessage({ from: addr('anna@customer.example'), replyTo: [addr('Support@Example.com')] }) }],
    ['not-new-conversation', { isNewConversation: false }],
    ['automatic', { autoAnswerAllowed: false }],
    ['null-return-path', { message: parsedMessage({ headers: [{ name: 'return-path', value: '<>' }] }) }],
    ['null-return-path', { envelopeSender: '' }],
    ['role-address', { message: parsedMessage({ from: addr('MAILER-DAEMON@mx.example.org') }) }],
    ['role-address', { message: parsedMessage({ from: addr('no-reply+abc@shop.example') }) }],
    ['auto-response-suppressed', { message: parsedMessage({ headers: [{ name: 'x-auto-response-suppress', value: 'DR, RN, NRN, OOF, AutoReply' }] }) }],
  ] as const)('skips with reason %s', async (reason, overrides) => {
    // Act
    const decision = await planAcknowledgement(deps(), input(overrides));
    // Assert
    expect(decision).toMatchObject({ send: false, reason, tags: [] });
    if (!decision.send) expect(decision.detail.length).toBeGreaterThan(5);
  });

  it('skips a suppressed address, naming the suppression', async () => {
    const d = deps();
    await d.suppression.put({
      address: 'anna@customer.example',
      scope: { kind: 'account' },
      reason: 'complaint',
      detail: null,
      messageId: null,
      since: '2026-11-01T00:00:00.000Z',
    });
    expect(await planAcknowledgement(d, input())).toMatchObject({ send: false, reason: 'suppressed', detail: expect.stringContaining('since 2026-11-01') });
  });

  it('acknowledges a sender once per window (RFC 3834 §2) and again after it', async () => {
    // Arrange
    const clock = new TestClock();
    const d = deps(clock);

    // Act
    const first = await planAcknowledgement(d, input({ mailId: 'm1' }));
    clock.advance(23 * 3_600_000);
    const sameDay = await planAcknowledgement(d, input({ mailId: 'm2' }));
    clock.advance(2 * 3_600_000);
    const nextDay = await planAcknowledgement(d, input({ mailId: 'm3' }));

    // Assert
    expect(first.send).toBe(true);
    expect(sameDay).toMatchObject({ send: false, reason: 'window' });
    expect(nextDay.send).toBe(true);
  });

  it('honours a configured window', async () => {
    const clock = new TestClock();
    const d = deps(clock);
    const settings = AcknowledgementSettingsSchema.parse({ enabled: true, windowHours: 1 });
    await planAcknowledgement(d, input({ settings, mailId: 'm1' }));
    clock.advance(61 * 60_000);
    expect((await planAcknowledgement(d, input({ settings, mailId: 'm2' }))).send).toBe(true);
  });

  it('sends one acknowledgement for two racing mails of one sender, and the same again to a retry', async () => {
    // Arrange
    const d = deps();

    // Act
    const [a, b] = await Promise.all([planAcknowledgement(d, input({ mailId: 'm1' })), planAcknowledgement(d, input({ mailId: 'm2' }))]);
    const retry = await planAcknowledgement(d, input({ mailId: 'm1' }));

    // Assert
    expect([a.send, b.send].filter(Boolean)).toHaveLength(1);
    expect(retry.send).toBe(a.send);
  });

  it('trips the breaker on a burst from one sender and tags the conversation, counting automatic mail too', async () => {
    // Arrange: four automatic mails of one sender, then new conversations, within ten minutes
    const clock = new TestClock();
    const d = deps(clock);
    const settings = AcknowledgementSettingsSchema.parse({ enabled: true, windowHours: 1, breaker: { mails: 5, minutes: 10 } });
    for (let i = 1; i <= 4; i++) {
      await planAcknowledgement(d, input({ settings, mailId: `auto-${i}`, autoAnswerAllowed: false }));
      clock.advance(60_000);
    }

    // Act
    const fifth = await planAcknowledgement(d, input({ settings, mailId: 'human-5' }));
    clock.advance(11 * 60_000);
    const calm = await planAcknowledgement(d, input({ settings, mailId: 'human-6' }));

    // Assert
    expect(fifth).toEqual({
      send: false,
      reason: 'circuit-breaker',
      detail: '5 mails from anna@customer.example within 10 minutes',
      tags: [LOOP_SUSPECTED_TAG],
    });
    expect(calm.send).toBe(true);
  });
});

describe('acknowledgement mail', () => {
  it('marks itself automatic and threads under the mail it answers', () => {
    // Arrange
    const answered = parsedMessage({ messageId: 'q1@customer.example', references: ['a@x', 'bad id', 'b@x'] });
    // Act
    const headers = acknowledgementHeaders('Support@Example.com', answered);
    // Assert
    expect(headers).toEqual([
      { name: 'auto-submitted', value: 'auto-replied' },
      { name: 'x-auto-response-suppress', value: 'All' },
      { name: 'x-loop', value: 'support@example.com' },
      { name: 'in-reply-to', value: '<q1@customer.example>' },
      { name: 'references', value: '<a@x> <b@x> <q1@customer.example>' },
    ]);
    expect(acknowledgementHeaders('s@e', parsedMessage({ messageId: null }))).toHaveLength(3);
  });

  it('keeps References short', () => {
    const references = Array.from({ length: 100 }, (_, i) => `r${i}@x`);
    const value = acknowledgementHeaders('s@e', parsedMessage({ messageId: 'q@x', references })).find((h) => h.name === 'references')?.value ?? '';
    expect(value.split(' ')).toHaveLength(20);
    expect(value.endsWith('<r99@x> <q@x>')).toBe(true);
  });

  it('renders the template with the ticket number; a subject cannot add header lines', () => {
    const rendered = renderAcknowledgement(ON, {
      ticketNumber: '0000013',
      subject: 'Help\r\nBcc: victim@x {{ticketNumber}}',
      customerName: 'Anna',
      channelName: 'Example Support',
    });
    expect(rendered.subject).toBe('Re: Help Bcc: victim@x {{ticketNumber}}');
    expect(rendered.text).toContain('We have opened ticket 0000013');
    expect(rendered.text).toMatch(/^Hello Anna,/);
  });

  it('refuses templates with unknown placeholders', () => {
    expect(AcknowledgementSettingsSchema.safeParse({ body: 'Dear {{customerEmail}}' }).success).toBe(false);
    expect(AcknowledgementSettingsSchema.parse({})).toMatchObject({ enabled: false, windowHours: 24, breaker: { mails: 5, minutes: 10 } });
  });

  it('knows role and no-reply addresses, not people', () => {
    const roles = [
      'postmaster@x.example',
      'mailer-daemon@x.example',
      'noreply@x.example',
      'no_reply@x.example',
      'do-not-reply@x.example',
      'bounces+123@x.example',
      'list-request@x.example',
      'owner-list@x.example',
      'shop-noreply@x.example',
      'abuse@x.example',
    ];
    const people = ['anna@x.example', 'noreen@x.example', 'bouncer.bob@x.example', 'support@x.example', 'info@x.example'];
    expect(roles.filter((a) => !isRoleAddress(a))).toEqual([]);
    expect(people.filter(isRoleAddress)).toEqual([]);
  });
});
