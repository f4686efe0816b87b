import { scanTable as scanAll } from './support/world.ts';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { ChangeMessageVisibilityCommand, GetQueueAttributesCommand, ReceiveMessageCommand, DeleteMessageBatchCommand, type Message } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSRecord } from 'aws-lambda';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../functions/adapters/dynamo-audit-log.ts';
import { DynamoChannelDirectory } from '../../functions/adapters/dynamo-channel-directory.ts';
import { DynamoCredentialStore } from '../../functions/adapters/dynamo-credential-store.ts';
import { DynamoFailedMailAdmin } from '../../functions/adapters/dynamo-failed-mail-admin.ts';
import { EncryptionSdkSecretCipher, localKeyring } from '../../functions/adapters/outbound/encryption-sdk-secret-cipher.ts';
import { UuidIdGenerator } from '../../functions/adapters/uuid-id-generator.ts';
import { replayAll, type FailedAdminDeps } from '../../functions/core/admin/failed-admin.ts';
import type { AdminRequest } from '../../functions/core/admin/admin-context.ts';
import { receiveMail, type ReceiveOutcome } from '../../functions/core/inbound/receive-mail.ts';
import { ChannelSettingsSchema, type ChannelSettings } from '../../functions/core/model/channel.ts';
import { credentialEndpointKey } from '../../functions/core/model/credential-endpoint.ts';
import type { InboundMail, InboundRecord } from '../../functions/core/model/inbound-record.ts';
import { OutboundJobSchema, type OutboundJob, type OutboundRecord } from '../../functions/core/model/outbound-job.ts';
import { RoutedMessageSchema, type RoutedMessage } from '../../functions/core/model/routed-message.ts';
import type { OutboundStoredMessage } from '../../functions/core/model/stored-message.ts';
import { queueReply } from '../../functions/core/outbound/compose/queue-reply.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../functions/local/local-aws.ts';
import { createSesClient } from '../../functions/runtime/clients.ts';
import { readEnv } from '../../functions/runtime/env.ts';
import { type OutboundEnv, OutboundEnvSchema } from '../../functions/runtime/outbound-env.ts';
import { createOutboundHandler } from '../../functions/runtime/outbound-handler.ts';
import { createQueueReplyDeps } from '../../functions/runtime/queue-reply-deps.ts';
import { TestClock, customerMail, inboundDeps, inboundMail } from '../support/inbound-deps.ts';
import { EXAMPLE_CONFIG, type LocalAws } from '../support/local-aws.ts';
import {
  PEER_CA_FILE,
  PEER_PASSWORD,
  PEER_USER,
  type SeparateServers,
  type SmtpPeerProcess,
  startSeparateServers,
  startSmtpPeer,
} from './support/servers-process.ts';

/*
 * Faults against real servers in processes of their own (`support/servers-process.ts`):
 * dynalite on LevelDB files and fauxqs on SQLite, both of which keep what they acknowledged
 * across a SIGKILL, and a customer's SMTP server that stores each mail on disk before its 250.
 * Every server is killed with SIGKILL in the middle of a run and started again on the same port
 * and data folder; nothing of the product is replaced.
 */

/** The deployed inbound lease: the function's 60 s timeout plus 10 s (`lib/constructs/inbound-pipeline.ts`). */
const LEASE_MS = 70_000;
/** Lambda retries an asynchronous invocation twice: about a minute, then about two minutes later. */
const RETRY_DELAYS_MS = [60_000, 120_000] as const;
/** Real time between retries: the retries' own time is on the mail's clock; this lets a restart happen meanwhile. */
const REAL_RETRY_PAUSE_MS = 200;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const describeError = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

let dir: string;
let servers: SeparateServers;
let aws: LocalAws;
let peer: SmtpPeerProcess;
let keyFile: string;
const tag = Date.now().toString(36);

/** A channel that acknowledges new conversations: its mails write a plan, an outbound message and a job besides the pointer. */
const WELCOME = ChannelSettingsSchema.parse({
  id: 'welcome',
  address: 'welcome@example.com',
  name: 'Welcome desk',
  defaultSkill: 'support',
  acknowledgement: { enabled: true, windowHours: 24 },
});

