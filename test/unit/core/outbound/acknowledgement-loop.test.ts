import { describe, expect, it } from 'vitest';
import { MailparserMimeParser } from '../../../../functions/adapters/mailparser-mime-parser.ts';
import { MemoryAcknowledgementLedger } from '../../../../functions/adapters/memory/memory-acknowledgement-ledger.ts';
import { MemoryConversationStore } from '../../../../functions/adapters/memory/memory-conversation-store.ts';
import { MemorySuppressionList } from '../../../../functions/adapters/memory/memory-suppression-list.ts';
import { decideMessage } from '../../../../functions/core/inbound/decide-message.ts';
import { AcknowledgementSettingsSchema } from '../../../../functions/core/model/acknowledgement-settings.ts';
import type { ChannelSettings } from '../../../../functions/core/model/channel.ts';
import {
  acknowledgementHeaders,
  planAcknowledgement,
  renderAcknowledgement,
  type AcknowledgementDecision,
} from '../../../../functions/core/outbound/acknowledgement/acknowledgement.ts';
import { TestClock } from '../../../support/clock.ts';
import { channelSettings } from '../../../support/factories.ts';

const parser = new MailparserMimeParser();
const settings = AcknowledgementSettingsSchema.parse({ enabled: true });
const headerName = (name: string) => name.replace(/(^|-)(\w)/g, (_, dash: string, c: string) => `${dash}${c.toUpperCase()}`);

/** One Postroom deployment with one channel that acknowledges new conversations. */
class Postroom {
  readonly acknowledgements: string[] = [];
  readonly decisions: AcknowledgementDecision[] = [];
  /** Lane and `autoAnswerAllowed` of each mail received, as the inbound decision saw them. */
  readonly seen: { lane: string; autoAnswerAllowed: boolean }[] = [];
  private readonly deps;
  private readonly store = new MemoryConversationStore();
  private sent = 0;

  constructor(
    readonly channel: ChannelSettings,
    clock: TestClock,
  ) {
    this.deps = { ledger: new MemoryAcknowledgementLedger(), suppression: new MemorySuppressionList(), clock };
  }

  /** Receives raw mail the way the inbound path decides it; returns the acknowledgement it sends, if any. */
  async receive(raw: string, mailId: string): Promise<string | null> {
    const message = await parser.parse(Buffer.from(raw));
    const decision = await decideMessage({ lookup: this.store }, { message, channel: this.channel });
    this.seen.push({ lane: decision.classification.lane, autoAnswerAllowed: decision.autoAnswerAllowed });
    const plan = await planAcknowledgement(this.deps, {
      channelId: this.channel.id,
      mailId,
      settings,
      ownAddresses: [this.channel.address, ...this.channel.aliases],
      message,
      isNewConversation: decision.thread.action === 'new',
      autoAnswerAllowed: decision.autoAnswerAllowed,
    });
    this.decisions.push(plan);
    if (!plan.send) return null;
    const { subject, text } = renderAcknowledgement(settings, {
      ticketNumber: `00000${++this.sent}`,
      subject: message.subject,
      customerName: message.from?.name ?? '',
      channelName: this.channel.name,
    });
    const ack = mail({
      from: this.channel.address,
      to: plan.to,
      subject,
      id: `ack-${this.sent}@${this.channel.address.split('@')[1]}`,
      text,
      extra: acknowledgementHeaders(this.channel.address, message).map((h) => `${headerName(h.name)}: ${h.value}`),
    });
    this.acknowledgements.push(ack);
    return ack;
  }
}

