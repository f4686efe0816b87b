import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoChannelDirectory } from '../../functions/adapters/dynamo-channel-directory.ts';
import { DynamoConversationAdmin } from '../../functions/adapters/dynamo-conversation-admin.ts';
import { DynamoCredentialStore } from '../../functions/adapters/dynamo-credential-store.ts';
import { EncryptionSdkSecretCipher, localKeyring } from '../../functions/adapters/outbound/encryption-sdk-secret-cipher.ts';
import { ValidationError } from '../../functions/core/errors.ts';
import { receiveMail, type ReceiveOutcome } from '../../functions/core/inbound/receive-mail.ts';
import { ChannelSettingsSchema } from '../../functions/core/model/channel.ts';
import { secretEndpointKey } from '../../functions/core/model/channel-credentials.ts';
import type { InboundMail } from '../../functions/core/model/inbound-record.ts';
import { RoutedMessageSchema } from '../../functions/core/model/routed-message.ts';
import { PostroomConfigSchema, type PostroomConfig } from '../../functions/core/model/postroom-config.ts';
import type { InboundStoredMessage } from '../../functions/core/model/stored-message.ts';
import { queueReply } from '../../functions/core/outbound/compose/queue-reply.ts';
import { pollSource } from '../../functions/core/sources/poll-source.ts';
import { dovecotInstalled } from '../../functions/local/dovecot.ts';
import { startSandbox, type Sandbox } from '../../functions/local/sandbox.ts';
import { createQueueReplyDeps } from '../../functions/runtime/queue-reply-deps.ts';
import { sourceAdapters } from '../../functions/runtime/source-deps.ts';
import { startDovecot, type Dovecot } from '../support/dovecot.ts';
import { TestClock, customerMail, inboundDeps, inboundMail } from '../support/inbound-deps.ts';
import { EXAMPLE_CONFIG, startSeededLocalAws, type LocalAws } from '../support/local-aws.ts';
import { sendToSandbox } from '../support/sandbox.ts';

/*
 * 9. Spoofing and loops, against the real adapters on dynalite and fauxqs (and dovecot, and two
 * sandboxes). `test/integration/receive-mail-follow-ups.test.ts` already covers the seen forgery
 * (the customer's From, SPF fail, no DMARC record, the ticket number and an attacker's Reply-To)
 * and the customer's own authenticated follow-up; `receive-mail-outcomes.test.ts` that a
 * DMARC-failed reply adds no participants. This file covers the rest: a stranger who is
 * authenticated as themselves, the reply token, DMARC fail despite aligned passes, verdicts that
 * prove nothing, forged verdicts in a mailbox, where the answers go afterwards, acknowledgement
 * loops between two deployments, and mail from our own addresses.
 */

// The support channel acknowledges new conversations, so "answered automatically" is observable.
const config: PostroomConfig = PostroomConfigSchema.parse({
  ...EXAMPLE_CONFIG,
  channels: EXAMPLE_CONFIG.channels.map((c) => (c.id === 'support' ? { ...c, acknowledgement: { enabled: true } } : c)),
});

const PASS: InboundMail['verdicts'] = { spamVerdict: 'PASS', virusVerdict: 'PASS', spfVerdict: 'PASS', dkimVerdict: 'PASS', dmarcVerdict: 'PASS' };

let aws: LocalAws;
let n = 0;
const sesId = (label: string): string => `${label}-${++n}-0100018d`;

beforeAll(async () => {
  aws = await startSeededLocalAws(config);
});

afterAll(async () => {
  await aws?.stop();
});

type Done = Exclude<ReceiveOutcome, { status: 'failed' }>;

async function deliver(raw: string, label: string, mail: Partial<InboundMail> = {}): Promise<Done> {
  const id = sesId(label);
  await aws.putRaw(inboundMail(id).rawKey, raw);
  const outcome = await receiveMail(inboundDeps(aws, new TestClock()), { ...inboundMail(id), envelopeSender: 'carla@customer.example', ...mail });
  if (outcome.status === 'failed') throw new Error(`mail ${label} failed: ${outcome.error.reason}`);
  return outcome;
}

