import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, HeadObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import type { Message } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { MailparserMimeParser } from '../../functions/adapters/mailparser-mime-parser.ts';
import { itemKeys } from '../../functions/adapters/dynamo-schema.ts';
import { NodemailerMimeComposer } from '../../functions/adapters/outbound/nodemailer-mime-composer.ts';
import { S3OutboundPlanStore } from '../../functions/adapters/s3-outbound-plan-store.ts';
import { AppError } from '../../functions/core/errors.ts';
import { receiveMail, type ReceiveOutcome } from '../../functions/core/inbound/receive-mail.ts';
import { PREVIEW_CHARS } from '../../functions/core/mail/preview.ts';
import type { ParsedMessage } from '../../functions/core/model/message.ts';
import { DEFAULT_PARSE_LIMITS } from '../../functions/core/model/parse-limits.ts';
import { PostroomConfigSchema } from '../../functions/core/model/postroom-config.ts';
import type { MimeParser } from '../../functions/core/ports/mime.ts';
import { TestClock, inboundDeps, inboundMail } from '../support/inbound-deps.ts';
import { startSeededLocalAws, type LocalAws } from '../support/local-aws.ts';
import { MUTATORS, inputRng, mutate, renameMessageId, zerosBomb, type Mutated, type MutatorName } from './support/mutations.ts';

/*
 * Mutated real mail through the whole inbound path: the raw bytes stored in (local) S3, then
 * `receiveMail` with the real adapters on dynalite and fauxqs, as the inbound function runs it.
 * Whatever the bytes, no error escapes, every mail ends routed, recorded, quarantined, dropped or
 * failed (a failed one listed with its raw copy kept), a routed one is on exactly one queue, the
 * parse limits hold and no mail takes long.
 *
 * Reproducible: the inputs follow from FUZZ_SEED alone. FUZZ_MAILS sets how many (a longer run:
 * FUZZ_MAILS=5000), FUZZ_LARGE how many 30 MB base64 attachments of zeros go along, and
 * FUZZ_ONLY=12,40 replays only those inputs of the seed.
 */

const CORPUS = resolve(import.meta.dirname, '../../../shared/corpus');
const hasCorpus = existsSync(join(CORPUS, 'index.csv'));

function intEnv(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value >= 0 && process.env[name] !== '' ? value : fallback;
}

const SEED = intEnv('FUZZ_SEED', 20_261_122);
// 20 inputs per mutator. Some 50 ms a mail on two idle cores, 150 ms when other suites share
// them: the default run stays well below a minute.
const MAILS = intEnv('FUZZ_MAILS', 260);
const LARGE = intEnv('FUZZ_LARGE', 1);
const LARGE_BYTES = 22 * 1024 * 1024;
const ONLY = process.env.FUZZ_ONLY ? new Set(process.env.FUZZ_ONLY.split(',').map(Number)) : null;

/** Time allowed one mail: generous for a shared CI machine, far below "the process is stuck". */
const budgetMs = (bytes: number): number => 8_000 + Math.ceil(bytes / (1024 * 1024)) * 1_000;

const FINAL = new Set(['routed', 'recorded', 'quarantined', 'dropped', 'failed']);
// C0 and C1 controls, DEL, and the Unicode line and paragraph separators: none belongs in header text.
const HEADER_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;
// Body text keeps tab and line feed only.
const BODY_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/u;
// fauxqs takes request bodies up to 11 MiB: larger raw copies go up in parts, as big objects do on S3.
const PART_BYTES = 8 * 1024 * 1024;

/**
 * The example deployment's channel, acknowledging new conversations: the customer's subject and
 * name go into a mail of ours, so the fuzzed ones are composed and checked too.
 */
const CONFIG = PostroomConfigSchema.parse({
  domains: ['example.com'],
  skills: ['support', 'billing', 'spam-review'],
  channels: [
    {
      id: 'support',
      address: 'support@example.com',
      name: 'Example Support',
      aliases: ['help@example.com'],
      defaultSkill: 'support',
      ticket: { placement: 'end', delimiter: 'brackets', hook: '#', digits: 7 },
      routing: [
        { name: 'billing-words', when: { subjectKeywords: ['invoice', 'refund', 'payment'] }, skill: 'billing' },
        { name: 'urgent', when: { priorities: ['high'] }, skill: 'support', priority: 'high' },
      ],
      spamPolicy: 'route',
      spamSkill: 'spam-review',
      replyToken: true,
      acknowledgement: { enabled: true, subject: 'Re: {{subject}} ({{customerName}})' },
    },
  ],
});

if (!hasCorpus) console.warn(`fuzz: skipped: no corpus at ${CORPUS} (it ships beside the project as ../shared/corpus)`);

