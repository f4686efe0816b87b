import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { PostroomConfigSchema } from '../functions/core/model/postroom-config.ts';
import { RoutedMessageSchema } from '../functions/core/model/routed-message.ts';
import { startSandbox } from '../functions/local/sandbox.ts';
import { createDocumentClient, createS3Client, createSqsClient } from '../functions/runtime/clients.ts';
import { RAW_MAIL_PREFIX } from '../functions/runtime/ses-event.ts';
import { generateMail, seededRandom } from './mails.ts';
import { median, round } from './stats.ts';

/**
 * Soak: N mails (`--mails N`, 10,000 by default) through the sandbox's SMTP port, as customers'
 * servers would send them, over a few concurrent connections (`--connections`, 4): new mails,
 * replies to earlier ones, automatic mail, mail SES marks as spam, and mail the SMTP server
 * refuses (an unknown recipient: 550; over the channel's size limit: 552). Agents' apps take the
 * pointers off the skill queues meanwhile.
 *
 * At the end the inbound records are the source of truth: every accepted mail (250) has exactly
 * one, in a final state, and routed + recorded + quarantined + dropped + failed = accepted; every
 * routed one put exactly one pointer on its skill queue.
 *
 * Memory: the process's RSS, heap and array buffers are sampled every N/`--samples` (40) mails,
 * each after a full garbage collection (`--expose-gc`, which `npm run soak` passes: without it
 * V8 lets hundreds of MB of garbage pile up before a major collection, and RSS with it). The run
 * fails (exit 1) if RSS keeps growing: the median of the last quarter of samples more than
 * `--max-growth` (25 %) above the median of the second quarter. The first quarter is warm-up
 * (JIT, pools, caches); after it a process that keeps nothing per mail stays flat. Between the
 * middles of the two quarters lie half the mails: on the ~450 MB the sandbox holds after warm-up,
 * 25 % is ~110 MB, so at 10,000 mails anything that keeps ~20 KB or more per mail fails, while
 * allocator and GC noise (a few per cent) passes. A shorter run (`--mails 1000` in CI) only
 * catches proportionally larger leaks.
 *
 * The process measured is the sandbox: the inbound function, its SMTP server, the agents' apps
 * reading the queues and the sending half. As in AWS, the services live outside it: dynalite
 * (DynamoDB, on disk here through `dataDir`) and fauxqs (S3 and SQS) run in a child process
 * (`separateAwsProcess`), so what those stand-ins keep per mail (dynalite's LevelDB iterators,
 * fauxqs's object buffers: both grow with the data, as a database does) is not taken for a leak
 * of the channel. Their RSS is sampled beside it and printed, not checked. `--delete-raw` deletes
 * each accepted mail's raw copy from S3 once it is answered (the bucket's expiry, brought forward).
 * The summary splits the growth between the two quarters into JS heap, array buffers and the rest
 * (native memory), per mail.
 *
 *   npm run soak -- --mails 10000
 */

const arg = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : Number.NaN;
  return Number.isFinite(value) && value > 0 ? value : fallback;
};
const MAILS = Math.floor(arg('mails', 10_000));
const CONNECTIONS = Math.floor(arg('connections', 4));
const SAMPLES = Math.floor(arg('samples', 40));
const MAX_GROWTH = arg('max-growth', 0.25);
const DELETE_RAW = process.argv.includes('--delete-raw');
const MB = 1024 * 1024;

const config = PostroomConfigSchema.parse({
  domains: ['example.test'],
  skills: ['support', 'billing', 'spam-review'],
  channels: [
    {
      id: 'support',
      address: 'support@example.test',
      aliases: ['help@example.test'],
      defaultSkill: 'support',
      routing: [{ name: 'billing-words', when: { subjectKeywords: ['invoice'] }, skill: 'billing' }],
      spamPolicy: 'route',
      spamSkill: 'spam-review',
      // Small enough that a newsletter-sized mail is refused at SMTP (552).
      maxMessageBytes: 32 * 1024,
      acknowledgement: { enabled: true, windowHours: 24 },
    },
  ],
});

type Planned = 'new' | 'reply' | 'automatic' | 'spam' | 'unknown-recipient' | 'too-large';

/** The mix: mostly people writing and answering, some automatic mail and spam, a few refused. */
function plan(random: () => number): Planned {
  const r = random();
  if (r < 0.04) return 'unknown-recipient';
  if (r < 0.07) return 'too-large';
  if (r < 0.1) return 'spam';
  if (r < 0.22) return 'automatic';
  if (r < 0.45) return 'reply';
  return 'new';
}

