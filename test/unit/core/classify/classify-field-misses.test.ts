import { describe, expect, it } from 'vitest';
import { classify } from '../../../../functions/core/inbound/classify.ts';
import { fixture } from '../../../support/eml.ts';

const own = { ownAddresses: ['support@example.com'] };
const recipients = (name: string) => classify(fixture(name), own).deliveryReport?.recipients.map((r) => [r.address, r.status, r.action]);

describe('classify: carrier bounces, complaints and rule answers that looked like something else', () => {
  it('takes an au by KDDI bounce with a null return path and a neutral subject for a bounce, not an auto-reply', () => {
    // Act
    const result = classify(fixture('kddi-bounce-null-return-path-mailbox-full.eml'), own);

    // Assert
    expect(result.lane).toBe('bounce');
    expect(recipients('kddi-bounce-null-return-path-mailbox-full.eml')).toEqual([['customer@ezweb.ne.jp', '5.2.2', 'failed']]);
  });

  it('takes a Hotmail JMRP complaint (the reported mail enclosed, no ARF part) for a feedback report', () => {
    // Act
    const result = classify(fixture('hotmail-jmrp-complaint.eml'), own);

    // Assert
    expect(result).toMatchObject({ lane: 'feedback-report', originalMessageId: 'ticket-1042.3@support.example.com' });
    expect(result.feedbackReport).toEqual({
      feedbackType: 'abuse',
      recipients: ['customer@hotmail.com'],
      originalMessageId: 'ticket-1042.3@support.example.com',
    });
  });

  it('reads every value of a repeated Precedence header (never-bounce, then bulk)', () => {
    // Act
    const result = classify(fixture('newsletter-repeated-precedence.eml'), own);

    // Assert
    expect(result).toMatchObject({ lane: 'bulk', reason: 'precedence: bulk' });
  });

  it('takes an Exchange inbox-rule absence answer (X-Auto-Response-Suppress with the rules loop) for out-of-office', () => {
    // Act
    const result = classify(fixture('exchange-inbox-rule-out-of-office.eml'), own);

    // Assert
    expect(result.lane).toBe('out-of-office');
    expect(result.reason).toMatch(/^exchange inbox rule/);
  });
});

describe('classify: what a bounce says about each recipient', () => {
  it('reports every recipient of a plain-text bounce that lists them on one line', () => {
    // Act
    const found = recipients('plain-bounce-lists-recipients-on-one-line.eml');

    // Assert
    expect(found).toEqual([
      ['anna@partner.example', '5.1.1', 'failed'],
      ['bert@partner.example', '5.1.1', 'failed'],
      ['carla@partner.example', '5.1.1', 'failed'],
    ]);
  });

  it("takes each recipient's own code when an Exchange text bounce names every recipient twice", () => {
    // Act
    const found = recipients('exchange-text-bounce-names-each-recipient-twice.eml');

    // Assert
    expect(found).toEqual([
      ['anna@partner.example', '5.1.1', 'failed'],
      ['bert@partner.example', '5.2.2', 'failed'],
      ['carla@partner.example', '5.1.1', 'failed'],
    ]);
  });

  it('reports the 4.x.x status a failed DSN states, not a 5.x.x of its own', () => {
    // Act
    const result = classify(fixture('dsn-failed-with-transient-status.eml'), own);

    // Assert
    expect(result.lane).toBe('bounce');
    expect(result.deliveryReport?.recipients).toMatchObject([{ address: 'dana@partner.example', status: '4.4.7', action: 'failed', permanent: false }]);
  });

  it("reads the recipient server's code inside Amazon SES's generic one (Mailbox Full is 5.2.2, not 5.1.0)", () => {
    // Act
    const found = recipients('ses-bounce-mailbox-full.eml');

    // Assert
    expect(found).toEqual([['full@customer.example', '5.2.2', 'failed']]);
  });
});
