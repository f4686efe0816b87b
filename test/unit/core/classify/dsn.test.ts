import { describe, expect, it } from 'vitest';
import { parseDeliveryStatus } from '../../../../functions/core/inbound/classify/dsn.ts';
import { addressIn, bareMessageId, quotedMessageId, readFields } from '../../../../functions/core/inbound/classify/fields.ts';

describe('parseDeliveryStatus (RFC 3464)', () => {
  it('reads groups in any field order and without blank lines between recipients', () => {
    // Arrange
    const text = [
      'Reporting-MTA: dns; mx.example',
      '',
      'Status: 5.0.0',
      'Action: failed',
      'Final-Recipient: rfc822; A@Example.org',
      'Final-Recipient: rfc822; b@example.org',
      'Original-Recipient: rfc822; b@example.org',
      'Action: delayed',
      'Status: 4.2.2',
    ].join('\r\n');

    // Act
    const recipients = parseDeliveryStatus(text);

    // Assert
    expect(recipients.map((r) => [r.address, r.action, r.status, r.permanent])).toEqual([
      ['a@example.org', 'failed', '5.0.0', true],
      ['b@example.org', 'delayed', '4.2.2', false],
    ]);
  });

  it('unfolds a long Diagnostic-Code and sharpens a generic Status from it', () => {
    // Arrange
    const text =
      'Final-Recipient: rfc822; x@example.org\nAction: failed\nStatus: 5.0.0\nDiagnostic-Code: smtp; 550-5.1.1 The email account\n    does not exist.\n';

    // Act
    const [recipient] = parseDeliveryStatus(text);

    // Assert
    expect(recipient).toEqual({
      address: 'x@example.org',
      status: '5.1.1',
      action: 'failed',
      permanent: true,
      diagnostic: '550-5.1.1 The email account does not exist.',
    });
  });

  it('derives status and action when the MTA leaves them out or writes "expired"', () => {
    // Arrange
    const text =
      'Final-Recipient: rfc822; y@example.org\nAction: expired\nStatus:\nDiagnostic-Code: Connection timed out\n\nX-Actual-Recipient: rfc822; z@example.org\nOriginal-Recipient: rfc822; alias@example.org\nDiagnostic-Code: smtp; 452 4.2.2 over quota\n';

    // Act
    const recipients = parseDeliveryStatus(text);

    // Assert
    expect(recipients.map((r) => [r.address, r.action, r.status])).toEqual([
      ['y@example.org', 'failed', '5.4.7'],
      ['z@example.org', 'delayed', '4.2.2'],
    ]);
  });

  it('keeps the address an MTA reported even when it is not RFC 5322-valid', () => {
    // Arrange + Act + Assert
    expect(addressIn('RFC822; <recipient@#example.net>')).toBe('recipient@#example.net');
    expect(addressIn('x400; /c=us/')).toBeNull();
  });

  it('drops groups without a usable recipient and caps hostile input', () => {
    // Arrange
    const many = Array.from({ length: 700 }, (_, i) => `Final-Recipient: rfc822; u${i}@example.org\nAction: failed\n`).join('\n');

    // Act
    const recipients = parseDeliveryStatus(`Final-Recipient: x400; nothing\nAction: failed\n\n${many}`);

    // Assert
    expect(recipients[0]?.address).toBe('u0@example.org');
    expect(recipients.length).toBeLessThanOrEqual(500);
  });
});

describe('fields', () => {
  it('marks group borders and ignores junk lines', () => {
    // Arrange + Act
    const fields = readFields('A: 1\n  more\nnot a field\n\nB: 2');

    // Assert
    expect(fields).toEqual([
      { name: 'a', value: '1 more' },
      { name: '', value: '' },
      { name: 'b', value: '2' },
    ]);
  });

  it('reads message ids with and without brackets and from quoted copies', () => {
    // Arrange + Act + Assert
    expect(bareMessageId(' <abc@x.example> ')).toBe('abc@x.example');
    expect(bareMessageId('abc@x.example (comment)')).toBe('abc@x.example');
    expect(bareMessageId('  ')).toBeNull();
    expect(quotedMessageId('text\n> Message-ID: <q@x.example>\n')).toBe('q@x.example');
    expect(quotedMessageId('no id here')).toBeNull();
  });
});
