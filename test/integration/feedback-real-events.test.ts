import { GetQueueAttributesCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoOutboundMessages } from '../../functions/adapters/dynamo-outbound-messages.ts';
import { DynamoSuppressionList } from '../../functions/adapters/dynamo-suppression-list.ts';
import { localHandlerOptions } from '../../functions/local/local-aws.ts';
import { startOutboundPoller } from '../../functions/local/outbound-poller.ts';
import { FeedbackEnvSchema, readEnv } from '../../functions/runtime/env.ts';
import { createFeedbackHandler, type FeedbackHandler } from '../../functions/runtime/feedback-handler.ts';
import { addr } from '../support/factories.ts';
import { sentMessage } from '../support/outbound.ts';
import { sqsEvent } from '../support/ses-events.ts';
import { startLocalAws, type LocalAws } from '../support/local-aws.ts';

const REAL = join(import.meta.dirname, '../fixtures/ses-events/real');
const context = { functionName: 'feedback', awsRequestId: 'req-real' } as Context;

/** The SQS body each collected payload stands for (an SQS event fixture gives its record's body). */
function body(name: string): string {
  const text = readFileSync(join(REAL, name), 'utf8');
  return /^\{\s*"Records"/.test(text) ? (JSON.parse(text).Records[0].body as string) : text;
}

const CONTROL = [
  'anymail-setup-validated.json',
  'laravel-ses-setup-validated.json',
  'constructed-raw-setup-notice.json',
  'anymail-subscription-confirmation.json',
  'laravel-ses-subscription-confirmation.json',
  'anymail-unsubscribe-confirmation.json',
  'otel-sns-test-message.json',
  'laravel-ses-identity-subscription-succeeded.json',
  'constructed-message-as-object.json',
];
const UNADDRESSED = ['listmonk-issue-1463-transient-5xx-no-mail.json', 'constructed-empty-message-id.json', 'notify-complaint-no-message-id.json'];
const NOT_SES = 'anymail-inbound-received-on-tracking-topic.json';

const JUHASEV_BOUNCE = '010101713ca0294f-c9ce9ef4-42c3-4b55-967b-7aed95804512-000000';
const JUHASEV_COMPLAINT = '010101713ca12600-91dcfd5a-f653-4c07-ae79-793021aed4b4-000000';
const JUHASEV_DELIVERY = '010101713c57681e-2f1bd797-f111-42b1-839c-a9119dcc7144-000000';
const DJANGO_SES = '000001378603177f-7a5433e7-8edb-42ae-af10-f0181f34d6ee-000000';

let aws: LocalAws;
let messages: DynamoOutboundMessages;
let suppression: DynamoSuppressionList;
let handler: FeedbackHandler;

/** A message we sent through SES, with the id and recipients of one collected payload, in its own channel. */
function sent(channelId: string, sesId: string, to: readonly string[]) {
  return sentMessage({
    messageId: `out-${channelId}`,
    channelId,
    providerMessageId: sesId,
    internetMessageId: `out-${channelId}@example.com`,
    threadIds: [`out-${channelId}@example.com`],
    to: to.map((a) => addr(a)),
    recipients: [],
    sentAt: '2010-01-01T00:00:00.000Z',
  });
}

async function queueDepth(queueUrl: string): Promise<number> {
  const out = await aws.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

/** The function's log lines, kept out of the test output (Powertools writes info to stdout, warnings to stderr). */
function captureLogs(): { readonly logs: Record<string, unknown>[]; restore(): void } {
  const logs: Record<string, unknown>[] = [];
  const spies = [process.stdout, process.stderr].map((stream) => {
    const write = stream.write.bind(stream);
    return vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      if (!text.startsWith('{"level"')) return write(chunk, ...(rest as []));
      for (const line of text.split('\n')) if (line.startsWith('{"level"')) logs.push(JSON.parse(line) as Record<string, unknown>);
      return true;
    });
  });
  return {
    logs,
    restore() {
      for (const spy of spies) spy.mockRestore();
    },
  };
}

beforeAll(async () => {
  aws = await startLocalAws([]);
  // The feedback function as Lambda builds it (`functions/feedback-process.ts`), logging at INFO.
  handler = createFeedbackHandler(readEnv(FeedbackEnvSchema, { TABLE_NAME: aws.tableName }), localHandlerOptions(aws, 'INFO'));
  messages = new DynamoOutboundMessages(aws.db, aws.tableName);
  suppression = new DynamoSuppressionList(aws.db, aws.tableName);
});

afterAll(async () => {
  await aws.stop();
});