/** A channel that sends through its own SMTP server: the peer child. */
function deskChannel(port: number): ChannelSettings {
  return ChannelSettingsSchema.parse({
    id: 'desk',
    address: 'desk@example.com',
    name: 'Desk',
    defaultSkill: 'support',
    outbound: { enabled: true, transport: 'smtp' },
    smtp: {
      host: '127.0.0.1',
      port,
      security: 'starttls',
      auth: { type: 'password', user: PEER_USER },
      // Short timeouts: a dead peer refuses at once, a stuck one must not hold the run.
      timeouts: { connectMs: 2000, greetingMs: 2000, socketMs: 5000 },
    },
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'postroom-faults-'));
  [servers, peer] = await Promise.all([
    startSeparateServers(
      join(dir, 'aws'),
      EXAMPLE_CONFIG.skills.map((s) => s.name),
    ),
    // 40 ms between the end of DATA and the 250: a kill finds sessions in that window.
    startSmtpPeer(join(dir, 'peer'), 40),
  ]);
  aws = servers.aws;
  const directory = new DynamoChannelDirectory(aws.db, aws.tableName, { clock: { now: () => new Date() }, cacheMs: 0 });
  const desk = deskChannel(peer.port);
  for (const channel of [...EXAMPLE_CONFIG.channels, WELCOME, desk]) await directory.put(channel);
  // The desk's SMTP password, encrypted for its channel and endpoint as the admin API stores it.
  keyFile = join(dir, 'credentials.key');
  const cipher = new EncryptionSdkSecretCipher(await localKeyring(keyFile));
  const ciphertext = await cipher.encrypt(PEER_PASSWORD, {
    channelId: desk.id,
    purpose: 'smtp-password',
    endpoint: credentialEndpointKey(desk.smtp ?? never()),
  });
  await new DynamoCredentialStore(aws.db, aws.tableName).putSecret(desk.id, 'smtpPassword', ciphertext, new Date().toISOString());
});

afterAll(async () => {
  await Promise.all([servers?.stop(), peer?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

function never(): never {
  throw new Error('unreachable');
}

// ---------------------------------------------------------------------------------------------
// Lambda's asynchronous invocation, the way SES's Lambda action runs the inbound function

/** An SES event whose invocation failed every attempt: Lambda hands it to the on-failure destination (the failed-mail queue). */
interface Parked {
  readonly mail: InboundMail;
  readonly error: string;
}

interface InvocationLog {
  readonly parked: Parked[];
  /** Every attempt that threw, with the server that was down at that moment (`-` for none). */
  readonly thrown: { readonly down: string; readonly error: string }[];
}

/**
 * Runs `receiveMail` for one SES event as Lambda runs an `Event` invocation: the first call and
 * two retries, each retry later on the mail's clock, so leases behave as in AWS: the lease of an
 * attempt that died without giving it back (70 s) still holds at the first retry and has expired
 * at the second. Any thrown error is retried, as Lambda retries any function error; after the
 * last one the event is parked.
 */
async function invokeAsync(
  mail: InboundMail,
  clock: TestClock,
  log: InvocationLog,
  options: {
    readonly down?: () => string;
    readonly firstAttemptDone?: boolean;
    /** Real time between attempts; none where no server restarts meanwhile. */
    readonly pauseMs?: number;
  } = {},
): Promise<ReceiveOutcome | null> {
  let last: unknown = null;
  for (let attempt = options.firstAttemptDone ? 1 : 0; attempt <= RETRY_DELAYS_MS.length; attempt++) {
    if (attempt > 0) {
      clock.advance(RETRY_DELAYS_MS[attempt - 1] ?? 0);
      await sleep(options.pauseMs ?? REAL_RETRY_PAUSE_MS);
    }
    try {
      return await receiveMail(inboundDeps(aws, clock, { leaseMs: LEASE_MS }), mail);
    } catch (error) {
      last = error;
      log.thrown.push({ down: options.down?.() ?? '-', error: describeError(error) });
    }
  }
  log.parked.push({ mail, error: describeError(last) });
  return null;
}

/** Runs `work` on every item with `workers` in parallel (Lambda's concurrency). */
async function pool<T>(items: readonly T[], workers: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index] as T, index);
      }
    }),
  );
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

// ---------------------------------------------------------------------------------------------
// What the servers hold

const scanTable = (): Promise<Record<string, unknown>[]> => scanAll(aws);

async function inboundRecord(sesMessageId: string, channelId: string): Promise<InboundRecord | undefined> {
  const out = await aws.db.send(
    new GetCommand({ TableName: aws.tableName, Key: { pk: `INBOUND#${sesMessageId}`, sk: `CHANNEL#${channelId}` }, ConsistentRead: true }),
  );
  return out.Item as InboundRecord | undefined;
}

async function rawExists(key: string): Promise<boolean> {
  return aws.s3.send(new HeadObjectCommand({ Bucket: aws.bucket, Key: key })).then(
    () => true,
    () => false,
  );
}