function mail(m: { from: string; to: string; subject: string; id: string; text: string; extra?: readonly string[] }): string {
  return [
    `From: ${m.from}`,
    `To: ${m.to}`,
    `Subject: ${m.subject}`,
    `Message-ID: <${m.id}>`,
    'Date: Tue, 01 Dec 2026 10:00:00 +0000',
    ...(m.extra ?? []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    m.text,
    '',
  ].join('\r\n');
}

describe('acknowledgement loops', () => {
  it('two Postroom channels that acknowledge each other stop after one exchange', async () => {
    // Arrange: each side answers new conversations automatically
    const clock = new TestClock();
    const a = new Postroom(channelSettings({ id: 'a', address: 'support@a.example', name: 'A Support' }), clock);
    const b = new Postroom(channelSettings({ id: 'b', address: 'help@b.example', name: 'B Help' }), clock);
    const opening = mail({
      from: 'support@a.example',
      to: 'help@b.example',
      subject: 'Your order 4711',
      id: 'open-1@a.example',
      text: 'Hello, a question about your order.',
    });

    // Act: deliver every mail either side sends, until no side sends anything, or ten rounds
    let inFlight: { to: Postroom; raw: string } | null = { to: b, raw: opening };
    let rounds = 0;
    while (inFlight && rounds < 10) {
      const { to, raw }: { to: Postroom; raw: string } = inFlight;
      const ack = await to.receive(raw, `mail-${++rounds}`);
      inFlight = ack ? { to: to === a ? b : a, raw: ack } : null;
      clock.advance(1000);
    }

    // Assert: B acknowledged the opening mail; A saw an automatic answer and sent nothing back
    expect(b.acknowledgements).toHaveLength(1);
    expect(a.acknowledgements).toHaveLength(0);
    expect(rounds).toBe(2);
    expect(a.seen).toEqual([{ lane: 'auto-reply', autoAnswerAllowed: false }]);
    expect(a.decisions).toEqual([expect.objectContaining({ send: false })]);
    expect(b.acknowledgements[0]).toMatch(/^Auto-Submitted: auto-replied$/m);
    expect(b.acknowledgements[0]).toMatch(/^In-Reply-To: <open-1@a\.example>$/m);
  });

  it('never acknowledges mail whose From is one of our own channel addresses, however human it looks', async () => {
    // Arrange
    const clock = new TestClock();
    const channel = channelSettings({ id: 'a', address: 'support@a.example', aliases: ['help@a.example'] });
    const a = new Postroom(channel, clock);

    // Act
    const own = await a.receive(
      mail({
        from: 'Help Desk <help+eu@a.example>',
        to: 'support@a.example',
        subject: 'Printer broken',
        id: 'x1@a.example',
        text: 'Hi, my printer is broken.',
      }),
      'm1',
    );
    const customer = await a.receive(
      mail({
        from: 'Anna <anna@customer.example>',
        to: 'support@a.example',
        subject: 'Printer broken',
        id: 'x2@customer.example',
        text: 'Hi, my printer is broken.',
      }),
      'm2',
    );

    // Assert
    expect(own).toBeNull();
    expect(a.decisions[0]).toMatchObject({ send: false, reason: 'own-address' });
    expect(customer).not.toBeNull();
  });

  it('answers a responder that strips every automatic mark once per window, and the breaker tags its burst', async () => {
    // Arrange: a broken responder that answers each acknowledgement with a fresh, human-looking mail
    const clock = new TestClock();
    const a = new Postroom(channelSettings({ id: 'a', address: 'support@a.example' }), clock);

    // Act
    for (let i = 1; i <= 6; i++) {
      await a.receive(
        mail({ from: 'robot@broken.example', to: 'support@a.example', subject: `Ticket ${i} received`, id: `r${i}@broken.example`, text: 'We got your mail.' }),
        `m${i}`,
      );
      clock.advance(60_000);
    }

    // Assert
    expect(a.acknowledgements).toHaveLength(1);
    expect(a.decisions.map((d) => (d.send ? 'sent' : d.reason))).toEqual(['sent', 'window', 'window', 'window', 'circuit-breaker', 'circuit-breaker']);
    expect(a.decisions[4]).toMatchObject({ tags: ['auto-reply-loop-suspected'] });
  });
});