const withHeaders = (raw: string, ...headers: string[]): string => raw.replace('MIME-Version', `${headers.join('\r\n')}\r\nMIME-Version`);

async function conversation(id: string) {
  const admin = new DynamoConversationAdmin(aws.db, aws.tableName);
  return { summary: await admin.get(id), messages: (await admin.messages(id)) as InboundStoredMessage[] };
}

async function conversationItem(id: string): Promise<{ ticketNumber: string; replyToken: string }> {
  const out = await aws.db.send(new GetCommand({ TableName: aws.tableName, Key: { pk: `CONV#${id}`, sk: 'CONV' }, ConsistentRead: true }));
  return { ticketNumber: String(out.Item?.ticketNumber), replyToken: String(out.Item?.replyToken) };
}

/** An agent's answer, queued as the admin API queues it: whom it is addressed to (To, then Cc). */
async function answer(conversationId: string): Promise<string[]> {
  const { db, s3, sqs, tableName, bucket } = aws;
  const deps = createQueueReplyDeps({ db, s3, sqs, tableName, bucket, outboundQueueUrl: aws.outbound.queueUrl });
  const queued = await queueReply(deps, { conversationId, agentId: 'agent-1', text: 'Here is your refund code: R-4711.' });
  return [...queued.to, ...queued.cc].map((a) => a.address);
}

/** Carla's conversation on the support channel, with its ticket number and reply token. */
async function carlasConversation(label: string) {
  const opened = await deliver(customerMail({ messageId: `${sesId(label)}@customer.example`, subject: `Refund for order ${n}` }), label);
  const id = opened.conversationId ?? '';
  await aws.drain(aws.queueUrls.support ?? '');
  await aws.drain(aws.outbound.queueUrl);
  return { id, ...(await conversationItem(id)) };
}

/** Asserts Carla's conversation still holds only her mail and only her. */
async function untouched(id: string): Promise<void> {
  const { summary, messages } = await conversation(id);
  expect(messages.filter((m) => m.direction === 'inbound')).toHaveLength(1);
  expect(summary?.participants).toEqual(['carla@customer.example']);
}

