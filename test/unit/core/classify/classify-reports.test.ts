import { describe, expect, it } from 'vitest';
import { classify } from '../../../../functions/core/inbound/classify.ts';
import { ClassificationSchema } from '../../../../functions/core/model/classification.ts';
import { addr, parsedMessage } from '../../../support/factories.ts';
import { fixture } from '../../../support/eml.ts';

const own = { ownAddresses: ['support@example.com'] };

describe('classify: machine-readable reports', () => {
  it('turns a failed RFC 3464 DSN into a bounce with recipient, sharpened status and original id', () => {
    // Arrange
    const message = fixture('postfix-dsn-failed.eml');

    // Act
    const result = classify(message, own);

    // Assert
    expect(ClassificationSchema.parse(result)).toEqual(result);
    expect(result.lane).toBe('bounce');
    expect(result.reason).toBe('multipart/report; report-type=delivery-status; action=failed');
    expect(result.deliveryReport).toEqual({
      recipients: [
        { address: 'gone@example.org', status: '5.1.1', action: 'failed', permanent: true, diagnostic: '550 5.1.1 <gone@example.org>: user unknown' },
      ],
      originalMessageId: 'reply-42@support.example.com',
    });
    expect(result.originalMessageId).toBe('reply-42@support.example.com');
    expect(result.tags).toEqual(['auto']);
  });

  it('keeps a DSN a bounce although it says Auto-Submitted: auto-replied', () => {
    // Arrange
    const message = fixture('postfix-dsn-failed.eml');

    // Act
    const result = classify(message);

    // Assert
    expect(message.headers.some((h) => h.name === 'auto-submitted')).toBe(true);
    expect(result.lane).toBe('bounce');
  });

  it('classifies action=delayed as a transient delay, not a bounce', () => {
    // Arrange
    const message = fixture('dsn-delayed.eml');

    // Act
    const result = classify(message);

    // Assert
    expect(result.lane).toBe('delay');
    expect(result.deliveryReport?.recipients[0]).toMatchObject({ address: 'slow@example.org', status: '4.4.1', action: 'delayed', permanent: false });
  });

  it('classifies relayed/delivered-only DSNs as delivery reports', () => {
    // Arrange
    const message = fixture('dsn-delivered.eml');

    // Act
    const result = classify(message);

    // Assert
    expect(result.lane).toBe('delivery-report');
    expect(result.deliveryReport?.recipients[0]).toMatchObject({ address: 'happy@example.org', action: 'relayed', permanent: false });
  });

  it('makes one failed recipient among delivered ones a bounce (RFC 3464 §2.3.3)', () => {
    // Arrange
    const text =
      'Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; ok@example.org\nAction: delivered\nStatus: 2.0.0\n\nFinal-Recipient: rfc822; bad@example.org\nAction: failed\nStatus: 5.2.2\n';
    const message = parsedMessage({
      contentType: 'multipart/report',
      reportType: 'delivery-status',
      reports: [{ contentType: 'message/delivery-status', text }],
    });

    // Act
    const result = classify(message);

    // Assert
    expect(result.lane).toBe('bounce');
    expect(result.deliveryReport?.recipients.map((r) => [r.address, r.status])).toEqual([
      ['ok@example.org', '2.0.0'],
      ['bad@example.org', '5.2.2'],
    ]);
  });

  it('reads an ARF feedback report with its type, complainant and original message id', () => {
    // Arrange
    const message = fixture('arf-abuse-report.eml');

    // Act
    const result = classify(message);

    // Assert
    expect(result.lane).toBe('feedback-report');
    expect(result.reason).toContain('feedback-type=abuse');
    expect(result.feedbackReport).toEqual({
      feedbackType: 'abuse',
      recipients: ['complainer@mailbox-provider.example'],
      originalMessageId: 'newsletter-9@support.example.com',
    });
  });

  it('reads an MDN as a read receipt with the Original-Message-ID', () => {
    // Arrange
    const message = fixture('mdn-read-receipt.eml');

    // Act
    const result = classify(message);

    // Assert
    expect(result.lane).toBe('read-receipt');
    expect(result.originalMessageId).toBe('reply-77@support.example.com');
    expect(result.reason).toContain('displayed');
  });

  it('trusts report-type=disposition-notification even when the part is missing', () => {
    // Arrange
    const message = parsedMessage({ contentType: 'multipart/report', reportType: 'disposition-notification' });

    // Act
    const result = classify(message);

    // Assert
    expect(result.lane).toBe('read-receipt');
    expect(result.originalMessageId).toBeNull();
  });

  it('reads an SES bounce notification delivered by SNS e-mail', () => {
    // Arrange
    const message = fixture('ses-bounce-notification.eml');

    // Act
    const result = classify(message);

    // Assert
    expect(result.lane).toBe('bounce');
    expect(result.deliveryReport?.recipients[0]).toMatchObject({ address: 'gone@example.org', status: '5.1.1', permanent: true });
    expect(result.originalMessageId).toBe('reply-9@support.example.com');
  });

  it('reads SES complaint and delivery notifications', () => {
    // Arrange
    const complaint = parsedMessage({
      text: '{"notificationType":"Complaint","complaint":{"complaintFeedbackType":"abuse","complainedRecipients":[{"emailAddress":"A@x.example"}]}}\n--\nfooter',
    });
    const delivery = parsedMessage({
      text: '{"notificationType":"Delivery","delivery":{"recipients":["b@x.example"],"smtpResponse":"250 2.6.0 ok"}}',
    });

    // Act
    const results = [classify(complaint), classify(delivery)];

    // Assert
    expect(results[0]?.lane).toBe('feedback-report');
    expect(results[0]?.feedbackReport?.recipients).toEqual(['a@x.example']);
    expect(results[1]?.lane).toBe('delivery-report');
    expect(results[1]?.deliveryReport?.recipients[0]?.status).toBe('2.6.0');
  });

  it('reads SES notifications spelled in lower case, and never takes a Transient bounce with a 5.x.x code for a permanent one', () => {
    // Arrange
    const transient = parsedMessage({
      text: '{"notificationType":"bounce","bounce":{"bounceType":"transient","bouncedRecipients":[{"emailAddress":"full@x.example","status":"5.2.2","action":"failed"}]}}',
    });
    const undetermined = parsedMessage({
      text: '{"notificationType":"BOUNCE","bounce":{"bounceType":"Undetermined","bouncedRecipients":[{"emailAddress":"odd@x.example","status":"5.0.0"}]}}',
    });

    // Act
    const results = [classify(transient), classify(undetermined)];

    // Assert
    expect(results.map((r) => r.lane)).toEqual(['bounce', 'bounce']);
    expect(results.map((r) => r.deliveryReport?.recipients[0]?.permanent)).toEqual([false, false]);
  });

  it('ignores JSON that only looks like an SES notification', () => {
    // Arrange
    const message = parsedMessage({ text: '{"notificationType":"Bounce", broken' });

    // Act
    const result = classify(message);

    // Assert
    expect(result.lane).toBe('human');
  });

  it('treats an Apple Mail one-click unsubscribe as an opt-out feedback report', () => {
    // Arrange
    const message = parsedMessage({
      subject: 'unsubscribe',
      from: addr('someone@icloud.example'),
      headers: [
        { name: 'auto-submitted', value: 'auto-replied' },
        { name: 'x-apple-unsubscribe', value: 'true' },
      ],
    });

    // Act
    const result = classify(message);

    // Assert
    expect(result.lane).toBe('feedback-report');
    expect(result.feedbackReport).toEqual({ feedbackType: 'opt-out', recipients: ['someone@icloud.example'], originalMessageId: null });
  });

  it('treats a challenge-response DSN (Boxbe) as an auto-reply, not a bounce', () => {
    // Arrange
    const message = parsedMessage({
      from: addr('noreply@boxbe.example'),
      contentType: 'multipart/report',
      reportType: 'delivery-status',
      text: 'Please add yourself to my Boxbe Guest List so your messages will go to my Inbox.',
      reports: [
        {
          contentType: 'message/delivery-status',
          text: 'Final-Recipient: rfc822; x@y.example\nAction: failed\nStatus: 4.7.0\nDiagnostic-Code: X-Boxbe-Notice; Sender not pre-approved',
        },
      ],
    });

    // Act
    const result = classify(message);

    // Assert
    expect(result.lane).toBe('auto-reply');
    expect(result.tags).toContain('challenge-response');
  });

  it('falls back to the text when a delivery-status part names no recipient', () => {
    // Arrange
    const message = parsedMessage({
      from: addr('MAILER-DAEMON@mx.example.com'),
      subject: 'Undelivered Mail Returned to Sender',
      text: 'This is the mail system at host mx.example.com.\n\n<lost@example.org>: host said: 550 5.1.1 unknown user\n',
      reports: [{ contentType: 'message/delivery-status', text: 'Reporting-MTA: dns; mx.example.com\n' }],
    });

    // Act
    const result = classify(message);

    // Assert
    expect(result.lane).toBe('bounce');
    expect(result.deliveryReport?.recipients.map((r) => r.address)).toEqual(['lost@example.org']);
  });
});
