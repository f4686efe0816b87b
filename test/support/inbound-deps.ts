import { DynamoChannelDirectory } from '../../functions/adapters/dynamo-channel-directory.ts';
import { DynamoConversationStore } from '../../functions/adapters/dynamo-conversation-store.ts';
import { DynamoFailedMailStore } from '../../functions/adapters/dynamo-failed-mail-store.ts';
import { DynamoProcessingLedger, INBOUND_RECORDS } from '../../functions/adapters/dynamo-processing-ledger.ts';
import { DynamoMessageStore } from '../../functions/adapters/dynamo-message-store.ts';
import { DynamoOutboundMessages } from '../../functions/adapters/dynamo-outbound-messages.ts';
import { DynamoTicketSequence } from '../../functions/adapters/dynamo-ticket-sequence.ts';
import { MailparserMimeParser } from '../../functions/adapters/mailparser-mime-parser.ts';
import { EldLanguageDetector } from '../../functions/adapters/eld-language-detector.ts';
import { S3RawMailStore } from '../../functions/adapters/s3-raw-mail-store.ts';
import { SqsRoutedQueue } from '../../functions/adapters/sqs-routed-queue.ts';
import { UuidIdGenerator } from '../../functions/adapters/uuid-id-generator.ts';
import { DynamoAcknowledgementLedger } from '../../functions/adapters/dynamo-acknowledgement-ledger.ts';
import { S3OutboundPlanStore } from '../../functions/adapters/s3-outbound-plan-store.ts';
import { SqsOutboundQueue } from '../../functions/adapters/sqs-outbound-queue.ts';
import { feedbackAdapters } from '../../functions/runtime/feedback-deps.ts';
import { AppError } from '../../functions/core/errors.ts';
import type { ReceiveMailDeps } from '../../functions/core/inbound/receive-mail.ts';
import type { InboundMail } from '../../functions/core/model/inbound-record.ts';
import type { Clock } from '../../functions/core/ports/clock.ts';
import { TestClock } from './clock.ts';
import { RAW_MAIL_PREFIX } from '../../functions/runtime/ses-event.ts';
import type { LocalAws } from './local-aws.ts';

export { TestClock };

export const LEASE_MS = 120_000;

/** The real adapters wired to the local servers, as `functions/inbound-process.ts` wires them to AWS. */
export function inboundDeps(aws: LocalAws, clock: Clock, overrides: Partial<ReceiveMailDeps> = {}): ReceiveMailDeps {
  const { db, tableName } = aws;
  const channels = new DynamoChannelDirectory(db, tableName, { clock, cacheMs: 0 });
  const feedback = feedbackAdapters(db, tableName, clock, {
    SUPPRESSION_SCOPE: 'channel',
    TRANSIENT_FAILURES: 3,
    TRANSIENT_WINDOW_SECONDS: 7 * 86_400,
    LEASE_SECONDS: LEASE_MS / 1000,
  });
  return {
    parser: new MailparserMimeParser(),
    language: new EldLanguageDetector(),
    channels,
    rawMail: new S3RawMailStore(aws.s3, aws.bucket),
    ledger: new DynamoProcessingLedger(db, tableName, INBOUND_RECORDS),
    conversations: new DynamoConversationStore(db, tableName),
    messages: new DynamoMessageStore(db, tableName),
    queue: new SqsRoutedQueue(aws.sqs, aws.queueUrls),
    failed: new DynamoFailedMailStore(db, tableName),
    tickets: new DynamoTicketSequence(db, tableName),
    clock,
    ids: new UuidIdGenerator(),
    leaseMs: LEASE_MS,
    pause: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    reports: { ...feedback.deps, options: feedback.options },
    acknowledgements: {
      ledger: new DynamoAcknowledgementLedger(db, tableName),
      suppression: feedback.deps.suppression,
      clock,
      plans: new S3OutboundPlanStore(aws.s3, aws.bucket),
      queue: new SqsOutboundQueue(aws.sqs, aws.outbound.queueUrl),
      messages: new DynamoOutboundMessages(db, tableName),
      ownAddresses: async () => (await channels.all()).flatMap((c) => [c.address, ...c.aliases]),
    },
    ...overrides,
  };
}

/** The inbound mail for an SES message id, as the handler derives it from a receipt event. */
export function inboundMail(sesMessageId: string, recipients: readonly string[] = ['support@example.com']): InboundMail {
  return {
    sesMessageId,
    rawKey: `${RAW_MAIL_PREFIX}${sesMessageId}`,
    recipients: [...recipients],
    verdicts: { spamVerdict: 'PASS', virusVerdict: 'PASS', spfVerdict: 'PASS', dkimVerdict: 'PASS', dmarcVerdict: 'PASS' },
    receivedAt: '2026-11-22T09:59:58.000Z',
  };
}

/** Runs an attempt again while it fails with a retryable error, as Lambda's async retries would (at most `times`). */
export async function retrying<T>(attempt: () => Promise<T>, times = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof AppError && error.retryable) || i >= times) throw error;
    }
  }
}

/** A plain customer mail; `inReplyTo` makes it a reply to a message we may never have seen. */
export function customerMail(options: {
  messageId: string;
  subject?: string;
  from?: string;
  inReplyTo?: string;
  references?: readonly string[];
  to?: string;
}): string {
  const lines = [
    `From: ${options.from ?? 'Carla Customer <carla@customer.example>'}`,
    `To: ${options.to ?? 'Example Support <support@example.com>'}`,
    `Subject: ${options.subject ?? 'My order has not arrived'}`,
    `Message-ID: <${options.messageId}>`,
    'Date: Sun, 22 Nov 2026 09:59:50 +0000',
    ...(options.inReplyTo ? [`In-Reply-To: <${options.inReplyTo}>`] : []),
    ...(options.references ?? (options.inReplyTo ? [options.inReplyTo] : [])).map((r, i) => (i === 0 ? `References: <${r}>` : ` <${r}>`)),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Hello, my order 4711 has not arrived yet. Can you help?',
    '',
  ];
  return lines.join('\r\n');
}