describe('follow-ups: who may join a conversation by ticket number or reply token', () => {
  it('a stranger, authenticated as themselves, with the right ticket number opens a new conversation, linked and flagged, and gets none of Carla’s answers', async () => {
    // Arrange
    const carla = await carlasConversation('a');
    const mail = withHeaders(
      customerMail({
        messageId: `${sesId('s')}@stranger.example`,
        from: 'Sam Stranger <sam@stranger.example>',
        subject: `Re: Refund [#${carla.ticketNumber}]`,
      }),
      'Cc: carla@customer.example',
    );
    // Act
    const outcome = await deliver(mail, 'stranger', { verdicts: PASS, envelopeSender: 'sam@stranger.example' });
    const stranger = await conversation(outcome.conversationId ?? '');
    const toStranger = await answer(outcome.conversationId ?? '');
    const toCarla = await answer(carla.id);
    // Assert
    expect(outcome.conversationId).not.toBe(carla.id);
    expect(outcome.tags).toEqual(expect.arrayContaining(['ticket-number-from-non-participant']));
    expect(outcome.acknowledgement?.skipped).not.toBeNull();
    expect(stranger.messages[0]?.thread).toMatchObject({ rule: 'new-conversation', linkedConversationId: carla.id });
    // A flagged mail adds its From address only: its Cc cannot pull Carla into the stranger's conversation.
    expect(stranger.summary?.participants).toEqual(['sam@stranger.example']);
    expect(toStranger).toEqual(['sam@stranger.example']);
    expect(toCarla).toEqual(['carla@customer.example']);
    await untouched(carla.id);
  });

  it('a stranger who got hold of Carla’s reply token (the Reply-To of our answer) opens a new conversation, flagged', async () => {
    // Arrange
    const carla = await carlasConversation('b');
    const mail = customerMail({
      messageId: `${sesId('t')}@stranger.example`,
      from: 'sam@stranger.example',
      subject: 'Re: Refund',
      to: `support+${carla.replyToken}@example.com`,
    });
    // Act
    const outcome = await deliver(mail, 'token', {
      verdicts: PASS,
      envelopeSender: 'sam@stranger.example',
      recipients: [`support+${carla.replyToken}@example.com`],
    });
    // Assert
    expect(outcome.conversationId).not.toBe(carla.id);
    expect(outcome.tags).toEqual(expect.arrayContaining(['reply-token-from-non-participant']));
    expect((await conversation(outcome.conversationId ?? '')).messages[0]?.thread).toMatchObject({ linkedConversationId: carla.id });
    await untouched(carla.id);
  });

  it('a DMARC-failing mail in Carla’s name joins by neither ticket number nor reply token, even with SPF and DKIM passing aligned, adds nobody, and its Reply-To draws no answer', async () => {
    // Arrange: the domain's owner says this mail is not theirs; SES still reports aligned passes
    const carla = await carlasConversation('c');
    const failing = { ...PASS, dmarcVerdict: 'FAIL', dmarcPolicy: 'NONE' } as const;
    const byTicket = withHeaders(
      customerMail({ messageId: `${sesId('f')}@customer.example`, subject: `Re: Refund [#${carla.ticketNumber}]` }),
      'Reply-To: mallory@evil.example',
      'Cc: eve@evil.example',
    );
    const byToken = withHeaders(
      customerMail({ messageId: `${sesId('g')}@customer.example`, subject: 'Re: Refund', to: `support+${carla.replyToken}@example.com` }),
      'Reply-To: mallory@evil.example',
    );
    // Act
    const ticket = await deliver(byTicket, 'dmarc-ticket', { verdicts: failing });
    const token = await deliver(byToken, 'dmarc-token', { verdicts: failing, recipients: [`support+${carla.replyToken}@example.com`] });
    const answers = [await answer(ticket.conversationId ?? ''), await answer(token.conversationId ?? '')];
    // Assert
    for (const outcome of [ticket, token]) {
      expect(outcome.conversationId).not.toBe(carla.id);
      expect(outcome.tags).toEqual(expect.arrayContaining(['dmarc-fail', 'unauthenticated-follow-up']));
      expect(outcome.acknowledgement?.skipped).not.toBeNull();
      expect((await conversation(outcome.conversationId ?? '')).summary?.participants).toEqual([]);
    }
    expect(answers.flat()).not.toContain('mallory@evil.example');
    expect(answers.flat()).not.toContain('eve@evil.example');
    await untouched(carla.id);
  });

  it('proves nothing from verdicts that do not prove the From domain: scanning disabled, an unaligned SPF pass, a DKIM pass beside another domain’s signature', async () => {
    // Arrange
    const carla = await carlasConversation('d');
    const followUp = (label: string, ...headers: string[]) =>
      withHeaders(
        customerMail({ messageId: `${sesId(label)}@customer.example`, subject: `Re: Refund [#${carla.ticketNumber}]` }),
        'Reply-To: mallory@evil.example',
        ...headers,
      );
    const gray = { spamVerdict: 'PASS', virusVerdict: 'PASS', spfVerdict: 'GRAY', dkimVerdict: 'GRAY', dmarcVerdict: 'GRAY' } as const;
    const disabled = { spamVerdict: 'DISABLED', virusVerdict: 'DISABLED', spfVerdict: 'DISABLED', dkimVerdict: 'DISABLED', dmarcVerdict: 'DISABLED' } as const;
    const signatures = [
      'DKIM-Signature: v=1; a=rsa-sha256; d=evil.example; s=s1; h=from:subject; bh=AAAA; b=BBBB',
      'DKIM-Signature: v=1; a=rsa-sha256; d=customer.example; s=s1; h=from:subject; bh=CCCC; b=DDDD',
    ];
    // Act
    const outcomes = [
      await deliver(followUp('scan-off'), 'scan-off', { verdicts: disabled }),
      await deliver(followUp('spf-unaligned'), 'spf-unaligned', { verdicts: { ...gray, spfVerdict: 'PASS' }, envelopeSender: 'bounce@evil.example' }),
      await deliver(followUp('dkim-mixed', ...signatures), 'dkim-mixed', { verdicts: { ...gray, dkimVerdict: 'PASS' }, envelopeSender: 'bounce@evil.example' }),
    ];
    // Assert
    for (const outcome of outcomes) {
      expect(outcome.conversationId).not.toBe(carla.id);
      expect(outcome.tags).toEqual(expect.arrayContaining(['unauthenticated-sender', 'unauthenticated-follow-up', 'reply-to-differs']));
      expect(outcome.acknowledgement?.skipped).not.toBeNull();
      expect(await answer(outcome.conversationId ?? '')).toEqual(['carla@customer.example']);
    }
    await untouched(carla.id);
  });

  it('a forged reply that knows our Message-ID joins (headers thread), but its Reply-To and Cc neither become participants nor draw the answer', async () => {
    // Arrange: the answer Carla got, whose Message-ID the forger saw (forwarded, or on Cc)
    const carla = await carlasConversation('e');
    const question = (await conversation(carla.id)).messages[0]?.internetMessageId ?? '';
    const forged = withHeaders(
      customerMail({ messageId: `${sesId('h')}@evil.example`, inReplyTo: question, subject: 'Re: Refund, new bank account' }),
      'Reply-To: mallory@evil.example',
      'Cc: eve@evil.example',
    );
    // Act
    const outcome = await deliver(forged, 'forged-reply', {
      verdicts: { ...PASS, spfVerdict: 'FAIL', dkimVerdict: 'GRAY', dmarcVerdict: 'GRAY' },
      envelopeSender: 'bounce@evil.example',
    });
    const to = await answer(carla.id);
    // Assert
    expect(outcome.conversationId).toBe(carla.id);
    expect(outcome.tags).toEqual(expect.arrayContaining(['unauthenticated-sender', 'reply-to-differs']));
    expect((await conversation(carla.id)).summary?.participants).toEqual(['carla@customer.example']);
    expect(to).toEqual(['carla@customer.example']);
  });
});