describe('feedback-process on SES events as they really come (local SQS and DynamoDB)', () => {
  it('applies every collected payload once, logs and deletes control messages, and dead-letters only what is no SES event', async () => {
    // Arrange: the messages four of the payloads are about, each in a channel of its own
    await messages.put(sent('hard', JUHASEV_BOUNCE, ['bounce@simulator.amazonses.com']));
    await messages.put(sent('soft', 'ref-soft-5xx', ['bounce@simulator.amazonses.com']));
    await messages.put(sent('spam', JUHASEV_COMPLAINT, ['complaint@simulator.amazonses.com']));
    await messages.put(sent('ok', JUHASEV_DELIVERY, ['recipient@sampleninja.example']));
    await messages.put(sent('old', DJANGO_SES, ['recipient1@example.com', 'recipient2@example.com']));
    const files = readdirSync(REAL)
      .filter((f) => f.endsWith('.json'))
      .sort();
    for (let i = 0; i < files.length; i += 10) {
      const batch = files.slice(i, i + 10);
      await aws.sqs.send(
        new SendMessageBatchCommand({ QueueUrl: aws.feedback.queueUrl, Entries: batch.map((f, n) => ({ Id: String(n), MessageBody: body(f) })) }),
      );
    }
    const captured = captureLogs();

    // Act: the queue as Lambda's event source mapping drains it, until only the dead letter is left
    const poller = startOutboundPoller({ sqs: aws.sqs, queueUrl: aws.feedback.queueUrl, queueArn: aws.feedback.queueArn, handler, context: () => context });
    try {
      const deadline = Date.now() + 45_000;
      while (Date.now() < deadline && ((await queueDepth(aws.feedback.queueUrl)) > 0 || (await queueDepth(aws.feedback.deadLetterQueueUrl)) === 0)) {
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    } finally {
      await poller.stop();
      captured.restore();
    }

    // Assert: nothing left to retry, and the one payload that is no feedback at all in the DLQ
    expect(await queueDepth(aws.feedback.queueUrl)).toBe(0);
    expect((await aws.drain(aws.feedback.deadLetterQueueUrl)).map((m) => m.Body)).toEqual([body(NOT_SES)]);
    // Control messages and feedback that names no message: a log line each, no failure
    const logs = captured.logs;
    const control = logs.filter((l) => l.message === 'feedback control message ignored');
    expect(control).toHaveLength(CONTROL.length);
    expect(control.map((l) => l.reason).join('\n')).toMatch(/Successfully validated SNS topic for Amazon SES event publishing/);
    expect(control.map((l) => l.reason).join('\n')).toMatch(/SNS subscription confirmation for arn:aws:sns:us-west-2:123456789012:SES_Notifications/);
    expect(
      logs
        .filter((l) => l.message === 'feedback names no message')
        .map((l) => l.kind)
        .sort(),
    ).toEqual(['bounce', 'complaint', 'delivery']);
    // A hard bounce read from SNS, EventBridge and a lower-case copy: applied once, suppressed
    const hard = await messages.findBySesMessageId(JUHASEV_BOUNCE);
    expect(hard?.recipients).toEqual([expect.objectContaining({ address: 'bounce@simulator.amazonses.com', status: 'bounced', smtpStatus: '5.1.1' })]);
    expect(await suppression.find('hard', 'bounce@simulator.amazonses.com')).toMatchObject({ reason: 'bounce' });
    expect(logs.filter((l) => l.message === 'feedback applied' && l.messageId === 'out-hard')).toHaveLength(1);
    // A Transient bounce carrying 5.1.1, in a pretty-printed Message and raw: bounced, counted, not suppressed
    const soft = await messages.findBySesMessageId('ref-soft-5xx');
    expect(soft?.recipients).toEqual([expect.objectContaining({ address: 'bounce@simulator.amazonses.com', status: 'bounced', smtpStatus: '5.1.1' })]);
    expect(await suppression.find('soft', 'bounce@simulator.amazonses.com')).toBeNull();
    // A complaint in PascalCase and via SNS: one complaint, suppressed
    expect((await messages.findBySesMessageId(JUHASEV_COMPLAINT))?.status).toBe('complained');
    expect(await suppression.find('spam', 'complaint@simulator.amazonses.com')).toMatchObject({ reason: 'complaint' });
    // A delivery, its SQS-event copy and a later EventBridge delay: delivered stays
    expect((await messages.findBySesMessageId(JUHASEV_DELIVERY))?.recipients).toEqual([expect.objectContaining({ status: 'delivered', smtpStatus: '2.0.0' })]);
    // Offsets: times stored in UTC; the 5.0.0 and 4.0.0 recipients of a Permanent bounce only count
    const old = await messages.findBySesMessageId(DJANGO_SES);
    expect(Object.fromEntries(old?.recipients.map((r) => [r.address, [r.status, r.at]]) ?? [])).toEqual({
      'recipient1@example.com': ['complained', '2012-05-25T14:59:38.623Z'],
      'recipient2@example.com': ['bounced', '2012-05-25T21:59:38.605Z'],
    });
    expect(await suppression.find('old', 'recipient1@example.com')).toMatchObject({ reason: 'complaint' });
    expect(await suppression.find('old', 'recipient2@example.com')).toBeNull();
  }, 60_000);

  it('reports no batch item failure for control messages and unaddressed feedback, and still one for a body that is no SES event', async () => {
    // Act
    const captured = captureLogs();
    const response = await handler(sqsEvent([...CONTROL.map(body), ...UNADDRESSED.map(body), body(NOT_SES), 'not json']), context).finally(() =>
      captured.restore(),
    );

    // Assert
    const n = CONTROL.length + UNADDRESSED.length;
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: `sqs-${n + 1}` }, { itemIdentifier: `sqs-${n + 2}` }] });
    expect(captured.logs.map((l) => l.message)).toEqual(expect.arrayContaining(['feedback control message ignored', 'feedback names no message']));
    expect(captured.logs.filter((l) => l.message === 'feedback control message ignored')).toHaveLength(CONTROL.length);
  });
});
