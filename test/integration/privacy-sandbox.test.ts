import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { unzipSync } from 'fflate';
import { simpleParser } from 'mailparser';
import type { SendMailOptions } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoErasureStore } from '../../functions/adapters/dynamo-erasure-store.ts';
import { replyInSandbox } from '../../functions/cli/reply.ts';
import { decodeEncodedWords } from '../../functions/core/governance/address-match.ts';
import { PostroomConfigSchema } from '../../functions/core/model/postroom-config.ts';
import type { RoutedMessage } from '../../functions/core/model/routed-message.ts';
import type { StoredMessage } from '../../functions/core/model/stored-message.ts';
import { startSandbox, type Sandbox } from '../../functions/local/sandbox.ts';
import { sandboxClients } from '../../functions/cli/sandbox-clients.ts';
import { sendToSandbox, takeFromSandbox } from '../support/sandbox.ts';

// Two customers in one conversation, one of them alone in two more (one under a legal hold);
// the whole way through the sandbox: SMTP in, the real inbound handler, the send path, the API.
const ALICE = 'alice@customer.example';
const ALICE_NAME = 'Alice Exämple';
const BOB = 'bob@customer.example';
const config = PostroomConfigSchema.parse({
  domains: ['example.test'],
  skills: ['support'],
  channels: [{ id: 'support', address: 'support@example.test', name: 'Example Support', defaultSkill: 'support', acknowledgement: { enabled: true } }],
  users: [
    { id: 'admin', role: 'admin', displayName: 'Ada Admin' },
    { id: 'agent-1', role: 'agent', displayName: 'Alex Agent', skills: ['support'] },
  ],
});

let sandbox: Sandbox;
let clients: ReturnType<typeof sandboxClients>;

beforeAll(async () => {
  sandbox = await startSandbox({ config, smtpPort: 0, outboxSmtpPort: 0, apiPort: 0, logLevel: 'SILENT', stateFile: null });
  clients = sandboxClients(sandbox.info);
});

afterAll(async () => {
  clients?.destroy();
  await sandbox?.stop();
});

const send = (mail: SendMailOptions) => sendToSandbox(sandbox.info, mail);

async function take(): Promise<RoutedMessage> {
  for (let i = 0; i < 50; i++) {
    const [pointer] = await takeFromSandbox(sandbox.info);
    if (pointer) return pointer;
    await sleep(100);
  }
  throw new Error('nothing was routed');
}

const reply = (conversationId: string, text: string, cc: string[] = []) =>
  replyInSandbox(sandbox.info, { conversationId, agentId: 'agent-1', text, html: null, cc, attachments: [], wait: true });

async function api(method: string, path: string, body?: unknown, user = 'admin'): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${sandbox.info.adminApi?.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${sandbox.tokens[user]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Polls a job until it is done (or failed). */
async function finished(kind: 'exports' | 'erasures', id: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 300; i++) {
    const { status, body } = await api('GET', `/privacy/${kind}/${id}`);
    expect(status).toBe(200);
    if (body.status === 'done' || body.status === 'failed') return body;
    await sleep(100);
  }
  throw new Error(`${kind} ${id} did not finish`);
}

/** Waits until no message we send is still queued (acknowledgements and replies have left). */
async function settled(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const queued = (await allItems(sandbox.info.table)).filter((item) => item.direction === 'outbound' && item.status === 'queued');
    if (queued.length === 0) return;
    await sleep(100);
  }
  throw new Error('outbound mail is still queued');
}