/** Takes every message off the skill queues; the dead-letter queues must stay empty. */
async function drainPointers(): Promise<{ pointers: RoutedMessage[]; deadLetters: number }> {
  const pointers: RoutedMessage[] = [];
  let deadLetters = 0;
  for (const skill of Object.keys(aws.queueUrls)) {
    const taken = await aws.drain(aws.queueUrls[skill] ?? '');
    for (const m of taken) {
      // The deduplication id is the Postroom message id: a resend inside SQS's window is dropped.
      expect(m.Attributes?.MessageDeduplicationId).toBe(JSON.parse(m.Body ?? '{}').messageId);
      pointers.push(RoutedMessageSchema.parse(JSON.parse(m.Body ?? '')));
    }
    deadLetters += (await aws.drain(aws.deadLetterQueueUrls[skill] ?? '')).length;
  }
  return { pointers, deadLetters };
}

/** How often each value occurs. */
function counts(values: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const v of values) out.set(v, (out.get(v) ?? 0) + 1);
  return out;
}

/** Stored inbound messages per SES message id, outbound acknowledgements per answered message, conversations by visibility. */
function tableFacts(items: readonly Record<string, unknown>[]) {
  const messages = items.filter((i) => i.kind === 'message');
  const inbound = messages.filter((m) => m.direction === 'inbound');
  const conversations = items.filter((i) => i.sk === 'CONV');
  const withMessages = new Set(inbound.map((m) => String(m.conversationId)));
  return {
    inboundBySes: counts(inbound.map((m) => String(m.sesMessageId))),
    acknowledgementsByMail: counts(messages.filter((m) => m.direction === 'outbound' && m.purpose === 'acknowledgement').map((m) => String(m.inReplyTo))),
    published: conversations.filter((c) => c.visibility === 'published'),
    /** A published conversation no message belongs to: an agent would see an empty ticket. */
    emptyPublished: conversations.filter((c) => c.visibility === 'published' && !withMessages.has(String(c.id))).map((c) => String(c.id)),
    /** Messages in a conversation that is not published (or does not exist). */
    inHidden: inbound
      .filter((m) => m.conversationId !== null && !conversations.some((c) => c.id === m.conversationId && c.visibility === 'published'))
      .map((m) => String(m.messageId)),
  };
}

// ---------------------------------------------------------------------------------------------
// Mails

type Kind = 'new' | 'reply' | 'automatic';

interface TestMail {
  readonly kind: Kind;
  readonly mail: InboundMail;
  readonly raw: string;
  readonly messageId: string;
  /** The mail this one answers (its index), for replies. */
  readonly parent: number | null;
  /** The skill a new mail routes to. */
  readonly skill: string;
}

const automatic = (raw: string): string => raw.replace('MIME-Version', 'Auto-Submitted: auto-replied\r\nMIME-Version');

/** New mails (every tenth about an invoice: billing), replies to the new mail three before, and automatic mail. */
function mailBatch(label: string, count: number): TestMail[] {
  const out: TestMail[] = [];
  const kinds: readonly Kind[] = ['new', 'new', 'new', 'reply', 'automatic'];
  for (let i = 0; i < count; i++) {
    const kind = kinds[i % kinds.length] ?? 'new';
    const messageId = `${label}-${i}-${tag}@customer.example`;
    const parent = kind === 'reply' ? i - 3 : null;
    const from = `Customer ${parent ?? i} <c${parent ?? i}.${label}.${tag}@customer.example>`;
    const subject =
      kind === 'automatic' ? `Automatic reply: away until Monday (${i})` : i % 10 === 1 ? `Invoice ${i} is wrong` : `Order ${parent ?? i} has not arrived`;
    const base = customerMail({
      messageId,
      from,
      subject: kind === 'reply' ? `Re: ${subject}` : subject,
      ...(parent !== null ? { inReplyTo: out[parent]?.messageId ?? never() } : {}),
    });
    const raw = kind === 'automatic' ? automatic(base) : base;
    out.push({ kind, mail: inboundMail(`${label}-${i}-${tag}`), raw, messageId, parent, skill: subject.startsWith('Invoice') ? 'billing' : 'support' });
  }
  return out;
}

const expectedState = (m: TestMail): string => (m.kind === 'automatic' ? 'recorded' : 'routed');

// ---------------------------------------------------------------------------------------------

