import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoMessageStore } from '../../functions/adapters/dynamo-message-store.ts';
import { DynamoOutboundMessages } from '../../functions/adapters/dynamo-outbound-messages.ts';
import { DynamoSuppressionList } from '../../functions/adapters/dynamo-suppression-list.ts';
import { S3OutboundPlanStore } from '../../functions/adapters/s3-outbound-plan-store.ts';
import { receiveMail, type ReceiveMailDeps, type ReceiveOutcome } from '../../functions/core/inbound/receive-mail.ts';
import { PostroomConfigSchema } from '../../functions/core/model/postroom-config.ts';
import type { OutboundJob } from '../../functions/core/model/outbound-job.ts';
import type { InboundStoredMessage, OutboundStoredMessage, StoredMessage } from '../../functions/core/model/stored-message.ts';
import type { DecidedCheckpoint, InboundLedger, RoutedQueue } from '../../functions/core/ports/inbound.ts';
import { addr } from '../support/factories.ts';
import { TestClock, customerMail, inboundDeps, inboundMail } from '../support/inbound-deps.ts';
import { EXAMPLE_CONFIG, startSeededLocalAws, type LocalAws } from '../support/local-aws.ts';
import { sentMessage } from '../support/outbound.ts';

// The support channel acknowledges new conversations (a breaker of 3 mails in 10 minutes); billing does not.
const config = PostroomConfigSchema.parse({
  ...EXAMPLE_CONFIG,
  channels: EXAMPLE_CONFIG.channels.map((c) => (c.id === 'support' ? { ...c, acknowledgement: { enabled: true, breaker: { mails: 3, minutes: 10 } } } : c)),
});

let aws: LocalAws;
let n = 0;

beforeAll(async () => {
  aws = await startSeededLocalAws(config);
});

afterAll(async () => {
  await aws.stop();
});

beforeEach(async () => {
  await aws.drain(aws.outbound.queueUrl);
  for (const url of Object.values(aws.queueUrls)) await aws.drain(url);
});

type Done = Exclude<ReceiveOutcome, { status: 'failed' }>;

async function deliver(
  raw: string,
  overrides: Parameters<typeof inboundDeps>[2] = {},
  clock = new TestClock(),
  recipients = ['support@example.com'],
): Promise<Done> {
  const id = `fb-${++n}-0100018c`;
  await aws.putRaw(inboundMail(id).rawKey, raw);
  return (await receiveMail(inboundDeps(aws, clock, overrides), { ...inboundMail(id, recipients), envelopeSender: 'sender@customer.example' })) as Done;
}

async function jobs(): Promise<{ job: OutboundJob; group: string | undefined; dedup: string | undefined }[]> {
  const messages = await aws.drain(aws.outbound.queueUrl);
  return messages.map((m) => ({
    job: JSON.parse(m.Body ?? '') as OutboundJob,
    group: m.Attributes?.MessageGroupId,
    dedup: m.Attributes?.MessageDeduplicationId,
  }));
}

async function history(conversationId: string | null): Promise<StoredMessage[]> {
  return new DynamoMessageStore(aws.db, aws.tableName).list(conversationId ?? '');
}

const acknowledgementsOf = (messages: readonly StoredMessage[]) =>
  messages.filter((m): m is OutboundStoredMessage => m.direction === 'outbound' && m.purpose === 'acknowledgement');

/** A store that fails the first write of an inbound message: the attempt crashes after the acknowledgement was written. */
function crashOnceOnInbound(store: ReceiveMailDeps['messages']): ReceiveMailDeps['messages'] {
  let crashed = false;
  const crash = (message: StoredMessage): void => {
    if (message.direction === 'inbound' && !crashed) {
      crashed = true;
      throw new Error('lambda died');
    }
  };
  return Object.assign(Object.create(store) as ReceiveMailDeps['messages'], {
    put: async (message: InboundStoredMessage) => {
      crash(message);
      return store.put(message);
    },
    putDecided: async (message: InboundStoredMessage, decided: DecidedCheckpoint, options: { replace: boolean }) => {
      crash(message);
      return store.putDecided(message, decided, options);
    },
  });
}