async function allItems(table: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await clients.db.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

async function allObjects(): Promise<{ key: string; bytes: Buffer }[]> {
  const objects: { key: string; bytes: Buffer }[] = [];
  let token: string | undefined;
  do {
    const out = await clients.s3.send(new ListObjectsV2Command({ Bucket: sandbox.info.bucket, ContinuationToken: token }));
    for (const o of out.Contents ?? []) {
      if (!o.Key) continue;
      const got = await clients.s3.send(new GetObjectCommand({ Bucket: sandbox.info.bucket, Key: o.Key }));
      objects.push({ key: o.Key, bytes: Buffer.from((await got.Body?.transformToByteArray()) ?? new Uint8Array()) });
    }
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  return objects;
}

const asText = (value: unknown) => JSON.stringify(value, (_k, v: unknown) => (v instanceof Set ? [...v] : v));

/** Every way the address or the display name could still be held: as stored, decoded from encoded words, and as mailparser reads a mail. */
async function readings(bytes: Buffer): Promise<string[]> {
  const latin1 = bytes.toString('latin1');
  const out = [latin1, bytes.toString('utf8'), decodeEncodedWords(latin1)];
  if (/^[\x21-\x39\x3b-\x7e]+:/m.test(latin1.slice(0, 2000))) {
    const parsed = await simpleParser(bytes).catch(() => null);
    if (parsed) {
      out.push(asText([...parsed.headers.entries()]), parsed.text ?? '', String(parsed.html || ''), parsed.subject ?? '');
      out.push(...parsed.attachments.map((a) => a.content.toString('utf8')));
    }
  }
  return out;
}

const NEEDLES = [ALICE, ALICE_NAME.toLowerCase(), 'alice%40customer.example', 'alice&#64;customer.example'];

/** Where the address (any case, any form above) or the name is still found, outside what `held` says is under the hold. */
async function leftovers(held: (item: Record<string, unknown>) => boolean, heldKeys: ReadonlySet<string>): Promise<string[]> {
  const found: string[] = [];
  for (const table of [sandbox.info.table, sandbox.info.auditTable ?? '']) {
    for (const item of await allItems(table)) {
      if (table === sandbox.info.table && held(item)) continue;
      const text = decodeEncodedWords(asText(item)).toLowerCase();
      for (const needle of NEEDLES) if (text.includes(needle)) found.push(`${table}: ${String(item.pk)} ${String(item.sk)} holds ${needle}`);
    }
  }
  for (const { key, bytes } of await allObjects()) {
    if (heldKeys.has(key)) continue;
    for (const reading of await readings(bytes)) {
      const text = reading.toLowerCase();
      for (const needle of NEEDLES) if (text.includes(needle)) found.push(`s3: ${key} holds ${needle}`);
    }
  }
  return [...new Set(found)];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("a person's data, exported and erased (ADM-2)", () => {
  it("exports what was sent and received, erases it everywhere but under a legal hold, keeps the other customer's messages, and never mails the address again", {
    timeout: 120_000,
  }, async () => {
    // Arrange: Alice writes; the agent answers Alice and Bob; Bob answers with Alice in Cc, then once more without her.
    await send({
      from: { name: ALICE_NAME, address: ALICE },
      to: 'support@example.test',
      subject: 'Parcel 4711 missing',
      messageId: '<q1.alice@customer.example>',
      text: `Where is my parcel 4711? Call me back.\n\n${ALICE_NAME}`,
      attachments: [{ filename: 'receipt.txt', content: `Receipt of ${ALICE}` }],
    });
    const first = await take();
    const shared = first.conversationId;
    const answer = await reply(shared, `Dear ${ALICE_NAME} and Bob, the parcel left our warehouse today.`, [BOB]);
    expect(answer.status).toBe('sent');
    const answerId = `<${answer.threadIds[0]}>`;
    await send({
      from: { name: 'Bob Buyer', address: BOB },
      to: 'support@example.test',
      cc: { name: ALICE_NAME, address: ALICE },
      subject: `Re: Parcel 4711 missing [#${first.ticketNumber}]`,
      messageId: '<b1@customer.example>',
      inReplyTo: answerId,
      references: ['<q1.alice@customer.example>', answerId],
      text: `Thanks, that works for me too.\n\nOn Mon, 7 Dec 2026, ${ALICE_NAME} <${ALICE}> wrote:\n> Where is my parcel 4711?`,
      html: `<p>Thanks, that works for me too.</p><blockquote>${ALICE_NAME} &lt;<a href="mailto:${ALICE}">${ALICE}</a>&gt; wrote: Where is my parcel?</blockquote>`,
    });
    const bobs = await take();
    await send({
      from: { name: 'Bob Buyer', address: BOB },
      to: 'support@example.test',
      subject: `Re: Parcel 4711 missing [#${first.ticketNumber}]`,
      messageId: '<b2@customer.example>',
      inReplyTo: answerId,
      text: 'One more question about the invoice.',
    });
    const bobAgain = await take();
    // Alice alone: a conversation answered, and one an admin put under a legal hold.
    await send({
      from: { name: ALICE_NAME, address: ALICE },
      to: 'support@example.test',
      subject: 'Invoice address',
      messageId: '<q2.alice@customer.example>',
      text: 'Please change my invoice address.',
    });
    const own = await take();
    const ownAnswer = await reply(own.conversationId, 'Done, the next invoice goes to the new address.');
    await send({
      from: { name: ALICE_NAME, address: ALICE },
      to: 'support@example.test',
      subject: 'Contract dispute',
      messageId: '<q3.alice@customer.example>',
      text: 'I dispute clause 7.',
    });
    const disputed = await take();
    await clients.db.send(
      new UpdateCommand({
        TableName: sandbox.info.table,
        Key: { pk: `CONV#${disputed.conversationId}`, sk: 'CONV' },
        UpdateExpression: 'SET legalHold = :hold',
        ExpressionAttributeValues: { ':hold': { since: new Date().toISOString(), by: 'admin', reason: 'litigation' } },
      }),
    );
    expect((await api('POST', `/conversations/${shared}/notes`, { text: `Called ${ALICE} back about the parcel.` })).status).toBe(201);
    expect((await api('POST', '/suppressions', { address: ALICE, detail: 'asked to stop marketing' })).status).toBe(201);
    await settled();
    expect(bobs.conversationId).toBe(shared);
    expect(bobAgain.conversationId).toBe(shared);
    expect(new Set([shared, own.conversationId, disputed.conversationId]).size).toBe(3);

    // Act 1: export
    const requested = await api('POST', '/privacy/exports', { address: 'Alice@Customer.Example' });
    const exported = await finished('exports', String(requested.body.id));
    const download = exported.download as { url: string; bytes: number };
    const zip = unzipSync(new Uint8Array(await (await fetch(download.url)).arrayBuffer()));
    const files = Object.keys(zip);
    const file = (pattern: RegExp) => files.filter((f) => pattern.test(f));
    const read = (path: string) => Buffer.from(zip[path] ?? new Uint8Array()).toString('utf8');

    // Assert 1: the archive against what was sent and received
    expect(exported.error).toBeNull();
    expect(requested).toMatchObject({ status: 202, body: { kind: 'export', status: 'queued', address: ALICE } });
    expect(exported).toMatchObject({ status: 'done', address: ALICE });
    const manifest = JSON.parse(read('manifest.json')) as { address: string; counts: Record<string, number>; files: { path: string }[] };
    expect(manifest.address).toBe(ALICE);
    expect(manifest.counts).toMatchObject({ conversations: 3, suppressions: 1 });
    expect(manifest.files.map((f) => f.path).sort()).toEqual(files.filter((f) => f !== 'manifest.json').sort());
    const messages = file(/^conversations\/.*\.json$/)
      .filter((f) => f.includes('/messages/'))
      .map((f) => JSON.parse(read(f)) as StoredMessage & { text: string | null });
    const texts = messages.map((m) => m.text ?? '').join('\n');
    expect(texts).toContain('Where is my parcel 4711? Call me back.');
    expect(texts).toContain('the parcel left our warehouse today');
    expect(texts).toContain('Thanks, that works for me too.');
    expect(texts).toContain('Please change my invoice address.');
    expect(texts).toContain('I dispute clause 7.');
    // Bob's own message that does not name Alice is Bob's data: not hers to get.
    expect(files.some((f) => read(f).includes('One more question'))).toBe(false);
    const raw = file(/\.eml$/).map((f) => zip[f] as Uint8Array);
    const parsed = await Promise.all(raw.map((r) => simpleParser(Buffer.from(r))));
    const q1 = parsed.find((p) => p.messageId === '<q1.alice@customer.example>');
    expect(q1?.subject).toBe('Parcel 4711 missing');
    expect(q1?.from?.value[0]).toMatchObject({ address: ALICE, name: ALICE_NAME });
    expect(parsed.find((p) => p.messageId === '<b1@customer.example>')?.text).toContain('works for me too');
    expect(file(/_attachments\/01_receipt\.txt$/).map(read)).toEqual([`Receipt of ${ALICE}`]);
    expect(JSON.parse(read('suppressions.json'))).toEqual([expect.objectContaining({ address: ALICE, reason: 'manual', detail: 'asked to stop marketing' })]);
    expect(JSON.parse(read('audit.json'))).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'suppression.add' })]));
    expect(read('records.json')).toContain('acknowledgement claim');
    expect(
      file(/notes\.json$/)
        .map(read)
        .join(''),
    ).toContain('Called');

    // Arrange 2: what is under the hold, as it stands
    const heldMessages =
      (await new DynamoErasureStore(clients.db, clients.s3, sandbox.info.table, sandbox.info.bucket).conversation(disputed.conversationId))?.messages ?? [];
    const heldSes = new Set(heldMessages.flatMap((m) => (m.direction === 'inbound' ? [m.sesMessageId] : [])));
    const heldRaw = new Set(heldMessages.flatMap((m) => (m.direction === 'inbound' ? [m.rawKey] : [])));
    const isHeld = (item: Record<string, unknown>) =>
      item.pk === `CONV#${disputed.conversationId}` || item.conversationId === disputed.conversationId || heldSes.has(String(item.pk).replace(/^INBOUND#/, ''));
    const heldBefore = await heldState(disputed.conversationId, heldRaw);

    // Act 2: erasure
    const erasure = await api('POST', '/privacy/erasures', { address: ALICE });
    const erased = await finished('erasures', String(erasure.body.id));

    // Assert 2: nothing of Alice left but under the hold; Bob's messages and text remain
    expect(erasure.status).toBe(202);
    expect(erased.error).toBeNull();
    expect(erased).toMatchObject({ status: 'done', address: null, heldConversations: [disputed.conversationId], download: null });
    expect(erased.counts).toMatchObject({
      conversationsDeleted: 1,
      conversationsRedacted: 1,
      hashedSuppressions: 1,
      suppressionEntriesDeleted: 1,
      auditEntriesRedacted: 1,
    });
    expect(await leftovers(isHeld, heldRaw)).toEqual([]);
    expect(await heldState(disputed.conversationId, heldRaw)).toEqual(heldBefore);
    await expectBobKept(shared);
    // The export archive held what was erased: it is gone, and so is its link.
    expect((await api('GET', `/privacy/exports/${String(requested.body.id)}`)).body).toMatchObject({ status: 'done', address: null, download: null });
    expect((await fetch(download.url)).status).toBe(404);
    const suppressions = await api('GET', '/suppressions');
    const hash = createHash('sha256').update(ALICE).digest('hex');
    expect(suppressions.body.items).toEqual([
      expect.objectContaining({ address: `sha256:${hash}`, reason: 'erasure', hashed: true, scope: { kind: 'account' } }),
    ]);
    const audit = (await api('GET', '/audit?limit=100')).body.items as { action: string; resource: { id: string }; actor: { id: string }; fields: string[] }[];
    const record = audit.find((e) => e.action === 'privacy.erasure.done');
    expect(record).toMatchObject({ resource: { id: erasure.body.id }, actor: { id: 'admin' } });
    expect(record?.fields).toEqual(expect.arrayContaining(['conversationsDeleted=1', 'heldConversations=1']));

    // Act 3: the same erasure again
    const again = await finished('erasures', String((await api('POST', '/privacy/erasures', { address: ALICE })).body.id));

    // Assert 3: harmless
    expect(again).toMatchObject({ status: 'done', heldConversations: [disputed.conversationId] });
    expect(again.counts).not.toHaveProperty('conversationsDeleted');
    expect(again.counts).not.toHaveProperty('messagesErased');
    expect(await leftovers(isHeld, heldRaw)).toEqual([]);
    await expectBobKept(shared);

    // Act 4: Alice writes again, answering the mail she got before the erasure
    const before = (await readdir(sandbox.info.outbox)).length;
    await send({
      from: { name: ALICE_NAME, address: ALICE },
      to: 'support@example.test',
      subject: 'Hello again',
      messageId: '<q4.alice@customer.example>',
      inReplyTo: `<${ownAnswer.threadIds[0]}>`,
      references: ['<q2.alice@customer.example>', `<${ownAnswer.threadIds[0]}>`],
      text: 'Me again.',
    });
    const later = await take();

    // Assert 4: a stranger's new conversation; no answer reaches her
    expect(later).toMatchObject({ isNewConversation: true, previousAgent: null });
    expect([shared, own.conversationId, disputed.conversationId]).not.toContain(later.conversationId);
    await expect(reply(later.conversationId, 'Welcome back.')).rejects.toThrow(/suppressed/);
    await settled();
    expect((await readdir(sandbox.info.outbox)).length).toBe(before);
    const ack = (await allItems(sandbox.info.table)).find(
      (i) => String(i.sk).startsWith('MSG#') && i.conversationId === later.conversationId && i.direction === 'inbound',
    );
    const record4 =
      (
        await clients.db.send(
          new QueryCommand({
            TableName: sandbox.info.table,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': `INBOUND#${String(ack?.sesMessageId)}` },
          }),
        )
      ).Items ?? [];
    expect(asText(record4)).toContain('"skipped":"suppressed"');
  });
});

