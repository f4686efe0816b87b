import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MailparserMimeParser } from '../../../../functions/adapters/mailparser-mime-parser.ts';
import { MemoryOutboundMessages } from '../../../../functions/adapters/memory/memory-outbound-messages.ts';
import { MemorySuppressionList } from '../../../../functions/adapters/memory/memory-suppression-list.ts';
import { MemoryWindowCounter } from '../../../../functions/adapters/memory/memory-window-counter.ts';
import { classify } from '../../../../functions/core/inbound/classify.ts';
import { applyFeedback } from '../../../../functions/core/outbound/feedback/apply-feedback.ts';
import { correlateReport } from '../../../../functions/core/outbound/feedback/correlate-report.ts';
import { addr } from '../../../support/factories.ts';
import { TestClock } from '../../../support/clock.ts';
import { sentMessage } from '../../../support/outbound.ts';

const FIXTURES = join(import.meta.dirname, '../../../fixtures/mail');
const parser = new MailparserMimeParser();
const RECEIVED = '2026-12-01T12:00:00.000Z';

async function report(file: string) {
  const message = await parser.parse(readFileSync(join(FIXTURES, file)));
  const classification = classify(message, { ownAddresses: ['support@example.com'] });
  return correlateReport({ channelId: 'support', message, classification, receivedAt: RECEIVED, receiptId: 'ses-in-1' });
}

describe('correlateReport: DSN and ARF mail about mail we sent over SMTP', () => {
  it('takes the enclosed Message-ID and the failed recipient of a Postfix DSN', async () => {
    // Act
    const feedback = await report('classify/postfix-dsn-failed.eml');

    // Assert
    expect(feedback).toEqual({
      key: 'report:support:ses-in-1',
      kind: 'bounce',
      target: { kind: 'internet', channelId: 'support', messageIds: ['reply-42@support.example.com'] },
      updates: [
        {
          address: 'gone@example.org',
          status: 'bounced',
          smtpStatus: '5.1.1',
          detail: '550 5.1.1 <gone@example.org>: user unknown',
          at: RECEIVED,
          signal: { kind: 'bounce', permanent: true, subType: null },
        },
      ],
      sentAt: null,
      at: RECEIVED,
    });
  });

  it('reads a qmail bounce per recipient: one dead mailbox, one full', async () => {
    const feedback = await report('classify/qmail-bounce.eml');
    expect(feedback?.target).toEqual({ kind: 'internet', channelId: 'support', messageIds: ['ticket-7@support.example.com'] });
    expect(feedback?.updates.map((u) => [u.address, u.status, u.smtpStatus])).toEqual([
      ['nobody@example.org', 'bounced', '5.1.1'],
      ['full@example.org', 'bounced', '5.2.2'],
    ]);
  });

  it('makes a delay DSN delayed and a relayed DSN delivered, without a suppression signal', async () => {
    const delay = await report('classify/dsn-delayed.eml');
    const relayed = await report('classify/dsn-delivered.eml');
    expect(delay?.updates).toEqual([
      expect.objectContaining({ address: 'slow@example.org', status: 'delayed', smtpStatus: '4.4.1', signal: { kind: 'none' } }),
    ]);
    expect(relayed).toMatchObject({ kind: 'delivery', updates: [{ address: 'happy@example.org', status: 'delivered', signal: { kind: 'none' } }] });
  });

  it('makes an ARF report a complaint about the enclosed message, for its Original-Rcpt-To', async () => {
    const feedback = await report('classify/arf-abuse-report.eml');
    expect(feedback).toMatchObject({
      kind: 'complaint',
      target: { messageIds: ['newsletter-9@support.example.com'] },
      updates: [
        {
          address: 'complainer@mailbox-provider.example',
          status: 'complained',
          detail: 'feedback-type: abuse',
          signal: { kind: 'complaint', feedbackType: 'abuse' },
        },
      ],
    });
  });

  it('keeps a redacted ARF report (sisimai arf-01) without a recipient, and an empty enclosure without ids', async () => {
    const arf = await report('feedback/sisimai-arf-abuse-redacted.eml');
    const postfix = await report('feedback/sisimai-postfix-user-unknown.eml');
    expect(arf).toMatchObject({
      kind: 'complaint',
      key: 'report:support:000000000000000.000000000000@x34.mx.example.net',
      updates: [{ address: null, status: 'complained' }],
    });
    expect(postfix).toMatchObject({ kind: 'bounce', target: { messageIds: [] }, updates: [{ address: 'r@p351355.pool.example.ne.jp', smtpStatus: '5.1.1' }] });
  });

  it('returns null for mail that is no report', async () => {
    expect(await report('conversation/03-customer-reply.eml')).toBeNull();
    expect(await report('classify/exchange-automatic-reply-ooo.eml')).toBeNull();
  });

  it('ties a Gmail bounce to the reply it answers and suppresses the dead address end to end', async () => {
    // Arrange: the reply the bounce is about, sent over the channel's SMTP server
    const messages = new MemoryOutboundMessages();
    const reply = sentMessage({
      messageId: 'out-5',
      internetMessageId: 'reply-5@support.example.com',
      threadIds: ['reply-5@support.example.com'],
      providerMessageId: 'smtp-queue-1',
      to: [addr('no.such.user@example.org')],
    });
    await messages.put(reply);
    const suppression = new MemorySuppressionList();
    const feedback = await report('classify/gmail-failed-permanently.eml');
    if (!feedback) throw new Error('no feedback');

    // Act
    const outcome = await applyFeedback({ messages, suppression, failures: new MemoryWindowCounter(), clock: new TestClock(new Date(RECEIVED)) }, feedback);

    // Assert
    expect(outcome).toMatchObject({ kind: 'applied', messageId: 'out-5', status: 'bounced' });
    expect(await suppression.find('support', 'no.such.user@example.org')).toMatchObject({ reason: 'bounce', messageId: 'out-5' });
  });
});
