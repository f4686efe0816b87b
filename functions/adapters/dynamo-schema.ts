import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';

/**
 * The one DynamoDB table of Postroom: its key schema, indexes and item keys. Shared by the
 * adapters, the CDK `Tables` construct and the tests that create the table on dynalite, so the
 * three cannot drift apart.
 *
 * | item | pk | sk |
 * |---|---|---|
 * | conversation (retention: `retentionSeconds`, TTL `expiresAt` moved by each message, `legalHold`; see `docs/retention.md`) | `CONV#<id>` | `CONV` |
 * | message of a conversation (`claimIds`: the Message-IDs its threading claimed, which its expiry deletes) | `CONV#<id>` | `MSG#<receivedAt>#<messageId>` |
 * | message without conversation (TTL `expiresAt`) | `LOOSE#<channelId>` | `MSG#<receivedAt>#<messageId>` |
 * | Message-ID claim (`conversationId`) and owner (`ownerMessageId`: the stored message carrying it as its own; `ownerReceipt`: its SES message id) | `MSGID#<channelId>#<message-id>`, or `MSGIDH#<channelId>#<sha-256>` for a long id | `MSGID` |
 * | ticket number index | `TICKET#<channelId>#<ticket>` | `TICKET` |
 * | reply token index | `TOKEN#<channelId>#<token>` | `TOKEN` |
 * | ticket counter of the deployment (`value`), seeded from the per-channel counters of before | `COUNTER#*` | `TICKET` |
 * | ticket counter of a channel, before ticket numbers were unique across channels (read once, to seed) | `COUNTER#<channelId>` | `TICKET` |
 * | inbound record (idempotency) | `INBOUND#<sesMessageId>` | `CHANNEL#<channelId>` |
 * | failed mail (TTL `expiresAt`) | `INBOUND#<sesMessageId>` | `FAILED#<channelId or ->` (gsi1: `FAILED`, `<failedAt>#<ses id>`) |
 * | outbound record (idempotency of a send) | `OUTBOUND#<messageId>` | `OUTBOUND` |
 * | suppressed address | `SUPP#<channelId>`, or `SUPP#*` account-wide | `<address>` |
 * | outbound message by provider (SES) id → message key (`targetPk`, `targetSk`) | `OUTMSG#<providerMessageId>` | `OUTMSG` |
 * | outbound message by Message-ID → message key | `OUTMID#<channelId>#<message-id>`, or `OUTMIDH#<channelId>#<sha-256>` for a long id | `OUTMID` |
 * | feedback record (idempotency) | `FEEDBACK#<key>`, or `FEEDBACKH#<sha-256>` for a long key | `FEEDBACK` |
 * | sliding-window event (soft failures, mails of a sender; TTL `expiresAt`) | `HITS#<key>` | `<at>#<event id>` |
 * | acknowledgement claim per sender (TTL `expiresAt`) | `ACK#<channelId>#<sender>` | `ACK` |
 * | channel settings (`settings` JSON, `version`, `managedBy`) | `CHANNEL` | `<channelId>` |
 * | conversation list entry (attributes of the conversation item) | gsi1: `CONVERSATIONS` | gsi1: `<createdAt>#<id>` |
 * | internal note of a conversation | `CONV#<id>` | `NOTE#<at>#<noteId>` |
 * | skill (`skill` JSON with its queue URLs, `version`, `managedBy`) | `SKILL` | `<name>` |
 * | template of a channel | `TEMPLATE#<channelId>` | `<name>` |
 * | signature of an agent | `SIGNATURE` | `<agentId>` |
 * | agent (`agent` JSON: role, display name, channels, skills, identities; `version`, `managedBy`) | `AGENT` | `<agentId>` |
 * | credentials of a channel (ciphertexts only) | `CREDENTIAL#<channelId>` | `SMTP` |
 * | mailbox source state (`state` JSON, `version`, poll lease `leaseUntil`) | `SOURCE#<channelId>` | `STATE` |
 * | a mailbox message key whose mail is final: the move owed to the mailbox (`entry` JSON) | `SRCKEY#<channelId>` | `<source key>` |
 * | content hash of a mailbox or imported message → the mail id that holds it | `SRCHASH#<channelId>` | `<sha-256>` |
 * | import job of an uploaded archive (`job` JSON, `version`) | `IMPORT#<channelId>` | `<importId>` |
 * | export or erasure job of one address (`job` JSON, `version`, `addressHash`; the address is dropped once an erasure is done) | `PRIVACY` | `<jobId>` |
 * | an erased address's hashed suppression (`hashed: true`, reason `erasure`) | `SUPP#*` | `sha256:<hex of the lowercase address>` |
 * | work lease: a skill-queue message an agent took (`lease` JSON with the receipt handle and `expiresAt` ISO; TTL `expiresAt`) | `LEASE#<leaseId>` | `LEASE` |
 * | a conversation's lease, to find it by conversation (`agentId`; TTL `expiresAt`, past any lease's end) | `LEASES#<conversationId>` | `<leaseId>` |
 * | presence of an agent on a conversation (`presence` JSON: state, since, display name, `until`; TTL `expiresAt`) | `PRESENCE#<conversationId>` | `<agentId>` |
 * | business calendar (`calendar` JSON: time zone, hours, holidays; `version`, `managedBy`) | `CALENDAR` | `<calendarId>` |
 * | SLA schedule entry (attributes of the conversation item, `dynamo-sla-attributes.ts`) | sla: `SLA` | sla: `<next event time>#<id>` |
 * | audit record, in the append-only audit table of its own (`dynamo-audit-log.ts`; TTL `expiresAt`) | `AUDIT` | `<at>#<id>` |
 */