describe('faults: servers killed with SIGKILL mid-run and restarted on the same port and data', () => {
  it('ends every inbound mail routed (or recorded) exactly once through kills of DynamoDB and of S3/SQS, or failed with its raw copy; replays finish them', async () => {
    // Arrange: SES stored every raw copy before invoking the function
    const began = Date.now();
    const mails = mailBatch('kill', 60);
    for (const m of mails) await aws.putRaw(m.mail.rawKey, m.raw);
    const log: InvocationLog = { parked: [], thrown: [] };
    let finished = 0;
    let down = '-';
    const outages: { server: string; killedAfterMails: number; mailsDoneAtRestart: number; downMs: number }[] = [];
    const outage = async (server: SeparateServers['dynamodb'], name: string, after: number): Promise<void> => {
      await until(`${after} mails done`, () => finished >= after, 60_000);
      const started = Date.now();
      down = name;
      await server.kill();
      // Long enough for the attempts in flight and a few more to fail on the dead server.
      await sleep(1200);
      await server.restart();
      down = '-';
      outages.push({ server: name, killedAfterMails: after, mailsDoneAtRestart: finished, downMs: Date.now() - started });
    };

    // Act: four concurrent invocations; DynamoDB dies after 15 mails, S3/SQS after 35
    const faults = (async () => {
      await outage(servers.dynamodb, 'dynamodb', 15);
      await outage(servers.sqsS3, 'sqs-s3', 35);
    })();
    await pool(mails, 4, async (m) => {
      await invokeAsync(m.mail, new TestClock(), log, { down: () => down });
      finished++;
    });
    await faults;

    // Assert (before any recovery): nothing vanished. Each mail is final, or listed as failed,
    // or parked on the failed-mail queue, and its raw copy is there to process it again.
    const failedAdmin = new DynamoFailedMailAdmin(aws.db, aws.tableName);
    const listedBefore = new Set((await failedAdmin.list({ limit: 1000 })).items.map((f) => f.sesMessageId));
    const parkedBefore = new Set(log.parked.map((p) => p.mail.sesMessageId));
    const unaccounted: string[] = [];
    for (const m of mails) {
      const record = await inboundRecord(m.mail.sesMessageId, 'support');
      const final = record?.state === expectedState(m);
      if (!final && !listedBefore.has(m.mail.sesMessageId) && !parkedBefore.has(m.mail.sesMessageId))
        unaccounted.push(`${m.mail.sesMessageId}: ${record?.state ?? 'no record'}`);
      expect(await rawExists(m.mail.rawKey), `raw copy of ${m.mail.sesMessageId}`).toBe(true);
    }
    expect(unaccounted).toEqual([]);
    // The kills did hit work in flight: attempts failed while each server was down.
    const thrownWhileDown = counts(log.thrown.map((t) => t.down));
    expect(thrownWhileDown.get('dynamodb') ?? 0).toBeGreaterThan(0);
    expect(thrownWhileDown.get('sqs-s3') ?? 0).toBeGreaterThan(0);
    expect(parkedBefore.size + listedBefore.size).toBeGreaterThan(0);

    // Recover: the parked events are sent to the function again (later: every lease expired),
    // then an operator replays the failed list until it is empty.
    const resent = log.parked.splice(0);
    const resendLog: InvocationLog = { parked: [], thrown: [] };
    for (const p of resent) {
      const later = new TestClock();
      later.advance(15 * 60_000);
      await invokeAsync(p.mail, later, resendLog);
    }
    const replayClock = new TestClock();
    replayClock.advance(30 * 60_000);
    const replayDeps: FailedAdminDeps = {
      audit: new DynamoAuditLog(aws.db, aws.auditTableName),
      clock: replayClock,
      ids: new UuidIdGenerator(),
      failed: failedAdmin,
      replay: (mail) => receiveMail(inboundDeps(aws, replayClock, { leaseMs: LEASE_MS }), mail, { replay: true }),
    };
    const request: AdminRequest = {
      actor: { kind: 'token', id: 'ops', agentId: 'ops', role: 'admin' },
      requestId: null,
      caller: { agentId: 'ops', role: 'admin', displayName: 'Operations', channels: [], skills: [] },
    };
    const replayed: { id: string; status: string }[] = [];
    for (let round = 0; round < 3 && (await failedAdmin.list({ limit: 1 })).items.length > 0; round++) {
      let cursor: string | undefined;
      do {
        const page = await replayAll(replayDeps, request, 25, cursor);
        replayed.push(...page.results.map((r) => ({ id: r.id, status: r.outcome.status })));
        cursor = page.cursor ?? undefined;
      } while (cursor);
    }

    // Assert: every mail ends in its state exactly once
    expect(resendLog.parked).toEqual([]);
    expect(replayed.filter((r) => r.status === 'failed')).toEqual([]);
    expect((await failedAdmin.list({ limit: 1000 })).items).toEqual([]);
    const records = new Map<string, InboundRecord>();
    for (const m of mails) {
      const record = await inboundRecord(m.mail.sesMessageId, 'support');
      expect(record?.state, `${m.kind} mail ${m.mail.sesMessageId}`).toBe(expectedState(m));
      if (record) records.set(m.mail.sesMessageId, record);
    }
    const facts = tableFacts(await scanTable());
    for (const m of mails) expect(facts.inboundBySes.get(m.mail.sesMessageId), `stored copies of ${m.mail.sesMessageId}`).toBe(1);
    expect(facts.emptyPublished).toEqual([]);
    expect(facts.inHidden).toEqual([]);
    const { pointers, deadLetters } = await drainPointers();
    const routed = mails.filter((m) => m.kind !== 'automatic');
    expect(pointers).toHaveLength(routed.length);
    expect(deadLetters).toBe(0);
    const pointerOf = new Map(pointers.map((p) => [p.messageId, p]));
    for (const m of routed) {
      const record = records.get(m.mail.sesMessageId) ?? never();
      expect(pointerOf.get(record.messageId), `pointer of ${m.mail.sesMessageId}`).toEqual(record.routed);
      if (m.kind === 'new') expect(record.routed?.skill).toBe(m.skill);
      // A reply ends in its parent's conversation whichever of the two was processed first.
      if (m.parent !== null) expect(record.conversationId).toBe(records.get(mails[m.parent]?.mail.sesMessageId ?? '')?.conversationId);
    }
    for (const m of mails.filter((x) => x.kind === 'automatic')) expect(records.get(m.mail.sesMessageId)?.routed).toBeNull();

    console.info(
      JSON.stringify({
        test: 'inbound kills',
        ms: Date.now() - began,
        mails: mails.length,
        outages,
        attemptsThrown: log.thrown.length,
        thrownWhileDown: Object.fromEntries(thrownWhileDown),
        parked: resent.length,
        listedFailed: listedBefore.size,
        replayed: replayed.length,
        pointers: pointers.length,
      }),
    );
  }, 45_000);

  it('loses and duplicates nothing when an attempt stops right after any one AWS call, by timeout or by a lost response', async () => {
    // Arrange: a conversation the replies answer
    const began = Date.now();
    const parentMail = mailBatch('cut-parent', 1)[0] ?? never();
    await aws.putRaw(parentMail.mail.rawKey, parentMail.raw);
    const parent = await receiveMail(inboundDeps(aws, new TestClock(), { leaseMs: LEASE_MS }), parentMail.mail);
    expect(parent.status).toBe('routed');
    const parentConversation = parent.status === 'failed' ? never() : parent.conversationId;
    await drainPointers();
    await aws.drain(aws.outbound.queueUrl);

    type CaseKind = 'acknowledged-new' | 'reply';
    let n = 0;
    const newCase = (kind: CaseKind, label: string) => {
      const id = `${label}-${++n}-${tag}`;
      const messageId = `${id}@customer.example`;
      if (kind === 'acknowledged-new') {
        // A sender of its own: one acknowledgement per sender per window.
        const raw = customerMail({
          messageId,
          from: `Dana ${n} <dana.${n}.${tag}@customer.example>`,
          to: 'Welcome <welcome@example.com>',
          subject: `Question ${n}`,
        });
        return { kind, id, raw, channelId: 'welcome', mail: inboundMail(id, ['welcome@example.com']) };
      }
      const raw = customerMail({
        messageId,
        inReplyTo: parentMail.messageId,
        from: `Customer 0 <c0.cut-parent.${tag}@customer.example>`,
        subject: 'Re: Order 0 has not arrived',
      });
      return { kind, id, raw, channelId: 'support', mail: inboundMail(id) };
    };
    type Case = ReturnType<typeof newCase> & { readonly cut: { readonly after: number; readonly mode: 'timeout' | 'lost-response' } | null };

    /** The label of an AWS call: operation, and the item kinds (key prefixes), record state, queue or object prefix it touched. */
    const labelOf = (service: string, command: { constructor: { name: string }; input: Record<string, unknown> }): string => {
      const op = command.constructor.name.replace(/Command$/, '');
      const input = command.input as {
        Item?: { pk?: string; state?: string };
        Key?: { pk?: string } | string;
        QueueUrl?: string;
        ExpressionAttributeValues?: Record<string, unknown>;
        RequestItems?: Record<string, { PutRequest?: { Item: { pk?: string } }; Keys?: { pk?: string }[] }[] | { Keys?: { pk?: string }[] }>;
      };
      if (service === 'sqs')
        return `${op} ${String(input.QueueUrl ?? '')
          .split('/')
          .pop()}`;
      if (service === 's3') return `${op} ${String(input.Key ?? '').split('/')[0]}`;
      const kindOf = (pk: unknown): string => String(pk ?? '').split('#')[0] ?? '';
      const batch = Object.values(input.RequestItems ?? {}).flatMap((r) =>
        Array.isArray(r) ? r.map((w) => w.PutRequest?.Item.pk) : (r.Keys ?? []).map((k) => k.pk),
      );
      const values = Object.values(input.ExpressionAttributeValues ?? {}).filter((v) => typeof v === 'string');
      const queried = values.find((v) => v.includes('#')) ?? values[0];
      const keys = input.Item?.pk ?? (typeof input.Key === 'object' ? input.Key.pk : undefined) ?? queried;
      const kinds = keys !== undefined ? kindOf(keys) : [...new Set(batch.map(kindOf))].join('+');
      return `${op} ${kinds}${input.Item?.state ? ` (${input.Item.state})` : ''}`;
    };

    /**
     * Runs the first attempt of a case on clients that count every AWS call. With a cut, the call
     * `after` completes (the write is durable) and then the attempt stops: `timeout` never goes
     * on (a Lambda timeout: no catch block runs, the lease stays), `lost-response` throws as if
     * the answer had been lost (the product's error path runs). Then Lambda's retries follow.
     */
    const run = async (c: Case) => {
      await aws.putRaw(c.mail.rawKey, c.raw);
      const clock = new TestClock();
      const calls: string[] = [];
      let cutAt: string | null = null;
      let stop: () => void = () => undefined;
      const stopped = new Promise<void>((resolve) => (stop = resolve));
      const counting = <T extends object>(client: T, service: string): T =>
        Object.assign(Object.create(client) as T, {
          send: async (command: never, ...rest: unknown[]) => {
            const out = await (client as unknown as { send: (...a: unknown[]) => Promise<unknown> }).send(command, ...rest);
            calls.push(labelOf(service, command));
            if (c.cut && calls.length === c.cut.after) {
              cutAt = calls.at(-1) ?? null;
              stop();
              if (c.cut.mode === 'timeout') return new Promise(() => undefined);
              throw new Error(`the response of ${cutAt} was lost`);
            }
            return out;
          },
        });
      const cutAws: LocalAws = { ...aws, db: counting(aws.db, 'dynamodb'), s3: counting(aws.s3, 's3'), sqs: counting(aws.sqs, 'sqs') };
      const first = receiveMail(inboundDeps(cutAws, clock, { leaseMs: LEASE_MS }), c.mail).then(
        (o) => ({ outcome: o }),
        (e: unknown) => ({ error: describeError(e) }),
      );
      const ended = await Promise.race([first, c.cut?.mode === 'timeout' ? stopped.then(() => null) : new Promise<never>(() => undefined)]);
      const log: InvocationLog = { parked: [], thrown: [] };
      const outcome = ended && 'outcome' in ended ? ended.outcome : await invokeAsync(c.mail, clock, log, { firstAttemptDone: true, pauseMs: 0 });
      return { case: c, calls, cutAt, firstError: ended && 'error' in ended ? ended.error : null, outcome, log };
    };

    // The calls of one whole attempt of each kind, uncut: the cut points.
    const probes = {
      'acknowledged-new': await run({ ...newCase('acknowledged-new', 'probe'), cut: null }),
      reply: await run({ ...newCase('reply', 'probe'), cut: null }),
    };
    const cases: Case[] = [];
    for (const kind of ['acknowledged-new', 'reply'] as const) {
      for (const mode of ['timeout', 'lost-response'] as const) {
        for (let after = 1; after <= probes[kind].calls.length; after++) cases.push({ ...newCase(kind, `cut-${kind}-${mode}-${after}`), cut: { after, mode } });
      }
    }

    // Act
    const results: Awaited<ReturnType<typeof run>>[] = [...Object.values(probes)];
    await pool(cases, 4, async (c) => void results.push(await run(c)));

    // Assert: each cut happened where the probe said, and the retries finished the mail
    for (const r of results) {
      const where = `${r.case.id} (cut after ${r.cutAt ?? 'nothing'})`;
      // Every cut point was reached (calls that run in parallel may complete in another order than in the probe).
      if (r.case.cut) expect(r.cutAt, where).not.toBeNull();
      expect(r.log.parked, where).toEqual([]);
      expect(r.outcome?.status, where).toBe('routed');
      const record = await inboundRecord(r.case.id, r.case.channelId);
      expect(record?.state, where).toBe('routed');
      if (r.case.kind === 'reply') expect(record?.conversationId, where).toBe(parentConversation);
    }
    // Exactly one stored message, one pointer (the one on the record) and, for the welcome desk,
    // one acknowledgement (message and job) per mail; one new conversation per new mail.
    const facts = tableFacts(await scanTable());
    const { pointers, deadLetters } = await drainPointers();
    const jobs = (await aws.drain(aws.outbound.queueUrl)).map((m: Message) => OutboundJobSchema.parse(JSON.parse(m.Body ?? '')));
    const pointerCount = counts(pointers.map((p) => p.messageId));
    const jobCount = counts(jobs.map((j: OutboundJob) => j.messageId));
    for (const r of results) {
      const where = `${r.case.id} (cut after ${r.cutAt ?? 'nothing'})`;
      const record = (await inboundRecord(r.case.id, r.case.channelId)) ?? never();
      expect(facts.inboundBySes.get(r.case.id), `stored copies of ${where}`).toBe(1);
      expect(pointerCount.get(record.messageId), `pointers of ${where}`).toBe(1);
      expect(
        pointers.find((p) => p.messageId === record.messageId),
        where,
      ).toEqual(record.routed);
      if (r.case.kind === 'acknowledged-new') {
        const job = record.acknowledgement?.job ?? never();
        expect(jobCount.get(job.messageId), `acknowledgement jobs of ${where}`).toBe(1);
        expect(facts.acknowledgementsByMail.get(record.messageId), `acknowledgements of ${where}`).toBe(1);
      }
    }
    expect(pointers).toHaveLength(results.length);
    expect(jobs).toHaveLength(results.filter((r) => r.case.kind === 'acknowledged-new').length);
    expect(deadLetters).toBe(0);
    expect(facts.published.filter((c) => c.channelId === 'welcome')).toHaveLength(results.filter((r) => r.case.kind === 'acknowledged-new').length);
    expect(facts.emptyPublished).toEqual([]);
    expect(facts.inHidden).toEqual([]);

    console.info(
      JSON.stringify({
        test: 'cut points',
        ms: Date.now() - began,
        cases: cases.length,
        cutPoints: Object.fromEntries(Object.entries(probes).map(([k, p]) => [k, p.calls])),
        busyRetries: results.reduce((s, r) => s + r.log.thrown.length, 0),
      }),
    );
  }, 60_000);

  it('sends every reply exactly once (by Message-ID) through a kill of the SMTP peer, or fails it with a reason', async () => {
    // Arrange: 24 customers wrote to the desk; an agent answers each
    const began = Date.now();
    const count = 24;
    const opened: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = `desk-${i}-${tag}`;
      await aws.putRaw(
        inboundMail(id).rawKey,
        customerMail({ messageId: `${id}@customer.example`, from: `Erin ${i} <erin.${i}.${tag}@customer.example>`, to: 'Desk <desk@example.com>' }),
      );
      const outcome = await receiveMail(inboundDeps(aws, new TestClock(), { leaseMs: LEASE_MS }), inboundMail(id, ['desk@example.com']));
      opened.push(outcome.status === 'routed' ? (outcome.conversationId ?? never()) : never());
    }
    await drainPointers();
    await aws.drain(aws.outbound.queueUrl);
    const queueDeps = createQueueReplyDeps({
      db: aws.db,
      s3: aws.s3,
      sqs: aws.sqs,
      tableName: aws.tableName,
      bucket: aws.bucket,
      outboundQueueUrl: aws.outbound.queueUrl,
    });
    const replies: OutboundStoredMessage[] = [];
    for (const conversationId of opened) replies.push(await queueReply(queueDeps, { conversationId, agentId: 'agent-1', text: 'Your parcel left today.' }));

    // The outbound function as Lambda builds it, on the child servers; SES is never used by this channel.
    const env = readEnv(OutboundEnvSchema, {
      TABLE_NAME: aws.tableName,
      MAIL_BUCKET: aws.bucket,
      OUTBOUND_QUEUE_URL: aws.outbound.queueUrl,
      CREDENTIALS_KEY_FILE: keyFile,
      ALLOW_LOOPBACK_HOSTS: 'true',
      SMTP_EXTRA_CA_FILE: PEER_CA_FILE,
      CHANNEL_CACHE_SECONDS: '1',
    } satisfies Partial<Record<keyof OutboundEnv, string>>);
    const ses = createSesClient({ region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS }, endpoint: 'http://127.0.0.1:9' });
    const handler = createOutboundHandler(env, {
      clients: { db: aws.db, s3: aws.s3, sqs: aws.sqs, ses },
      observability: { logLevel: 'SILENT', publish: false },
    });

    // Act: the SQS event source (batches of 10, as deployed) feeds the handler; the peer dies
    // once it stored 8 mails and comes back a second later. A job the handler failed is backed
    // off on the queue by the retry policy (a minute and more); once the peer is back that time
    // is taken as passed: the job becomes visible at once and is delivered again.
    const backedOff = new Set<string>();
    let peerUp = true;
    const backOffOver = (handle: string) =>
      aws.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: aws.outbound.queueUrl, ReceiptHandle: handle, VisibilityTimeout: 0 })).catch(() => undefined);
    let failedDeliveries = 0;
    let batches = 0;
    let pumping = true;
    const pumpOnce = async (): Promise<void> => {
      const out = await aws.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: aws.outbound.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['All'] }),
      );
      const messages = out.Messages ?? [];
      if (messages.length === 0) return sleep(20);
      batches++;
      // A batch whose every record failed makes the handler throw (Powertools' full batch failure):
      // the event source then leaves every message on the queue, as for reported failures.
      const result = await handler({ Records: messages.map((m) => sqsRecord(m, aws.outbound.queueArn)) }, lambdaContext()).catch(() => ({
        batchItemFailures: messages.map((m) => ({ itemIdentifier: m.MessageId ?? '' })),
      }));
      const failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
      failedDeliveries += failed.size;
      for (const m of messages.filter((x) => failed.has(x.MessageId ?? ''))) {
        if (peerUp) await backOffOver(m.ReceiptHandle ?? '');
        else backedOff.add(m.ReceiptHandle ?? '');
      }
      const done = messages.filter((m) => !failed.has(m.MessageId ?? ''));
      if (done.length > 0) {
        await aws.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: aws.outbound.queueUrl,
            Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
          }),
        );
      }
    };
    const pump = (async () => {
      while (pumping) await pumpOnce();
    })();
    let storedAtKill = 0;
    let waitingAtKill = 0;
    let failedWhileDown = 0;
    try {
      // Killed in the middle of the second batch: after 10 mails were stored, while at least one
      // more has ended its DATA and waits for its 250 (the sender cannot know whether it was taken).
      await until('a session between DATA and 250 after 10 stored mails', () => {
        const stored = peer.received().length;
        return stored >= 10 && peer.eventCount('data-ended') > stored;
      });
      storedAtKill = peer.received().length;
      waitingAtKill = peer.eventCount('data-ended') - storedAtKill;
      peerUp = false;
      await peer.kill();
      await sleep(1000);
      await peer.restart();
      peerUp = true;
      failedWhileDown = failedDeliveries;
      for (const handle of backedOff) await backOffOver(handle);
      await until(
        'every reply to end',
        async () => {
          const records = await Promise.all(replies.map((r) => outboundRecord(r.messageId)));
          return records.every((r) => r?.state === 'sent' || r?.state === 'failed');
        },
        20_000,
      );
    } finally {
      pumping = false;
      await pump;
      ses.destroy();
    }

    // Assert
    const received = peer.received();
    const uniqueIds = new Set(received.map((r) => r.messageId));
    const sent: string[] = [];
    const failed: { id: string; reason: string }[] = [];
    for (const reply of replies) {
      const record = (await outboundRecord(reply.messageId)) ?? never();
      const stored = await queueDeps.history.getOutbound(reply);
      if (record.state === 'sent') {
        sent.push(reply.internetMessageId ?? never());
        expect(stored.status).toBe('sent');
        expect(stored.threadIds).toContain(reply.internetMessageId);
      } else {
        failed.push({ id: reply.messageId, reason: record.error?.reason ?? '' });
        expect(stored.status).toBe('failed');
        expect(stored.statusReason ?? '').not.toBe('');
      }
    }
    expect(storedAtKill).toBeLessThan(count);
    expect(waitingAtKill).toBeGreaterThan(0);
    expect(failedWhileDown).toBeGreaterThan(0);
    expect(sent.length + failed.length).toBe(count);
    expect(failed.filter((f) => f.reason === '')).toEqual([]);
    expect([...uniqueIds].sort()).toEqual([...sent].sort());
    const queue = await aws.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: aws.outbound.queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    expect(queue.Attributes).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
    expect(await aws.drain(aws.outbound.deadLetterQueueUrl)).toHaveLength(0);

    console.info(
      JSON.stringify({
        test: 'smtp peer kill',
        ms: Date.now() - began,
        replies: count,
        storedAtKill,
        waitingAtKill,
        failedDeliveries,
        batches,
        sent: sent.length,
        failed,
        peerReceipts: received.length,
        peerDuplicates: received.length - uniqueIds.size,
        peerLives: new Set(received.map((r) => r.pid)).size,
      }),
    );
  }, 30_000);
});

async function outboundRecord(messageId: string): Promise<OutboundRecord | undefined> {
  const out = await aws.db.send(new GetCommand({ TableName: aws.tableName, Key: { pk: `OUTBOUND#${messageId}`, sk: 'OUTBOUND' }, ConsistentRead: true }));
  return out.Item as OutboundRecord | undefined;
}

/** A received SQS message as Lambda's event source hands it to the function. */
function sqsRecord(message: Message, queueArn: string): SQSRecord {
  const a = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
      SentTimestamp: a.SentTimestamp ?? String(Date.now()),
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...(a.MessageGroupId ? { MessageGroupId: a.MessageGroupId } : {}),
      ...(a.MessageDeduplicationId ? { MessageDeduplicationId: a.MessageDeduplicationId } : {}),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: LOCAL_REGION,
  };
}

function lambdaContext(): Context {
  return {
    functionName: 'postroom-outbound-faults',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:postroom-outbound-faults',
    memoryLimitInMB: '512',
    awsRequestId: `req-${Date.now()}`,
    logGroupName: '/aws/lambda/postroom-outbound-faults',
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