/** Every item of the held conversation and its raw copies, byte for byte. */
async function heldState(conversationId: string, rawKeys: ReadonlySet<string>): Promise<unknown> {
  const items = (await allItems(sandbox.info.table)).filter((i) => i.pk === `CONV#${conversationId}` || i.conversationId === conversationId);
  const raws: Record<string, string> = {};
  for (const key of rawKeys) {
    const got = await clients.s3.send(new GetObjectCommand({ Bucket: sandbox.info.bucket, Key: key }));
    raws[key] = createHash('sha256')
      .update((await got.Body?.transformToByteArray()) ?? new Uint8Array())
      .digest('hex');
  }
  return { items: items.map(asText).sort(), raws };
}

/** Bob's two messages stand with their text, their raw copies read as his; Alice's messages there are stubs. */
async function expectBobKept(conversationId: string): Promise<void> {
  const store = new DynamoErasureStore(clients.db, clients.s3, sandbox.info.table, sandbox.info.bucket);
  const bundle = await store.conversation(conversationId);
  const messages = bundle?.messages ?? [];
  const fromBob = messages.filter((m) => m.from?.address === BOB);
  const previews = fromBob.map((m) => m.preview);
  expect(previews).toHaveLength(2);
  expect(previews.some((p) => p.includes('One more question'))).toBe(true);
  expect(previews.some((p) => p.includes('works for me too'))).toBe(true);
  for (const m of fromBob) {
    if (m.direction !== 'inbound') continue;
    const raw = await store.rawMail(m.rawKey);
    const parsed = await simpleParser(Buffer.from(raw ?? new Uint8Array()));
    expect(parsed.from?.value[0]?.address).toBe(BOB);
    expect(parsed.text).toMatch(/works for me too|One more question/);
  }
  expect(messages.filter((m) => m.subject === '[erased]').length).toBeGreaterThanOrEqual(2);
  expect(bundle?.conversation.participants).toEqual([BOB]);
  const item = await clients.db.send(new GetCommand({ TableName: sandbox.info.table, Key: { pk: `CONV#${conversationId}`, sk: 'CONV' } }));
  expect(item.Item).toBeDefined();
  const ours = messages.find((m) => m.direction === 'outbound' && m.purpose === 'reply');
  expect(ours?.preview).toContain('the parcel left our warehouse today');
  expect(ours?.cc.map((a) => a.address)).toEqual([BOB]);
}