describe.skipIf(!dovecotInstalled())('follow-ups read from a mailbox (IMAP on dovecot)', () => {
  let dovecot: Dovecot;
  let keyDir: string;

  beforeAll(async () => {
    dovecot = await startDovecot({ users: [{ user: 'shop@mail.example.org', password: 'shop-pass-1' }] });
    keyDir = await mkdtemp(join(tmpdir(), 'postroom-spoof-'));
  });
  afterAll(async () => {
    await dovecot?.stop();
    if (keyDir) await rm(keyDir, { recursive: true, force: true });
  });

  it('a stranger’s mail in Carla’s name that brings its own Authentication-Results (dmarc=pass) does not join by ticket number', async () => {
    // Arrange: a channel reading a mailbox whose server, like most, writes no Authentication-Results of its own.
    // docs/sources.md: without the provider's header nothing counts as proven, so a ticket number joins nothing.
    const cipher = new EncryptionSdkSecretCipher(await localKeyring(join(keyDir, 'local.key')));
    const channel = ChannelSettingsSchema.parse({
      id: 'shop',
      address: 'shop@mail.example.org',
      defaultSkill: 'support',
      source: {
        type: 'imap',
        host: '127.0.0.1',
        port: dovecot.ports.imap,
        security: 'none',
        user: 'shop@mail.example.org',
        auth: 'password',
        initialSync: 'skip',
      },
    });
    await new DynamoChannelDirectory(aws.db, aws.tableName, { clock: { now: () => new Date() }, cacheMs: 0 }).put(channel);
    const secret = await cipher.encrypt('shop-pass-1', {
      channelId: channel.id,
      purpose: 'source-password',
      endpoint: secretEndpointKey(channel, 'source-password'),
    });
    await new DynamoCredentialStore(aws.db, aws.tableName).putSecret(channel.id, 'sourcePassword', secret, new Date().toISOString());
    const deps = sourceAdapters({ db: aws.db, s3: aws.s3, sqs: aws.sqs }, inboundDeps(aws, new TestClock()), {
      tableName: aws.tableName,
      bucket: aws.bucket,
      cipher,
      allow: { loopback: true },
    });
    await pollSource(deps, channel);
    await aws.drain(aws.queueUrls.support ?? '');
    const pointers = async () => (await aws.drain(aws.queueUrls.support ?? '')).map((m) => RoutedMessageSchema.parse(JSON.parse(m.Body ?? '')));
    const genuine =
      'Authentication-Results: mx.mail.example.org; spf=pass smtp.mailfrom=customer.example; dkim=pass header.d=customer.example; dmarc=pass header.from=customer.example';
    await dovecot.deliver(
      'shop@mail.example.org',
      withHeaders(customerMail({ messageId: 'shop-q@customer.example', subject: 'Where is my parcel?', to: channel.address }), genuine),
    );
    await pollSource(deps, channel);
    const original = (await pointers())[0]?.conversationId ?? '';
    const { ticketNumber } = await conversationItem(original);
    // The forger writes the verdicts they would like to have had.
    const forgedVerdicts = 'Authentication-Results: mx.mail.example.org; spf=pass smtp.mailfrom=customer.example; dmarc=pass header.from=customer.example';
    const forged = withHeaders(
      customerMail({ messageId: 'shop-f@evil.example', subject: `Re: Where is my parcel? [#${ticketNumber}]`, to: channel.address }),
      forgedVerdicts,
      'Reply-To: mallory@evil.example',
    );
    // Act
    await dovecot.deliver('shop@mail.example.org', forged);
    const polled = await pollSource(deps, channel);
    const [routed] = await pointers();
    // Assert
    expect(original).not.toBe('');
    expect(polled.items.map((i) => i.outcome)).toEqual(['routed']);
    expect(routed?.conversationId, 'the forged mail joined Carla’s conversation').not.toBe(original);
    expect(routed?.tags).toEqual(expect.arrayContaining(['unauthenticated-follow-up']));
  });
});

