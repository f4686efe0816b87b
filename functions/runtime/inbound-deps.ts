import type { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoAcknowledgementLedger } from '../adapters/dynamo-acknowledgement-ledger.ts';
import { DynamoChannelDirectory } from '../adapters/dynamo-channel-directory.ts';
import { DynamoConversationStore } from '../adapters/dynamo-conversation-store.ts';
import { DynamoFailedMailStore } from '../adapters/dynamo-failed-mail-store.ts';
import { DynamoProcessingLedger, INBOUND_RECORDS } from '../adapters/dynamo-processing-ledger.ts';
import { DynamoMessageStore } from '../adapters/dynamo-message-store.ts';
import { DynamoOutboundMessages } from '../adapters/dynamo-outbound-messages.ts';
import { DynamoTicketSequence } from '../adapters/dynamo-ticket-sequence.ts';
import { EldLanguageDetector } from '../adapters/eld-language-detector.ts';
import { MailparserMimeParser } from '../adapters/mailparser-mime-parser.ts';
import { S3OutboundPlanStore } from '../adapters/s3-outbound-plan-store.ts';
import { S3RawMailStore } from '../adapters/s3-raw-mail-store.ts';
import { SqsOutboundQueue } from '../adapters/sqs-outbound-queue.ts';
import { SqsRoutedQueue } from '../adapters/sqs-routed-queue.ts';
import { skillQueueLookup } from '../adapters/skill-queue-lookup.ts';
import { SystemClock } from '../adapters/system-clock.ts';
import { UuidIdGenerator } from '../adapters/uuid-id-generator.ts';
import type { ReceiveMailDeps } from '../core/inbound/receive-mail.ts';
import { type AwsClients, tracedClients } from './clients.ts';
import type { InboundEnv } from './env.ts';
import { feedbackAdapters } from './feedback-deps.ts';
import { retentionOf } from './env-fields.ts';
import { CachedCalendarLookup } from '../adapters/dynamo-calendar-lookup.ts';
import { dynamoCalendarStore } from '../adapters/dynamo-calendar-store.ts';
import { slaPolicies } from '../core/sla/sla-policies.ts';

/** The AWS adapters of `receiveMail`, with SDK clients built once and traced. */
export function createInboundDeps(env: InboundEnv, tracer: Tracer): ReceiveMailDeps {
  return inboundAdapters(tracedClients(tracer), env);
}

/** The adapters of `receiveMail` on given clients: the inbound function's, the sandbox's and the admin API's replays. */
export function inboundAdapters(clients: AwsClients, env: InboundEnv): ReceiveMailDeps {
  const { db, s3, sqs } = clients;
  const table = env.TABLE_NAME;
  const clock = new SystemClock();
  const channels = new DynamoChannelDirectory(db, table, { clock, cacheMs: env.CHANNEL_CACHE_SECONDS * 1000 });
  const feedback = feedbackAdapters(db, table, clock, env);
  // The expiry of what the inbound path writes rides on its writes.
  const retention = retentionOf(env);
  const conversations = new DynamoConversationStore(db, table, { retention });
  // The SLA clocks: calendars read when a clock starts or resumes, cached as channels are.
  const calendars = new CachedCalendarLookup(dynamoCalendarStore(db, table), {
    clock,
    cacheMs: env.CALENDAR_CACHE_SECONDS * 1000,
  });
  return {
    parser: new MailparserMimeParser(),
    language: new EldLanguageDetector(),
    channels,
    rawMail: new S3RawMailStore(s3, env.MAIL_BUCKET),
    ledger: new DynamoProcessingLedger(db, table, INBOUND_RECORDS),
    conversations,
    sla: { policies: slaPolicies(calendars, env.SLA_DEFAULT), store: conversations },
    messages: new DynamoMessageStore(db, table, { retention }),
    queue: new SqsRoutedQueue(sqs, env.SKILL_QUEUE_URLS, skillQueueLookup({ db, tableName: table, sqs, prefix: env.SKILL_QUEUE_PREFIX })),
    failed: new DynamoFailedMailStore(db, table, { retention }),
    tickets: new DynamoTicketSequence(db, table),
    clock,
    ids: new UuidIdGenerator(),
    leaseMs: env.LEASE_SECONDS * 1000,
    pause: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    reports: { ...feedback.deps, options: feedback.options },
    acknowledgements: {
      ledger: new DynamoAcknowledgementLedger(db, table),
      suppression: feedback.deps.suppression,
      clock,
      plans: new S3OutboundPlanStore(s3, env.MAIL_BUCKET),
      queue: new SqsOutboundQueue(sqs, env.OUTBOUND_QUEUE_URL),
      messages: new DynamoOutboundMessages(db, table),
      ownAddresses: async () => (await channels.all()).flatMap((c) => [c.address, ...c.aliases, ...c.allowedFrom.map((f) => f.address)]),
    },
  };
}