export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Sparse index listing failed mail by time. */
  failedIndex: { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  /** Sparse index of conversations by the time their next SLA event falls due (`docs/sla.md`), keys only plus the SLA state. */
  slaIndex: { indexName: 'sla', partitionKey: 'slaPk', sortKey: 'slaNext' },
} as const;

export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

export const itemKeys = {
  conversation: (id: string): ItemKey => ({ pk: `CONV#${id}`, sk: 'CONV' }),
  message: (channelId: string, conversationId: string | null, receivedAt: string, messageId: string): ItemKey => ({
    pk: conversationId ? `CONV#${conversationId}` : `LOOSE#${channelId}`,
    sk: `MSG#${receivedAt}#${messageId}`,
  }),
  claim: (channelId: string, messageId: string): ItemKey => ({ pk: idKey('MSGID', channelId, messageId), sk: 'MSGID' }),
  ticket: (channelId: string, ticket: string): ItemKey => ({ pk: `TICKET#${channelId}#${ticket}`, sk: 'TICKET' }),
  replyToken: (channelId: string, token: string): ItemKey => ({ pk: `TOKEN#${channelId}#${token.toLowerCase()}`, sk: 'TOKEN' }),
  counter: (channelId: string): ItemKey => ({ pk: `COUNTER#${channelId}`, sk: 'TICKET' }),
  /** `*` is no channel id (`IdSchema`), so it cannot meet a channel's counter of before. */
  deploymentCounter: (): ItemKey => ({ pk: 'COUNTER#*', sk: 'TICKET' }),
  inbound: (sesMessageId: string, channelId: string): ItemKey => ({ pk: `INBOUND#${sesMessageId}`, sk: `CHANNEL#${channelId}` }),
  failed: (sesMessageId: string, channelId: string | null): ItemKey => ({ pk: `INBOUND#${sesMessageId}`, sk: `FAILED#${channelId ?? '-'}` }),
  channel: (channelId: string): ItemKey => ({ pk: 'CHANNEL', sk: channelId }),
  outbound: (messageId: string): ItemKey => ({ pk: `OUTBOUND#${messageId}`, sk: 'OUTBOUND' }),
  suppression: (scopeKey: string, address: string): ItemKey => ({ pk: `SUPP#${scopeKey}`, sk: address }),
  outboundByProviderId: (providerMessageId: string): ItemKey => ({ pk: `OUTMSG#${providerMessageId}`, sk: 'OUTMSG' }),
  outboundByMessageId: (channelId: string, messageId: string): ItemKey => ({ pk: idKey('OUTMID', channelId, messageId), sk: 'OUTMID' }),
  feedback: (key: string): ItemKey => ({
    pk: Buffer.byteLength(key, 'utf8') <= MAX_KEYED_ID_BYTES ? `FEEDBACK#${key}` : `FEEDBACKH#${sha256(key)}`,
    sk: 'FEEDBACK',
  }),
  hit: (key: string, at: string, eventId: string): ItemKey => ({ pk: `HITS#${bounded(key)}`, sk: `${at}#${bounded(eventId)}` }),
  acknowledgement: (channelId: string, sender: string): ItemKey => ({ pk: `ACK#${channelId}#${bounded(sender)}`, sk: 'ACK' }),
  note: (conversationId: string, at: string, noteId: string): ItemKey => ({ pk: `CONV#${conversationId}`, sk: `NOTE#${at}#${noteId}` }),
  skill: (name: string): ItemKey => ({ pk: SKILL_PARTITION, sk: name }),
  agent: (id: string): ItemKey => ({ pk: AGENT_PARTITION, sk: id }),
  credentials: (channelId: string): ItemKey => ({ pk: `CREDENTIAL#${channelId}`, sk: 'SMTP' }),
  audit: (at: string, id: string): ItemKey => ({ pk: AUDIT_PARTITION, sk: `${at}#${id}` }),
  sourceState: (channelId: string): ItemKey => ({ pk: `SOURCE#${channelId}`, sk: 'STATE' }),
  sourceKey: (channelId: string, key: string): ItemKey => ({ pk: `SRCKEY#${channelId}`, sk: bounded(key) }),
  sourceHash: (channelId: string, sha256hex: string): ItemKey => ({ pk: `SRCHASH#${channelId}`, sk: sha256hex }),
  importJob: (channelId: string, id: string): ItemKey => ({ pk: `IMPORT#${channelId}`, sk: id }),
  privacyJob: (id: string): ItemKey => ({ pk: PRIVACY_PARTITION, sk: id }),
  lease: (leaseId: string): ItemKey => ({ pk: `LEASE#${leaseId}`, sk: 'LEASE' }),
  conversationLease: (conversationId: string, leaseId: string): ItemKey => ({ pk: `LEASES#${conversationId}`, sk: leaseId }),
  presence: (conversationId: string, agentId: string): ItemKey => ({ pk: `PRESENCE#${conversationId}`, sk: agentId }),
};