describe('receiveMail: DSN and ARF reports on mail we sent over SMTP', () => {
  it('marks the recipient of the reported reply bounced and suppresses it; the report again changes nothing', async () => {
    // Arrange: a reply the channel sent over its SMTP server to gone@example.org
    const outbound = new DynamoOutboundMessages(aws.db, aws.tableName);
    const to = [addr('gone@example.org')];
    await outbound.put(
      sentMessage({
        messageId: 'out-dsn',
        internetMessageId: 'reply-42@support.example.com',
        threadIds: ['reply-42@support.example.com'],
        providerMessageId: null,
        to,
        recipients: [{ address: 'gone@example.org', status: 'sent', smtpStatus: null, detail: null, at: '2026-12-01T10:00:00.000Z' }],
      }),
    );
    const dsn = readFileSync(join(import.meta.dirname, '../fixtures/mail/classify/postfix-dsn-failed.eml'), 'utf8');

    // Act
    const outcome = await deliver(dsn);
    const before = await outbound.findByInternetMessageId('support', 'reply-42@support.example.com');
    await deliver(dsn);
    const after = await outbound.findByInternetMessageId('support', 'reply-42@support.example.com');

    // Assert
    expect(outcome).toMatchObject({ lane: 'bounce', acknowledgement: expect.objectContaining({ skipped: expect.any(String), job: null }) });
    expect(before).toMatchObject({ status: 'bounced', recipients: [expect.objectContaining({ address: 'gone@example.org', status: 'bounced' })] });
    expect(after?.updatedAt).toBe(before?.updatedAt);
    expect(await new DynamoSuppressionList(aws.db, aws.tableName).find('support', 'gone@example.org')).toMatchObject({
      reason: 'bounce',
      messageId: 'out-dsn',
    });
    expect(await jobs()).toEqual([]);
  });

  it('marks an ARF abuse report complained and suppresses the complainer', async () => {
    // Arrange
    const outbound = new DynamoOutboundMessages(aws.db, aws.tableName);
    await outbound.put(
      sentMessage({
        messageId: 'out-arf',
        internetMessageId: 'reply-77@support.example.com',
        threadIds: ['reply-77@support.example.com'],
        providerMessageId: null,
        to: [addr('angry@isp.example')],
        recipients: [{ address: 'angry@isp.example', status: 'sent', smtpStatus: null, detail: null, at: '2026-12-01T10:00:00.000Z' }],
      }),
    );

    // Act
    await deliver(arfReport('reply-77@support.example.com', 'angry@isp.example'));

    // Assert
    expect(await outbound.findByInternetMessageId('support', 'reply-77@support.example.com')).toMatchObject({ status: 'complained' });
    expect(await new DynamoSuppressionList(aws.db, aws.tableName).find('support', 'angry@isp.example')).toMatchObject({ reason: 'complaint' });
  });
});

