import { describe, expect, it } from 'vitest';
import { enhancedCode, isPermanent, replyCode, statusFromDiagnostic } from '../../../../functions/core/mail/smtp-status.ts';

describe('smtp-status', () => {
  it('finds enhanced codes but not IP addresses or versions', () => {
    // Arrange
    const text = 'host 192.0.2.1 (Postfix 3.4.5.1) said: 550 5.1.1 user unknown';

    // Act
    const code = enhancedCode(text);

    // Assert
    expect(code).toBe('5.1.1');
    expect(enhancedCode('relay 10.5.1.1 refused')).toBeNull();
  });

  it('prefers a specific code over a bare X.0.0', () => {
    // Arrange + Act + Assert
    expect(enhancedCode('5.0.0 then 5.7.1 policy')).toBe('5.7.1');
  });

  it('skips 503 from a transcript when another reply code exists', () => {
    // Arrange + Act + Assert
    expect(replyCode('<<< 503 5.0.0 Need RCPT\n<<< 550 no such user')).toBe('550');
    expect(replyCode('<<< 503 bad sequence')).toBe('503');
  });

  it.each([
    ['550 5.1.1 <a@b.example>... User unknown', null, '5.1.1'],
    ['552 mailbox full', null, '5.2.2'],
    ['452 quota exceeded, try later', null, '4.2.2'],
    ['554 message too large', null, '5.3.4'],
    ['550 relaying denied', null, '5.7.1'],
    ['550 Host unknown', null, '5.4.4'],
    ['550 account has been disabled', null, '5.2.1'],
    ['421 Connection timed out', null, '4.4.7'],
    ['Connection timed out', '5', '5.4.7'],
    ['550 something odd', null, '5.0.0'],
    ['no code here', null, null],
    ['551 4.2.2 contradictory', null, '5.2.2'],
  ] as const)('derives %s -> %s', (text, fallback, status) => {
    // Arrange + Act
    const derived = statusFromDiagnostic(text, fallback);

    // Assert
    expect(derived).toBe(status);
  });

  it('treats class 5 as permanent, class 4 as transient, unknown failed as permanent', () => {
    // Arrange + Act + Assert
    expect(isPermanent('5.1.1', 'failed')).toBe(true);
    expect(isPermanent('4.4.7', 'failed')).toBe(false);
    expect(isPermanent(null, 'failed')).toBe(true);
    expect(isPermanent(null, 'delayed')).toBe(false);
  });
});