/** Corpus files from the index, in its order. */
function corpusFiles(): string[] {
  const [header, ...rows] = readFileSync(join(CORPUS, 'index.csv'), 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  const column = (header ?? '').split(',').indexOf('file');
  return rows.map((row) => row.split(',')[column] ?? '').filter((file) => file !== '' && existsSync(join(CORPUS, file)));
}

/** One input: its index in the run, the corpus mail it came from, and the mutation. */
interface FuzzInput extends Mutated {
  readonly index: number;
  readonly source: string;
}

/** The inputs of the run, made one at a time (a long run never holds them all). */
function* inputs(files: readonly string[]): Generator<FuzzInput> {
  for (let index = 0; index < MAILS + LARGE; index++) {
    if (ONLY && !ONLY.has(index)) continue;
    const rng = inputRng(SEED, index);
    const source = rng.pick(files);
    const original = readFileSync(join(CORPUS, source));
    // Most copies get a Message-ID of their own and run the whole decision; every eighth keeps its
    // corpus id, so copies of one mail also meet the duplicate handling.
    const seed = rng.int(8) === 0 ? original : renameMessageId(original, `fz${SEED}-${index}.`);
    const mutator: MutatorName = MUTATORS[index % MUTATORS.length] ?? 'truncate';
    const mutated = index >= MAILS ? zerosBomb(seed, LARGE_BYTES) : mutate(mutator, rng, seed);
    yield { ...mutated, index, source };
  }
}

/** The real parser, keeping what it returned so the limits can be checked on it. */
function recordingParser(parsed: ParsedMessage[]): MimeParser {
  const real = new MailparserMimeParser();
  return {
    async parse(raw, limits, options) {
      const message = await real.parse(raw, limits, options);
      parsed.push(message);
      return message;
    },
  };
}

/** What the parse limits promise of a parsed message; each broken promise as a sentence. */
function limitProblems(m: ParsedMessage): string[] {
  const limits = DEFAULT_PARSE_LIMITS;
  const problems: string[] = [];
  const longest = (text: string): number => text.split('\n').reduce((max, line) => Math.max(max, line.length), 0);
  const texts = [m.text, m.htmlReply?.text ?? '', ...m.reports.map((r) => r.text)];
  if (texts.some((t) => longest(t) > limits.maxLineChars))
    problems.push(`a body line of ${Math.max(...texts.map(longest))} characters (limit ${limits.maxLineChars})`);
  if (m.references.length > limits.maxReferences) problems.push(`${m.references.length} references (limit ${limits.maxReferences})`);
  if (m.attachments.length + m.reports.length > limits.maxParts) problems.push(`${m.attachments.length + m.reports.length} parts (limit ${limits.maxParts})`);
  const headerChars = m.headers.reduce((sum, h) => sum + h.name.length + h.value.length, 0);
  if (headerChars > limits.maxHeaderBytes) problems.push(`${headerChars} characters of headers (limit ${limits.maxHeaderBytes} bytes)`);
  const headerTexts = [
    m.subject,
    ...m.headers.map((h) => h.value),
    ...[m.from, m.sender, ...m.to, ...m.cc, ...m.replyTo].flatMap((a) => (a ? [a.name, a.address] : [])),
  ];
  if (headerTexts.some((t) => HEADER_CONTROL.test(t))) problems.push('a control character or line separator in header text');
  if (BODY_CONTROL.test(m.text)) problems.push('a control character in the body text');
  return problems;
}

// A decoded header value of a mail we send may never hold a line break or a line separator.
const BREAKS = /[\r\n\u0000\u0085\u2028\u2029]/u;

/** The acknowledgement a fuzzed mail caused, composed as the outbound function would: what is wrong with its headers. */
async function acknowledgementProblems(messageId: string): Promise<string[]> {
  const plan = await new S3OutboundPlanStore(aws.s3, aws.bucket).get('support', messageId);
  const raw = Buffer.from(
    await new NodemailerMimeComposer().compose(plan, { fetch: async () => Promise.reject(new Error('an acknowledgement has no attachments')) }),
  );
  const text = raw.toString('latin1');
  const head = text.slice(0, text.indexOf('\r\n\r\n'));
  const problems: string[] = [];
  if (/\r(?!\n)|(?<!\r)\n|\u0000/.test(head)) problems.push('the acknowledgement has a bare CR, LF or NUL in its header block');
  const parsed = await simpleParser(raw);
  const names = [parsed.to ?? []].flat().flatMap((o) => o.value.map((a) => `${a.name} ${a.address ?? ''}`));
  for (const value of [parsed.subject ?? '', parsed.inReplyTo ?? '', ...[parsed.references ?? []].flat(), ...names]) {
    if (BREAKS.test(value)) problems.push(`the acknowledgement has a header value that decodes to ${JSON.stringify(value.slice(0, 80))}`);
  }
  if (parsed.headers.has('bcc') || [parsed.to ?? []].flat().flatMap((o) => o.value).length !== 1)
    problems.push('the acknowledgement goes to other than one recipient');
  return problems;
}

interface Tally {
  readonly byMutator: Map<string, number>;
  readonly outcomes: Map<string, number>;
  readonly failures: Map<string, number>;
  readonly times: { ms: number; label: string; bytes: number }[];
  readonly problems: string[];
  /** Inputs that failed for another reason than a parse limit or an unreadable mail (still listed, raw copy kept). */
  readonly otherFailures: string[];
  largestStored: { subject: number; item: number };
}

// What a hostile mail may fail with by itself; anything else is worth a look (reported, not asserted).
const PARSE_FAILURES = new Set(['malformed-mail', 'limit-size', 'limit-depth', 'limit-parts', 'limit-header-size', 'limit-references']);

const bump = (map: Map<string, number>, key: string): void => void map.set(key, (map.get(key) ?? 0) + 1);

let aws: LocalAws;

beforeAll(async () => {
  if (hasCorpus) aws = await startSeededLocalAws(CONFIG);
});

afterAll(async () => {
  await aws?.stop();
});

async function storeRaw(key: string, raw: Buffer): Promise<void> {
  if (raw.length <= PART_BYTES) return aws.putRaw(key, raw);
  const target = { Bucket: aws.bucket, Key: key };
  const { UploadId } = await aws.s3.send(new CreateMultipartUploadCommand(target));
  const parts: { ETag: string | undefined; PartNumber: number }[] = [];
  for (let offset = 0; offset < raw.length; offset += PART_BYTES) {
    const PartNumber = parts.length + 1;
    const out = await aws.s3.send(new UploadPartCommand({ ...target, UploadId, PartNumber, Body: raw.subarray(offset, offset + PART_BYTES) }));
    parts.push({ ETag: out.ETag, PartNumber });
  }
  await aws.s3.send(new CompleteMultipartUploadCommand({ ...target, UploadId, MultipartUpload: { Parts: parts } }));
}

/** Everything on the skill queues, and on the outbound queue (acknowledgements). */
async function drainQueues(): Promise<{ pointers: Message[]; jobs: Message[] }> {
  const pointers: Message[] = [];
  for (const url of Object.values(aws.queueUrls)) pointers.push(...(await aws.drain(url)));
  return { pointers, jobs: await aws.drain(aws.outbound.queueUrl) };
}

async function item(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
  return (await aws.db.send(new GetCommand({ TableName: aws.tableName, Key: key, ConsistentRead: true }))).Item;
}

/** Checks one input's end state; every broken promise goes to `problems`, prefixed with the input. */
async function checkOutcome(input: FuzzInput, sesId: string, outcome: ReceiveOutcome, parsed: readonly ParsedMessage[], tally: Tally): Promise<void> {
  const problem = (text: string): void => void tally.problems.push(`#${input.index} ${input.mutator}/${input.variant} (${input.source}): ${text}`);
  const mail = inboundMail(sesId);
  const queued = await drainQueues();
  const pointers = queued.pointers.map((m) => JSON.parse(m.Body ?? '{}') as { messageId?: string });
  const jobs = queued.jobs.map((m) => JSON.parse(m.Body ?? '{}') as { messageId?: string });
  if (!FINAL.has(outcome.status)) problem(`ended ${outcome.status}`);
  for (const message of parsed) for (const text of limitProblems(message)) problem(text);

  if (outcome.status === 'failed') {
    bump(tally.failures, outcome.error.code);
    if (!PARSE_FAILURES.has(outcome.error.code))
      tally.otherFailures.push(`#${input.index} ${input.mutator}/${input.variant}: ${outcome.error.code}: ${outcome.error.reason.slice(0, 120)}`);
    if (input.mustFailWith && !input.mustFailWith.includes(outcome.error.code))
      problem(`failed with ${outcome.error.code}, expected ${input.mustFailWith.join(' or ')}`);
    const listed = await item(itemKeys.failed(sesId, outcome.channelId));
    if (listed?.rawKey !== mail.rawKey) problem('failed, but not listed as failed mail with its raw key');
    const kept = await aws.s3.send(new HeadObjectCommand({ Bucket: aws.bucket, Key: mail.rawKey })).then(
      () => true,
      () => false,
    );
    if (!kept) problem('failed, and its raw copy is gone');
    if (pointers.length + jobs.length > 0) problem(`failed, yet ${pointers.length} pointer(s) and ${jobs.length} acknowledgement(s) were queued`);
    return;
  }
  if (input.mustFailWith) problem(`${outcome.status}, though it breaks a parse limit (${input.mustFailWith.join(' or ')})`);
  const expected = outcome.status === 'routed' ? 1 : 0;
  const own = pointers.filter((p) => p.messageId === outcome.messageId).length;
  if (own !== expected || pointers.length !== expected)
    problem(`${outcome.status} with ${own} pointer(s) of its own and ${pointers.length} in all on the queues`);
  const job = outcome.acknowledgement?.job?.messageId;
  if (jobs.length !== (job ? 1 : 0) || (job && jobs[0]?.messageId !== job)) problem(`acknowledgement ${job ?? 'none'}, ${jobs.length} job(s) queued`);
  if (job) {
    bump(tally.outcomes, 'acknowledged');
    for (const text of await acknowledgementProblems(job).catch((e: unknown) => [`its acknowledgement cannot be sent: ${String(e)}`])) problem(text);
  }
  const stored = await item(itemKeys.message(outcome.channelId, outcome.conversationId, mail.receivedAt, outcome.messageId));
  if (!stored) {
    problem(`${outcome.status}, but no stored message`);
    return;
  }
  const preview = String(stored.preview ?? '');
  if (preview.length > PREVIEW_CHARS) problem(`a preview of ${preview.length} characters`);
  if (Array.isArray(stored.references) && stored.references.length > 20) problem(`${stored.references.length} stored references`);
  tally.largestStored = {
    subject: Math.max(tally.largestStored.subject, String(stored.subject ?? '').length),
    item: Math.max(tally.largestStored.item, Buffer.byteLength(JSON.stringify(stored))),
  };
}

function report(tally: Tally, count: number, wallMs: number): string {
  const table = (map: Map<string, number>): string =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  const slowest = [...tally.times]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 5)
    .map((t) => `${t.ms.toFixed(0)} ms ${t.label} (${(t.bytes / 1024).toFixed(0)} KB)`);
  return [
    `fuzz: seed ${SEED}, ${count} inputs in ${(wallMs / 1000).toFixed(1)} s`,
    `  by mutator: ${table(tally.byMutator)}`,
    `  outcomes: ${table(tally.outcomes)}`,
    `  failed with: ${table(tally.failures) || 'none'}`,
    `  largest stored message: ${tally.largestStored.item} bytes, subject ${tally.largestStored.subject} characters`,
    `  failed for another reason than the mail itself: ${tally.otherFailures.length === 0 ? 'none' : tally.otherFailures.join('; ')}`,
    `  slowest: ${slowest.join('; ')}`,
  ].join('\n');
}