describe('receiveMail: acknowledgements of new conversations', () => {
  it('queues one acknowledgement for a customer’s new conversation, with the automatic and threading headers, and none for the next one within the window', async () => {
    // Arrange
    const clock = new TestClock();
    const from = 'Nora Newcomer <nora@customer.example>';

    // Act
    const first = await deliver(customerMail({ messageId: 'nora-1@customer.example', from, subject: 'Printer does not start' }), {}, clock);
    const queued = await jobs();
    clock.advance(60_000);
    const second = await deliver(customerMail({ messageId: 'nora-2@customer.example', from, subject: 'Another question' }), {}, clock);

    // Assert
    expect(first).toMatchObject({
      status: 'routed',
      acknowledgement: { skipped: null, job: expect.objectContaining({ conversationId: first.conversationId }) },
    });
    expect(queued).toEqual([{ job: first.acknowledgement?.job, group: first.conversationId, dedup: first.acknowledgement?.job?.messageId }]);
    const [ack] = acknowledgementsOf(await history(first.conversationId));
    expect(ack).toMatchObject({
      messageId: first.acknowledgement?.job?.messageId,
      agentId: null,
      status: 'queued',
      inReplyTo: first.messageId,
      to: [{ address: 'nora@customer.example', name: 'Nora Newcomer' }],
    });
    const plan = await new S3OutboundPlanStore(aws.s3, aws.bucket).get('support', ack?.messageId ?? '');
    expect(plan.headers).toEqual(
      expect.arrayContaining([
        { name: 'auto-submitted', value: 'auto-replied' },
        { name: 'x-auto-response-suppress', value: 'All' },
      ]),
    );
    expect(plan).toMatchObject({ inReplyTo: 'nora-1@customer.example', references: expect.arrayContaining(['nora-1@customer.example']), cc: [], bcc: [] });
    expect(plan.subject).toMatch(/^Re: Printer does not start \[#\d{7}\]$/);
    expect(plan.content.text).toContain('Nora Newcomer');
    expect(second).toMatchObject({ status: 'routed', acknowledgement: { skipped: 'window', job: null } });
    expect(acknowledgementsOf(await history(second.conversationId))).toEqual([]);
    expect(await jobs()).toEqual([]);
  });

  it('never acknowledges on a channel that does not turn it on', async () => {
    const outcome = await deliver(
      customerMail({ messageId: 'bill-1@customer.example', from: 'pia@customer.example', to: 'billing@example.com' }),
      {},
      new TestClock(),
      ['billing@example.com'],
    );
    expect(outcome).toMatchObject({ status: 'routed', channelId: 'billing', acknowledgement: null });
    expect(await jobs()).toEqual([]);
  });

  it('a retry after a crash that followed the acknowledgement’s writes writes and queues the same one, not a second', async () => {
    // Arrange
    const clock = new TestClock();
    const raw = customerMail({ messageId: 'otto-1@customer.example', from: 'otto@customer.example', subject: 'Broken lamp' });
    const id = `fb-${++n}-0100018c`;
    await aws.putRaw(inboundMail(id).rawKey, raw);
    const real = inboundDeps(aws, clock);

    // Act
    await expect(receiveMail({ ...real, messages: crashOnceOnInbound(real.messages) }, inboundMail(id))).rejects.toThrow('lambda died');
    const retried = (await receiveMail(inboundDeps(aws, clock), inboundMail(id))) as Done;

    // Assert
    const acks = acknowledgementsOf(await history(retried.conversationId));
    expect(acks.map((a) => a.messageId)).toEqual([retried.acknowledgement?.job?.messageId]);
    expect((await jobs()).map((j) => j.job.messageId)).toEqual([retried.acknowledgement?.job?.messageId]);
  });

  it('a retry after the jobs were sent sends them again under the same deduplication id: the queue keeps one', async () => {
    // Arrange: the final save fails after both sends
    const clock = new TestClock();
    const id = `fb-${++n}-0100018c`;
    await aws.putRaw(inboundMail(id).rawKey, customerMail({ messageId: 'pam-1@customer.example', from: 'pam@customer.example', subject: 'Invoice missing' }));
    const real = inboundDeps(aws, clock);
    let failed = false;
    const ledger: InboundLedger = Object.assign(Object.create(real.ledger) as InboundLedger, {
      save: async (record: Parameters<InboundLedger['save']>[0]) => {
        if (record.state === 'routed' && !failed) {
          failed = true;
          throw new Error('dynamodb timed out');
        }
        return real.ledger.save(record);
      },
    });
    const sent: string[] = [];
    const queue: RoutedQueue = {
      send: async (m) => {
        sent.push(m.messageId);
        await real.queue.send(m);
      },
    };

    // Act
    await expect(receiveMail({ ...real, ledger, queue }, inboundMail(id))).rejects.toThrow('dynamodb timed out');
    const retried = (await receiveMail({ ...inboundDeps(aws, clock), queue }, inboundMail(id))) as Done;

    // Assert
    expect(sent).toHaveLength(2);
    expect((await jobs()).map((j) => j.job.messageId)).toEqual([retried.acknowledgement?.job?.messageId]);
    expect(acknowledgementsOf(await history(retried.conversationId))).toHaveLength(1);
  });

  it('trips the breaker on a burst of new conversations from one sender and tags the message and its pointer', async () => {
    // Arrange: three new mails within a minute (the breaker is 3 in 10 minutes)
    const clock = new TestClock();
    const outcomes: Done[] = [];

    // Act
    for (let i = 1; i <= 3; i++) {
      outcomes.push(
        await deliver(customerMail({ messageId: `burst-${i}@robot.example`, from: 'robot@robot.example', subject: `Case ${i} opened` }), {}, clock),
      );
      clock.advance(10_000);
    }

    // Assert
    expect(outcomes.map((o) => o.acknowledgement?.skipped)).toEqual([null, 'window', 'circuit-breaker']);
    expect(outcomes[2]?.tags).toContain('auto-reply-loop-suspected');
    const [inbound] = (await history(outcomes[2]?.conversationId ?? null)).filter((m) => m.direction === 'inbound');
    expect(inbound?.direction === 'inbound' ? inbound.tags : []).toContain('auto-reply-loop-suspected');
  });
});

/** A minimal ARF report (RFC 5965) about one of our mails. */
function arfReport(originalId: string, recipient: string): string {
  return [
    'From: Abuse Desk <abuse@isp.example>',
    'To: support@example.com',
    'Subject: FW: complaint about message from support@example.com',
    'Message-ID: <arf-1@isp.example>',
    'Date: Tue, 01 Dec 2026 12:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=feedback-report; boundary="R1"',
    '',
    '--R1',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'This is an email abuse report for an email message received from IP 192.0.2.1.',
    '',
    '--R1',
    'Content-Type: message/feedback-report',
    '',
    'Feedback-Type: abuse',
    'User-Agent: ExampleFBL/1.0',
    'Version: 1',
    `Original-Rcpt-To: ${recipient}`,
    '',
    '--R1',
    'Content-Type: text/rfc822-headers',
    '',
    'From: support@example.com',
    `To: ${recipient}`,
    `Message-ID: <${originalId}>`,
    'Subject: Re: Order 77',
    '',
    '--R1--',
    '',
  ].join('\r\n');
}