describe('mail from our own addresses', () => {
  async function fromOurs(from: string, label: string) {
    const outcome = await deliver(
      customerMail({ messageId: `${sesId(label)}@example.com`, from: `Example <${from}>`, subject: `Printer broken (${label})` }),
      label,
      {
        verdicts: PASS,
        envelopeSender: from.toLowerCase(),
      },
    );
    const { summary } = await conversation(outcome.conversationId ?? '');
    const answered = await answer(outcome.conversationId ?? '').catch((error: unknown) => error);
    await aws.drain(aws.queueUrls.support ?? '');
    return { outcome, participants: summary?.participants, answered };
  }

  it.each([
    ['the channel address', 'support@example.com'],
    ['an alias, in another case', 'Help@Example.com'],
    ['a +token form', 'support+1a2b3c@example.com'],
  ])('is never taken for a customer: %s is not a participant, not acknowledged, not answered', async (_what, from) => {
    // Act: a forgery in our name, or a mail of ours come back
    const result = await fromOurs(from, `own-${from.split('@')[0]}`);
    // Assert
    expect(result.outcome.acknowledgement).toMatchObject({ skipped: 'own-address', job: null });
    expect(result.participants).toEqual([]);
    expect(result.answered, 'an answer to our own address was queued').toBeInstanceOf(ValidationError);
  });

  it('never acknowledges mail from another channel of the same deployment, so two of our own channels cannot start a loop', async () => {
    // Act
    const result = await fromOurs('billing@example.com', 'own-billing');
    // Assert
    expect(result.outcome.acknowledgement).toMatchObject({ skipped: 'own-address', job: null });
  });
});

