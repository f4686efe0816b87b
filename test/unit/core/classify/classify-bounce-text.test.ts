import { describe, expect, it } from 'vitest';
import { classify } from '../../../../functions/core/inbound/classify.ts';
import { addr, parsedMessage } from '../../../support/factories.ts';
import { fixture } from '../../../support/eml.ts';

const own = { ownAddresses: ['support@example.com'] };
const recipients = (name: string) => classify(fixture(name), own).deliveryReport?.recipients.map((r) => [r.address, r.status, r.action, r.permanent]);

describe('classify: non-standard bounces', () => {
  it.each([
    ['exim-bounce-with-auto-replied-header.eml', [['missing.person@example.org', '5.1.1', 'failed', true]]],
    [
      'qmail-bounce.eml',
      [
        ['nobody@example.org', '5.1.1', 'failed', true],
        ['full@example.org', '5.2.2', 'failed', true],
      ],
    ],
    ['gmail-failed-permanently.eml', [['no.such.user@example.org', '5.1.1', 'failed', true]]],
    ['exchange-ndr-text.eml', [['left@corp.example', '5.1.1', 'failed', true]]],
    ['domino-delivery-failure.eml', [['jane.doe@domino.example', '5.1.1', 'failed', true]]],
    ['sendmail-transcript-no-dsn.eml', [['bob@example.org', '5.1.2', 'failed', true]]],
  ])('%s yields recipients and statuses', (name, expected) => {
    // Arrange + Act
    const result = classify(fixture(name), own);

    // Assert
    expect(result.lane).toBe('bounce');
    expect(result.reason).toMatch(/^non-standard bounce: /);
    expect(recipients(name)).toEqual(expected);
  });

  it('keeps an Exim bounce with Auto-Submitted: auto-replied a bounce and uses X-Failed-Recipients', () => {
    // Arrange
    const message = fixture('exim-bounce-with-auto-replied-header.eml');

    // Act
    const result = classify(message, own);

    // Assert
    expect(result.reason).toBe('non-standard bounce: x-failed-recipients');
    expect(result.originalMessageId).toBe('ticket-123.1@support.example.com');
  });

  it('takes a Sendmail "warning message only" notice for a delay', () => {
    // Arrange
    const message = fixture('sendmail-warning-delay.eml');

    // Act
    const result = classify(message, own);

    // Assert
    expect(result.lane).toBe('delay');
    expect(recipients('sendmail-warning-delay.eml')).toEqual([['later@example.org', '4.4.7', 'delayed', false]]);
  });

  it('recognizes a bounce from a From without address (Webshield, DragonFly)', () => {
    // Arrange
    const message = parsedMessage({
      from: null,
      subject: 'Mail delivery failed',
      headers: [{ name: 'return-path', value: '<MAILER-DAEMON@gw.example.net>' }],
      text: 'There was an error delivering your mail to <x@example.org>.\n550 5.7.26 unauthenticated\n',
    });

    // Act
    const result = classify(message);

    // Assert
    expect(result.lane).toBe('bounce');
    expect(result.deliveryReport?.recipients[0]).toMatchObject({ address: 'x@example.org', status: '5.7.26' });
  });

  it('uses the returned copy To: when the notice names nobody', () => {
    // Arrange
    const message = parsedMessage({
      from: addr('MAILER-DAEMON@old.example'),
      subject: 'Returned mail: Cannot send message for 4 days',
      text: '   ----- Transcript of session follows -----\n421 old.example... Deferred: Connection timed out\n   ----- Unsent message follows -----\nReceived: by old.example\nTo: target@example.org\n',
    });

    // Act
    const result = classify(message, own);

    // Assert
    expect(result.lane).toBe('bounce');
    expect(result.deliveryReport?.recipients[0]).toMatchObject({ address: 'target@example.org', status: '4.4.7', permanent: false });
  });

  it('builds AOL screen-name recipients with the sender domain', () => {
    // Arrange
    const message = parsedMessage({
      from: addr('MAILER-DAEMON@aol.example'),
      subject: 'Mail Delivery Problem',
      text: 'Your mail to the following recipients could not be delivered because they are not accepting mail:\n\tscreenname1\n',
    });

    // Act
    const result = classify(message);

    // Assert
    expect(result.deliveryReport?.recipients.map((r) => r.address)).toEqual(['screenname1@aol.example']);
  });

  it('takes a mailing-list manager rejection for a bounce', () => {
    // Arrange
    const message = parsedMessage({
      from: addr('users-admin@lists.example'),
      subject: 'You are not member (users ML)',
      text: 'You are not a member of this mailing list <users@lists.example>.\n',
    });

    // Act
    const result = classify(message, own);

    // Assert
    expect(result.lane).toBe('bounce');
    expect(result.reason).toContain('mailing list manager');
  });

  it.each(['human-reply-to-undelivered-mail.eml', 'human-forwards-bounce.eml', 'human-header-injection.eml'])('keeps %s human', (name) => {
    // Arrange
    const message = fixture(name);

    // Act
    const result = classify(message, own);

    // Assert
    expect(result.lane).toBe('human');
    expect(result.deliveryReport).toBeNull();
  });

  it("reads the MTA phrases of a robot sender's notice under a neutral subject (a carrier's)", () => {
    // Arrange
    const message = parsedMessage({
      from: addr('no-reply@carrier.example'),
      subject: 'Notice',
      text: 'This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered.\n',
    });

    // Act
    const result = classify(message, own);

    // Assert
    expect(result.lane).toBe('bounce');
    expect(result.reason).toBe('non-standard bounce: robot sender; body "This message was created automatically by mail delivery software"');
  });

  it("does not take MTA phrases in a person's mail under an ordinary subject for a bounce", () => {
    // Arrange
    const message = parsedMessage({
      from: addr('anna@customer.example'),
      subject: 'My order',
      text: 'Our IT says: "This message was created automatically by mail delivery software. Delivery has failed to these recipients."\n',
    });

    // Act
    const result = classify(message, own);

    // Assert
    expect(result.lane).toBe('human');
  });

  it('needs more than a bounce-like subject from a person', () => {
    // Arrange
    const message = parsedMessage({ subject: 'Undeliverable parcel', text: 'My parcel was undeliverable, please help.' });

    // Act
    const result = classify(message);

    // Assert
    expect(result.lane).toBe('human');
  });
});
