import { describe, expect, it } from 'vitest';
import { MailparserMimeParser } from '../../../functions/adapters/mailparser-mime-parser.ts';
import { classify } from '../../../functions/core/inbound/classify.ts';
import { parseSesFeedback } from '../../../functions/core/outbound/feedback/ses-event.ts';
import { simulateSesFeedback, simulatorBehaviour } from '../../../functions/local/ses-feedback-simulator.ts';

const sentAt = new Date('2026-12-01T10:00:00.000Z');
function simulate(destinations: string[]) {
  let n = 0;
  return simulateSesFeedback(
    { sesMessageId: 'ses-1', source: 'Support <support@example.com>', destinations, messageId: '<out-1@example.com>', subject: 'Re: Printer', sentAt },
    { newId: () => `id-${++n}` },
  );
}

describe('simulateSesFeedback', () => {
  it('produces what SES publishes for each simulator address, as SNS-in-SQS records the feedback parser reads', () => {
    // Act
    const { event } = simulate([
      'success@simulator.amazonses.com',
      'bounce@simulator.amazonses.com',
      'complaint@simulator.amazonses.com',
      'suppressionlist@simulator.amazonses.com',
      'anna@customer.example',
    ]);
    const feedback = event.Records.map((r) => parseSesFeedback(r.body));

    // Assert
    expect(feedback.map((f) => [f?.kind, f?.updates[0]?.address, f?.updates[0]?.status])).toEqual([
      ['delivery', 'success@simulator.amazonses.com', 'delivered'],
      ['bounce', 'bounce@simulator.amazonses.com', 'bounced'],
      ['delivery', 'complaint@simulator.amazonses.com', 'delivered'],
      ['complaint', 'complaint@simulator.amazonses.com', 'complained'],
      ['bounce', 'suppressionlist@simulator.amazonses.com', 'bounced'],
    ]);
    expect(feedback.every((f) => f?.target.kind === 'ses' && f.target.sesMessageId === 'ses-1')).toBe(true);
    expect(feedback[1]?.updates[0]).toMatchObject({ smtpStatus: '5.1.1', signal: { kind: 'bounce', permanent: true, subType: 'General' } });
    expect(feedback[4]?.updates[0]?.signal).toEqual({ kind: 'bounce', permanent: true, subType: 'OnAccountSuppressionList' });
    expect(JSON.parse(event.Records[0]?.body ?? '{}')).toMatchObject({ Type: 'Notification', TopicArn: expect.stringContaining(':sns:') });
    expect(event.Records[0]).toMatchObject({ eventSource: 'aws:sqs', attributes: { ApproximateReceiveCount: '1' } });
  });

  it('answers ooto@ with a delivery and an out-of-office reply to the sender that the classifier sees as one', async () => {
    // Act
    const { event, autoReplies } = simulate(['ooto@simulator.amazonses.com']);
    const reply = await new MailparserMimeParser().parse(Buffer.from(autoReplies[0]?.raw ?? ''));

    // Assert
    expect(event.Records.map((r) => parseSesFeedback(r.body)?.kind)).toEqual(['delivery']);
    expect(autoReplies).toHaveLength(1);
    expect(autoReplies[0]).toMatchObject({ from: 'ooto@simulator.amazonses.com', to: 'support@example.com' });
    expect(reply.inReplyTo).toBe('out-1@example.com');
    expect(classify(reply, { ownAddresses: ['support@example.com'] }).lane).toBe('out-of-office');
  });

  it('knows simulator addresses with a label and nothing else', () => {
    expect(simulatorBehaviour('Bounce+test-1@Simulator.AmazonSES.com')).toBe('bounce');
    expect(simulatorBehaviour('bounce@example.com')).toBeNull();
    expect(simulatorBehaviour('blackhole@simulator.amazonses.com')).toBeNull();
    expect(simulate(['anna@customer.example']).event.Records).toEqual([]);
  });
});