/** Two independent deployments (sandboxes), each with channels that acknowledge every new conversation. */
describe('acknowledgement loops between two deployments', () => {
  const loopConfig = (domain: string, locals: readonly string[]) =>
    PostroomConfigSchema.parse({
      domains: [domain],
      skills: ['support'],
      channels: locals.map((local) => ({
        id: local,
        address: `${local}@${domain}`,
        name: `${local} at ${domain}`,
        defaultSkill: 'support',
        acknowledgement: { enabled: true },
      })),
    });
  let a: Sandbox;
  let b: Sandbox;

  beforeAll(async () => {
    [a, b] = await Promise.all([
      startSandbox({
        config: loopConfig('a.example', ['support', 'sales']),
        smtpPort: 0,
        outboxSmtpPort: 0,
        apiPort: null,
        logLevel: 'SILENT',
        stateFile: null,
      }),
      startSandbox({ config: loopConfig('b.example', ['help', 'orders']), smtpPort: 0, outboxSmtpPort: 0, apiPort: null, logLevel: 'SILENT', stateFile: null }),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  /**
   * Carries every mail either side sends to the other, as the internet would, until nothing new
   * is sent for two seconds or `limit` mails crossed; `strip` plays a relay that removes every
   * automatic and threading mark. Returns the mails that crossed, with the side that sent each.
   */
  async function relay(opening: { to: Sandbox; raw: string }, strip: boolean, limit = 12): Promise<{ sender: 'a' | 'b'; raw: string }[]> {
    const crossed: { sender: 'a' | 'b'; raw: string }[] = [];
    const seen = new Set<string>();
    const deliverTo = async (target: Sandbox, raw: string) => {
      const mail = await simpleParser(raw);
      const from = mail.from?.value[0]?.address ?? '';
      const ownAddresses = new Set(target.info.channels.flatMap((c) => c.addresses));
      const to = [mail.to ?? []]
        .flat()
        .flatMap((t) => t.value.map((v) => v.address ?? ''))
        .filter((x) => ownAddresses.has(x.replace(/\+[^@]*@/, '@')));
      const stripped = strip
        ? raw.replace(/^(Auto-Submitted|X-Auto-Response-Suppress|Precedence|In-Reply-To|References|X-Loop):.*\r?\n(?:[ \t].*\r?\n)*/gim, '')
        : raw;
      await sendToSandbox(target.info, { envelope: { from, to }, raw: stripped });
    };
    const outboxMails = async (side: Sandbox) => (await readdir(side.info.outbox)).filter((f) => f.endsWith('.eml')).map((f) => join(side.info.outbox, f));
    for (const file of [...(await outboxMails(a)), ...(await outboxMails(b))]) seen.add(file);
    await deliverTo(opening.to, opening.raw);
    let quietSince = Date.now();
    while (Date.now() - quietSince < 2000 && crossed.length < limit) {
      for (const [sender, from, to] of [
        ['a', a, b],
        ['b', b, a],
      ] as const) {
        for (const file of await outboxMails(from)) {
          if (seen.has(file)) continue;
          seen.add(file);
          const raw = await readFile(file, 'utf8');
          crossed.push({ sender, raw });
          await deliverTo(to, raw);
          quietSince = Date.now();
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    return crossed;
  }

  const opening = (from: string, to: string, id: string) =>
    [
      `From: ${from}`,
      `To: ${to}`,
      'Subject: Your order 4711',
      `Message-ID: <${id}>`,
      'Date: Mon, 07 Dec 2026 10:00:00 +0000',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Hello, a question about your order.',
      '',
    ].join('\r\n');

  it('stop after one exchange: B acknowledges A’s mail once, and A takes the acknowledgement for automatic mail', async () => {
    // Act
    const crossed = await relay({ to: b, raw: opening('Support A <support@a.example>', 'help@b.example', 'open-1@a.example') }, false);
    // Assert
    expect(crossed.map((c) => c.sender)).toEqual(['b']);
    expect(crossed[0]?.raw).toMatch(/^Auto-Submitted: auto-replied/im);
  }, 60_000);

  it('stop too when a relay strips every automatic and threading header: each side acknowledges the other at most once', async () => {
    // Act
    const crossed = await relay({ to: b, raw: opening('Sales A <sales@a.example>', 'orders@b.example', 'open-2@a.example') }, true);
    // Assert
    expect(crossed.filter((c) => c.sender === 'b')).toHaveLength(1);
    expect(crossed.filter((c) => c.sender === 'a').length).toBeLessThanOrEqual(1);
    expect(crossed.every((c) => /^Auto-Submitted: auto-replied/im.test(c.raw))).toBe(true);
  }, 60_000);
});