/** A short mail as a mail client writes it. */
function shortMail(o: { messageId: string; from: string; to: string; subject: string; extra?: string[]; seed: number }): Buffer {
  const random = seededRandom(o.seed);
  const words = 'order parcel invoice printer address delivery refund account password update'.split(' ');
  const body = Array.from({ length: 20 + Math.floor(random() * 60) }, () => words[Math.floor(random() * words.length)]).join(' ');
  return Buffer.from(
    [
      `From: ${o.from}`,
      `To: ${o.to}`,
      `Subject: ${o.subject}`,
      'Date: Tue, 03 Nov 2026 09:15:00 +0100',
      `Message-ID: <${o.messageId}>`,
      'MIME-Version: 1.0',
      ...(o.extra ?? []),
      'Content-Type: text/plain; charset=utf-8',
      '',
      body,
      '',
    ].join('\r\n'),
  );
}

/** A process's resident set in bytes, from /proc (Linux); 0 where it cannot be read. */
function rssOf(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

const withHeader = (raw: Buffer, header: string): Buffer =>
  Buffer.from(raw.toString('latin1').replace('MIME-Version: 1.0', `${header}\r\nMIME-Version: 1.0`), 'latin1');

const dir = await mkdtemp(join(tmpdir(), 'postroom-soak-'));
let exitCode = 0;
try {
  const sandbox = await startSandbox({
    config,
    smtpPort: 0,
    stateFile: null,
    logLevel: 'SILENT',
    apiPort: null,
    dataDir: join(dir, 'data'),
    workDir: join(dir, 'work'),
    separateAwsProcess: true,
  });
  const { info } = sandbox;
  const common = { region: info.aws.region, credentials: { ...info.aws.credentials } };
  const sqs = createSqsClient({ ...common, endpoint: info.aws.endpoints.sqs });
  const db = createDocumentClient({ ...common, endpoint: info.aws.endpoints.dynamodb });
  const s3 = createS3Client({ ...common, endpoint: info.aws.endpoints.s3 });

  // Agents' apps: take every pointer off the skill queues as it comes.
  const pointers = new Map<string, number>();
  const bySkill: Record<string, number> = {};
  let consuming = true;
  const consumers = Object.entries(info.queues).map(async ([skill, url]) => {
    while (consuming) {
      const page = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      const messages = page.Messages ?? [];
      if (messages.length === 0) continue;
      for (const m of messages) {
        const pointer = RoutedMessageSchema.parse(JSON.parse(m.Body ?? ''));
        pointers.set(pointer.messageId, (pointers.get(pointer.messageId) ?? 0) + 1);
        bySkill[skill] = (bySkill[skill] ?? 0) + 1;
      }
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
    }
  });

  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: info.smtp.port,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: CONNECTIONS,
    maxMessages: Number.POSITIVE_INFINITY,
  });
  const random = seededRandom(20_261_103);
  const planned = Array.from({ length: MAILS }, () => plan(random));
  const senders = 200;
  const openers: { messageId: string; from: string; subject: string }[] = [];
  const acceptedIds = new Set<string>();
  const counts = { sent: 0, accepted: 0, rejectedUnknownRecipient: 0, rejectedTooLarge: 0, deferred: 0, unexpected: 0 };
  const unexpected: string[] = [];
  let rawBytesAccepted = 0;
  const samples: { mails: number; seconds: number; rssMb: number; heapMb: number; arrayBuffersMb: number; standInsRssMb: number }[] = [];
  const every = Math.max(1, Math.ceil(MAILS / SAMPLES));
  const started = performance.now();
  // A full collection first (with --expose-gc): what is left is what the process holds, not
  // garbage V8 has not yet chosen to collect (without it the heap grows by hundreds of MB before
  // a major collection, and RSS with it, whether anything leaks or not).
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) process.stderr.write('soak: run with --expose-gc (npm run soak does): RSS samples will include uncollected garbage\n');
  const sample = (mails: number): void => {
    gc?.();
    const m = process.memoryUsage();
    samples.push({
      mails,
      seconds: round((performance.now() - started) / 1000, 1),
      rssMb: round(m.rss / MB, 1),
      heapMb: round(m.heapUsed / MB, 1),
      arrayBuffersMb: round(m.arrayBuffers / MB, 1),
      standInsRssMb: round(sandbox.awsServerPids.reduce((sum, pid) => sum + rssOf(pid), 0) / MB, 1),
    });
  };
  sample(0);

  let next = 0;
  let done = 0;
  const sendOne = async (i: number): Promise<void> => {
    const kind = planned[i] ?? 'new';
    const sender = `customer${i % senders}@customer.example`;
    const messageId = `soak-${i}@customer.example`;
    const to = kind === 'unknown-recipient' ? 'nobody@example.test' : i % 7 === 0 ? 'help@example.test' : 'support@example.test';
    const parent = kind === 'reply' && openers.length > 0 ? openers[Math.floor(random() * openers.length)] : undefined;
    let raw: Buffer;
    let from = `Customer ${i % senders} <${sender}>`;
    let envelopeFrom = sender;
    if (kind === 'too-large') raw = generateMail('newsletter-60k', { messageId, from: sender, to, seed: i });
    else if (parent) {
      // The customer answers from the address that opened the conversation.
      from = parent.from;
      envelopeFrom = from.replace(/^.*<|>$/g, '');
      raw = generateMail('reply-5k', { messageId, inReplyTo: parent.messageId, subject: `Re: ${parent.subject}`, from: envelopeFrom, to, seed: i });
    } else {
      const subject = kind === 'automatic' ? `Automatic reply: out of office (${i})` : i % 6 === 0 ? `Invoice ${i} is wrong` : `Order ${i} has not arrived`;
      raw = shortMail({ messageId, from, to, subject, seed: i });
      if (kind === 'automatic') raw = withHeader(raw, 'Auto-Submitted: auto-replied');
      if (kind === 'spam') raw = withHeader(raw, 'X-Sandbox-Verdicts: spam=FAIL');
      if (kind === 'new') openers.push({ messageId, from, subject });
    }
    for (let attempt = 1; ; attempt++) {
      counts.sent += attempt === 1 ? 1 : 0;
      try {
        const out = await transport.sendMail({ envelope: { from: envelopeFrom, to: [to] }, raw });
        counts.accepted++;
        rawBytesAccepted += raw.length;
        const id = /queued as (\S+)/.exec(out.response)?.[1];
        if (id) acceptedIds.add(id);
        if (id && DELETE_RAW) await s3.send(new DeleteObjectCommand({ Bucket: info.bucket, Key: `${RAW_MAIL_PREFIX}${id}` }));
        break;
      } catch (error) {
        const code = (error as { responseCode?: number }).responseCode;
        if (code === 550 && kind === 'unknown-recipient') counts.rejectedUnknownRecipient++;
        else if (code === 552 && kind === 'too-large') counts.rejectedTooLarge++;
        else if (code === 451 && attempt < 3) {
          // The handler failed for now: a sending server tries again later.
          counts.deferred++;
          continue;
        } else {
          counts.unexpected++;
          if (unexpected.length < 10) unexpected.push(`${kind} #${i}: ${(error as Error).message}`);
        }
        break;
      }
    }
    done++;
    if (done % every === 0 || done === MAILS) sample(done);
  };
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < MAILS) await sendOne(next++);
    }),
  );
  const sendSeconds = (performance.now() - started) / 1000;
  transport.close();

  // The inbound records: one per accepted mail (one channel per mail here), in its final state.
  const states: Record<string, number> = {};
  const recordIds = new Set<string>();
  let failedListed = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: info.table,
        ExclusiveStartKey: start,
        ProjectionExpression: 'pk, sk, #s, sesMessageId',
        ExpressionAttributeNames: { '#s': 'state' },
        FilterExpression: 'begins_with(pk, :inbound)',
        ExpressionAttributeValues: { ':inbound': 'INBOUND#' },
      }),
    );
    for (const item of page.Items ?? []) {
      if (String(item.sk).startsWith('FAILED#')) failedListed++;
      else {
        states[String(item.state)] = (states[String(item.state)] ?? 0) + 1;
        recordIds.add(String(item.sesMessageId));
      }
    }
    start = page.LastEvaluatedKey;
  } while (start);
  const finalStates = ['routed', 'recorded', 'quarantined', 'dropped', 'failed'];
  const final = finalStates.reduce((sum, s) => sum + (states[s] ?? 0), 0);
  const records = Object.values(states).reduce((a, b) => a + b, 0);

  // Agents' apps catch up with the last pointers.
  const routed = states.routed ?? 0;
  const waitUntil = Date.now() + 60_000;
  while ([...pointers.values()].reduce((a, b) => a + b, 0) < routed && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 1500));
  consuming = false;
  await Promise.all(consumers);
  sqs.destroy();
  db.destroy();
  s3.destroy();
  const pointerTotal = [...pointers.values()].reduce((a, b) => a + b, 0);
  const duplicatePointers = [...pointers.values()].filter((n) => n > 1).length;
  const stopStarted = performance.now();
  await sandbox.stop();
  const stopSeconds = (performance.now() - stopStarted) / 1000;

  const quarter = (q: number) =>
    samples
      .slice(1)
      .filter((_, i, all) => i >= Math.floor((all.length * (q - 1)) / 4) && i < Math.floor((all.length * q) / 4))
      .map((s) => s.rssMb);
  const q2 = median(quarter(2));
  const q4 = median(quarter(4));
  const growth = q4 / q2 - 1;
  // Where the growth between the two quarters' middles went, per mail (KB).
  const middle = (q: number) => samples.slice(1)[Math.floor(((samples.length - 1) * (2 * q - 1)) / 8)] ?? samples[0];
  const [from, to] = [middle(2), middle(4)];
  const perMailKb = (a: number, b: number) => (from && to && to.mails > from.mails ? round(((b - a) * 1024) / (to.mails - from.mails), 1) : Number.NaN);
  const growthPerMailKb =
    from && to
      ? {
          rss: perMailKb(from.rssMb, to.rssMb),
          heap: perMailKb(from.heapMb, to.heapMb),
          arrayBuffers: perMailKb(from.arrayBuffersMb, to.arrayBuffersMb),
          native: perMailKb(from.rssMb - from.heapMb - from.arrayBuffersMb, to.rssMb - to.heapMb - to.arrayBuffersMb),
        }
      : null;
  const plannedRejects = {
    unknownRecipient: planned.filter((k) => k === 'unknown-recipient').length,
    tooLarge: planned.filter((k) => k === 'too-large').length,
  };
  const checks = {
    'routed + recorded + quarantined + dropped + failed = accepted': final === counts.accepted,
    'one record per accepted mail, none in flight': records === counts.accepted && [...acceptedIds].every((id) => recordIds.has(id)),
    'every planned refusal refused, nothing else':
      counts.rejectedUnknownRecipient === plannedRejects.unknownRecipient && counts.rejectedTooLarge === plannedRejects.tooLarge && counts.unexpected === 0,
    'one pointer per routed mail': pointerTotal === routed && pointers.size === routed && duplicatePointers === 0,
    [`RSS: last quarter's median at most ${round(MAX_GROWTH * 100, 0)} % above the second quarter's`]: Number.isFinite(growth) && growth <= MAX_GROWTH,
  };
  const summary = {
    mails: MAILS,
    connections: CONNECTIONS,
    ...counts,
    plannedRejects,
    records,
    states,
    failedListed,
    pointers: { total: pointerTotal, unique: pointers.size, duplicates: duplicatePointers, bySkill },
    seconds: round(sendSeconds, 1),
    mailsPerSecond: round(MAILS / sendSeconds, 1),
    stopSeconds: round(stopSeconds, 1),
    rawBytesAccepted,
    rawCopiesDeleted: DELETE_RAW,
    rss: {
      q2MedianMb: round(q2, 1),
      q4MedianMb: round(q4, 1),
      growthPercent: round(growth * 100, 1),
      maxGrowthPercent: round(MAX_GROWTH * 100, 1),
      growthPerMailKb,
    },
    rssSamples: samples,
    unexpected,
    checks,
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`\nSoak: ${MAILS} mails sent over ${CONNECTIONS} connections in ${round(sendSeconds, 1)} s (${summary.mailsPerSecond} mails/s)\n`);
  process.stdout.write(
    `  accepted ${counts.accepted}, refused ${counts.rejectedUnknownRecipient} (unknown recipient) + ${counts.rejectedTooLarge} (too large), deferred ${counts.deferred}, unexpected ${counts.unexpected}\n`,
  );
  process.stdout.write(
    `  records: ${Object.entries(states)
      .map(([s, n]) => `${s} ${n}`)
      .join(', ')}; failed list ${failedListed}; pointers taken ${pointerTotal}\n`,
  );
  process.stdout.write(`  RSS MB: ${samples.map((s) => s.rssMb).join(' ')}\n`);
  process.stdout.write(`  stand-ins' RSS MB (dynalite + fauxqs, another process; not checked): ${samples.map((s) => s.standInsRssMb).join(' ')}\n`);
  process.stdout.write(`  heap MB (after GC): ${samples.map((s) => s.heapMb).join(' ')}\n`);
  process.stdout.write(`  array buffers MB: ${samples.map((s) => s.arrayBuffersMb).join(' ')}\n`);
  process.stdout.write(
    `  RSS median 2nd quarter ${round(q2, 1)} MB, last quarter ${round(q4, 1)} MB: ${round(growth * 100, 1)} % (limit ${round(MAX_GROWTH * 100, 1)} %)\n`,
  );
  if (growthPerMailKb) {
    process.stdout.write(
      `  growth per mail between the quarters: RSS ${growthPerMailKb.rss} KB = heap ${growthPerMailKb.heap} + array buffers ${growthPerMailKb.arrayBuffers} + native ${growthPerMailKb.native}\n`,
    );
  }
  for (const [check, ok] of Object.entries(checks)) process.stdout.write(`  ${ok ? 'ok  ' : 'FAIL'} ${check}\n`);
  if (Object.values(checks).some((ok) => !ok)) exitCode = 1;
} finally {
  await rm(dir, { recursive: true, force: true });
}
process.exit(exitCode);