/** Partition of the skills (few, small: read in one query). */
export const SKILL_PARTITION = 'SKILL';
export const AGENT_PARTITION = 'AGENT';
/** Partition of the export and erasure jobs (few: one per request). */
export const PRIVACY_PARTITION = 'PRIVACY';
/** Partition of the audit records. */
export const AUDIT_PARTITION = 'AUDIT';
/** Partition of the business calendars (few, small). */
export const CALENDAR_PARTITION = 'CALENDAR';
/** Partition of the sparse conversation list in `gsi1`. */
export const CONVERSATION_LIST_PARTITION = 'CONVERSATIONS';

/** Longest Message-ID (UTF-8 bytes) used in a key as it is; DynamoDB caps partition keys at 2048 bytes. */
export const MAX_KEYED_ID_BYTES = 250;

/**
 * Partition key of an item keyed by a Message-ID, which is hostile input of any length: a long id
 * is keyed by its SHA-256 under its own prefix (`…H#`), so it can never equal a short id's key.
 */
function idKey(prefix: string, channelId: string, messageId: string): string {
  if (Buffer.byteLength(messageId, 'utf8') <= MAX_KEYED_ID_BYTES) return `${prefix}#${channelId}#${messageId}`;
  return `${prefix}H#${channelId}#${sha256(messageId)}`;
}

