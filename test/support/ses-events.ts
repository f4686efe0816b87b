import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SQSEvent, SQSRecord } from 'aws-lambda';

const DIR = join(import.meta.dirname, '../fixtures/ses-events');

/** A fixture of `test/fixtures/ses-events/` as text. */
export function sesEventText(name: string): string {
  return readFileSync(join(DIR, name), 'utf8').trim();
}

/** The SES record as SNS wraps it (the SQS body of a non-raw subscription). */
export function snsEnvelope(record: string, messageId = 'sns-1'): string {
  return JSON.stringify({
    Type: 'Notification',
    MessageId: messageId,
    TopicArn: 'arn:aws:sns:us-east-1:123456789012:postroom-ses-events',
    Message: record,
    Timestamp: '2026-12-01T10:00:06.000Z',
    SignatureVersion: '1',
    Signature: 'EXAMPLE',
    SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem',
    UnsubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe',
  });
}

/** An SQS event of the given bodies, as the Lambda event source mapping delivers it. */
export function sqsEvent(bodies: readonly string[]): SQSEvent {
  const base = JSON.parse(readFileSync(join(DIR, 'sqs-sns-bounce.json'), 'utf8')) as SQSEvent;
  const template = base.Records[0] as SQSRecord;
  return { Records: bodies.map((body, i) => ({ ...template, messageId: `sqs-${i + 1}`, receiptHandle: `handle-${i + 1}`, body })) };
}