describe.skipIf(!hasCorpus)(`fuzzing the inbound path with mutated corpus mail${hasCorpus ? '' : ` (skipped: no corpus at ${CORPUS})`}`, () => {
  it(
    `ends every mutated mail routed or failed with its raw copy, within the limits and in bounded time (seed ${SEED}, ${MAILS} + ${LARGE} large)`,
    async () => {
      // Arrange
      const files = corpusFiles();
      let count = 0;
      const tally: Tally = {
        byMutator: new Map(),
        outcomes: new Map(),
        failures: new Map(),
        times: [],
        problems: [],
        otherFailures: [],
        largestStored: { subject: 0, item: 0 },
      };
      const clock = new TestClock();
      const started = performance.now();

      // Act and assert, mail by mail
      for (const input of inputs(files)) {
        count++;
        const sesId = `fuzz-${SEED}-${input.index}`;
        const label = `#${input.index} ${input.mutator}/${input.variant}`;
        bump(tally.byMutator, input.mutator);
        await storeRaw(inboundMail(sesId).rawKey, input.raw);
        const parsed: ParsedMessage[] = [];
        const begin = performance.now();
        let outcome: ReceiveOutcome;
        try {
          outcome = await receiveMail(inboundDeps(aws, clock, { parser: recordingParser(parsed) }), inboundMail(sesId));
        } catch (error) {
          const retryable = error instanceof AppError && error.retryable;
          tally.problems.push(`${label} (${input.source}): ${retryable ? 'retryable' : 'non-retryable'} error escaped: ${String(error)}`);
          bump(tally.outcomes, 'thrown');
          await drainQueues();
          continue;
        }
        const ms = performance.now() - begin;
        tally.times.push({ ms, label, bytes: input.raw.length });
        if (ms > budgetMs(input.raw.length)) tally.problems.push(`${label} (${input.source}): took ${ms.toFixed(0)} ms`);
        bump(tally.outcomes, outcome.status);
        await checkOutcome(input, sesId, outcome, parsed, tally);
      }
      console.log(report(tally, count, performance.now() - started));

      // Assert: nothing above broke a promise
      expect(tally.problems).toEqual([]);
      expect(count).toBe(ONLY ? [...ONLY].filter((i) => i < MAILS + LARGE).length : MAILS + LARGE);
    },
    Math.max(120_000, (MAILS + LARGE * 30) * 1_000),
  );
});