/** A key part as it is, or `H:<sha-256>` past the byte limit (a hash has no `:` prefix otherwise, so the two cannot meet). */
function bounded(value: string): string {
  return Buffer.byteLength(value, 'utf8') <= MAX_KEYED_ID_BYTES ? value : `H:${sha256(value)}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** What the `sla` index carries besides the keys: what the check reads of a conversation. */
export const SLA_INDEX_ATTRIBUTES = ['id', 'channelId', 'ticketNumber', 'sla', 'slaRespondedAt', 'slaPausedSince', 'slaEvents', 'slaRev'] as const;

/** Leading key prefixes the inbound function writes (its IAM `dynamodb:LeadingKeys` condition). */
export const INBOUND_WRITE_KEY_PREFIXES = ['CONV#', 'LOOSE#', 'MSGID#', 'MSGIDH#', 'TICKET#', 'TOKEN#', 'COUNTER#', 'INBOUND#'] as const;

/**
 * Leading key prefixes the outbound function writes: its records, the messages and claims of the
 * conversations it answers, the credentials' health mark, and the lookups feedback finds a sent
 * message by.
 */
export const OUTBOUND_WRITE_KEY_PREFIXES = ['OUTBOUND#', 'CONV#', 'MSGID#', 'MSGIDH#', 'CREDENTIAL#', 'OUTMSG#', 'OUTMID#', 'OUTMIDH#'] as const;
/** Leading key prefixes the feedback function writes: outbound messages (under their conversation), suppressions, soft-failure counts, its records. */
export const FEEDBACK_WRITE_KEY_PREFIXES = ['CONV#', 'SUPP#', 'HITS#', 'FEEDBACK#', 'FEEDBACKH#'] as const;
/** Leading key prefixes that acknowledgements write (the inbound function, once it sends them). */
export const ACKNOWLEDGEMENT_WRITE_KEY_PREFIXES = ['ACK#', 'HITS#'] as const;
/** Leading key prefixes the send path writes besides the message itself: the lookups feedback finds it by. */
export const OUTBOUND_LOOKUP_KEY_PREFIXES = ['OUTMSG#', 'OUTMID#', 'OUTMIDH#'] as const;
/**
 * TTL attribute (epoch seconds) of the items that expire: window events, acknowledgement claims,
 * work leases, presence, and by the retention settings conversations, messages outside any,
 * failed mail and audit records.
 */
export const TTL_ATTRIBUTE = 'expiresAt';

/** Partition holding every channel's settings (few, small: read in one query). */
export const CHANNEL_PARTITION = 'CHANNEL';
/** Partition of the sparse failed-mail index. */
export const FAILED_PARTITION = 'FAILED';

/** A CreateTable request for an on-demand table keyed by string `pk`/`sk`, with the string attributes its indexes use. */
export function keyedTableInput(
  tableName: string,
  keys: { readonly partitionKey: string; readonly sortKey: string },
  indexAttributes: readonly string[] = [],
): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [
      { AttributeName: keys.partitionKey, KeyType: 'HASH' },
      { AttributeName: keys.sortKey, KeyType: 'RANGE' },
    ],
    AttributeDefinitions: [keys.partitionKey, keys.sortKey, ...indexAttributes].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
  };
}

/** A CreateTable request for the table (what the CDK construct declares), for local servers and tests. */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const { failedIndex, slaIndex } = TABLE_SCHEMA;
  return {
    ...keyedTableInput(tableName, TABLE_SCHEMA, [failedIndex.partitionKey, failedIndex.sortKey, slaIndex.partitionKey, slaIndex.sortKey]),
    GlobalSecondaryIndexes: [
      {
        IndexName: failedIndex.indexName,
        KeySchema: [
          { AttributeName: failedIndex.partitionKey, KeyType: 'HASH' },
          { AttributeName: failedIndex.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        IndexName: slaIndex.indexName,
        KeySchema: [
          { AttributeName: slaIndex.partitionKey, KeyType: 'HASH' },
          { AttributeName: slaIndex.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...SLA_INDEX_ATTRIBUTES] },
      },
    ],
  };
}
