import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../functions/core/errors.ts';
import { parseSesFeedback } from '../../../../functions/core/outbound/feedback/ses-event.ts';
import { sesEventText, snsEnvelope } from '../../../support/ses-events.ts';

const SES_ID = '0100019ad1c2e3f4-5a6b7c8d-1111-2222-3333-444455556666-000000';

describe('parseSesFeedback: SES event records as SNS delivers them into SQS', () => {
  it('reads a permanent bounce per recipient with status, diagnostic and the exact SES message id', () => {
    // Arrange
    const body = JSON.parse(sesEventText('sqs-sns-bounce.json')).Records[0].body as string;

    // Act
    const feedback = parseSesFeedback(body);

    // Assert
    expect(feedback).toEqual({
      key: `ses:${SES_ID}:bounce:0100019ad1c2e5aa-61b59c11-9236-11e6-8f96-7be8aexample-000000`,
      kind: 'bounce',
      target: { kind: 'ses', sesMessageId: SES_ID },
      sentAt: '2026-12-01T10:00:00.000Z',
      at: '2026-12-01T10:00:05.669Z',
      updates: [
        {
          address: 'carla@customer.example',
          status: 'bounced',
          smtpStatus: '5.1.1',
          detail: 'smtp; 550 5.1.1 user unknown',
          at: '2026-12-01T10:00:05.669Z',
          signal: { kind: 'bounce', permanent: true, subType: 'General' },
        },
      ],
    });
  });

  it('reads the same record with raw message delivery (no SNS envelope) to the same key', () => {
    const raw = parseSesFeedback(sesEventText('bounce-permanent.json'));
    const wrapped = parseSesFeedback(snsEnvelope(sesEventText('bounce-permanent.json')));
    expect(raw).toEqual(wrapped);
  });

  it('maps a transient bounce to bounced, not permanent: SES gave up on this mail, the address may live', () => {
    const feedback = parseSesFeedback(snsEnvelope(sesEventText('bounce-transient.json')));
    expect(feedback?.updates).toEqual([
      expect.objectContaining({
        address: 'dan@customer.example',
        status: 'bounced',
        smtpStatus: '4.2.2',
        signal: { kind: 'bounce', permanent: false, subType: 'MailboxFull' },
      }),
    ]);
  });

  it('maps complaint, delivery, delay, reject and rendering failure', () => {
    // Act
    const [complaint, delivery, delay, reject, rendering] = ['complaint', 'delivery', 'delivery-delay', 'reject', 'rendering-failure'].map((n) =>
      parseSesFeedback(snsEnvelope(sesEventText(`${n}.json`))),
    );

    // Assert
    expect(complaint?.updates).toEqual([
      {
        address: 'carla@customer.example',
        status: 'complained',
        smtpStatus: null,
        detail: 'feedback-type: abuse',
        at: '2026-12-01T11:00:00.000Z',
        signal: { kind: 'complaint', feedbackType: 'abuse' },
      },
    ]);
    expect(delivery?.updates.map((u) => [u.address, u.status, u.smtpStatus])).toEqual([
      ['carla@customer.example', 'delivered', '2.6.0'],
      ['dan@customer.example', 'delivered', '2.6.0'],
    ]);
    expect(delay?.updates).toEqual([
      expect.objectContaining({
        address: 'dan@customer.example',
        status: 'delayed',
        smtpStatus: '4.4.1',
        detail: 'TransientCommunicationFailure: smtp; 421 4.4.1 Unable to connect to remote host',
      }),
    ]);
    expect(reject?.updates.map((u) => [u.address, u.status, u.detail])).toEqual([
      ['carla@customer.example', 'failed', 'rejected by SES: Bad content'],
      ['dan@customer.example', 'failed', 'rejected by SES: Bad content'],
    ]);
    expect(rendering?.kind).toBe('rendering-failure');
    expect(rendering?.updates[0]?.detail).toContain("Attribute 'ticketNumber' is not present");
    expect(new Set([complaint, delivery, delay, reject, rendering].map((f) => f?.key)).size).toBe(5);
  });

  it('reads the identity notification shape (notificationType) and a suppression-list bounce', () => {
    const feedback = parseSesFeedback(sesEventText('notification-bounce.json'));
    expect(feedback?.updates[0]?.signal).toEqual({ kind: 'bounce', permanent: true, subType: 'Suppressed' });
  });

  it('reads an EventBridge event (detail-type, detail)', () => {
    const feedback = parseSesFeedback(sesEventText('eventbridge-complaint.json'));
    expect(feedback).toMatchObject({ kind: 'complaint', target: { sesMessageId: SES_ID } });
    expect(feedback?.key).toBe(parseSesFeedback(sesEventText('complaint.json'))?.key);
  });

  it('ignores Send, Open, Click and SNS subscription confirmations', () => {
    expect(parseSesFeedback(snsEnvelope(sesEventText('send.json')))).toBeNull();
    expect(parseSesFeedback(sesEventText('open.json'))).toBeNull();
    expect(parseSesFeedback(JSON.stringify({ 'detail-type': 'Email Clicked', source: 'aws.ses', detail: {} }))).toBeNull();
    expect(parseSesFeedback(JSON.stringify({ Type: 'SubscriptionConfirmation', Message: 'confirm' }))).toBeNull();
  });

  it('refuses what is no SES event with a ValidationError', () => {
    expect(() => parseSesFeedback('not json')).toThrow(ValidationError);
    expect(() => parseSesFeedback(snsEnvelope('{"eventType":"Bounce"}'))).toThrow(/not an SES event record/);
    expect(() => parseSesFeedback(JSON.stringify({ 'detail-type': 'Email Teleported', source: 'aws.ses', detail: {} }))).toThrow(
      /unknown SES EventBridge detail-type/,
    );
    const bounceWithoutObject = JSON.stringify({ eventType: 'Bounce', mail: { messageId: 'x', timestamp: '2026-12-01T00:00:00Z' } });
    expect(() => parseSesFeedback(bounceWithoutObject)).toThrow(/without its bounce object/);
    expect(() => parseSesFeedback(`"${'x'.repeat(300_000)}"`)).toThrow(/larger than/);
  });
});
