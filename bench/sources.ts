import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoChannelDirectory } from '../functions/adapters/dynamo-channel-directory.ts';
import { DynamoSourceStateStore } from '../functions/adapters/dynamo-source-state.ts';
import { randomSecret } from '../functions/adapters/node-digests.ts';
import { readArchive } from '../functions/adapters/sources/mail-archive.ts';
import { ChannelSettingsSchema } from '../functions/core/model/channel.ts';
import type { MailboxItem, MailboxSession, SettleAction, SourceCursor } from '../functions/core/ports/mailbox.ts';
import { importMail } from '../functions/core/sources/import-mail.ts';
import { pollSource } from '../functions/core/sources/poll-source.ts';
import { startLocalAws } from '../functions/local/local-aws.ts';
import { importAdapters } from '../functions/runtime/import-runner.ts';
import { CallCounter } from './call-counter.ts';
import { serviceOf } from './calls.ts';
import { InboundEnvSchema, readEnv } from '../functions/runtime/env.ts';
import { inboundAdapters } from '../functions/runtime/inbound-deps.ts';
import { generateMail } from './mails.ts';

/**
 * What a mailbox source and an import cost against the sandbox's local servers, on the adapters
 * production runs: an mbox of N mails (`--mails N`, 10,000 by default) imported as the CLI imports
 * it, and one poll of a mailbox holding 20 new mails, with every AWS call counted.
 *
 *   npm run bench:sources -- --mails 10000
 */
const mails = Number(process.argv[process.argv.indexOf('--mails') + 1]) || 10_000;
const aws = await startLocalAws({ skills: ['support'], tableName: 'postroom-bench' });
const dir = await mkdtemp(join(tmpdir(), 'postroom-bench-sources-'));
try {
  const counter = new CallCounter();
  const attach = <C extends object>(client: C): C => counter.attach(client as never, serviceOf(client)) as unknown as C;
  const db = attach(aws.db);
  const s3 = attach(aws.s3);
  const sqs = attach(aws.sqs);
  const env = readEnv(InboundEnvSchema, {
    TABLE_NAME: aws.tableName,
    MAIL_BUCKET: aws.bucket,
    SKILL_QUEUE_URLS: JSON.stringify(aws.queueUrls),
    OUTBOUND_QUEUE_URL: aws.outbound.queueUrl,
  });
  const receive = inboundAdapters({ db, s3, sqs }, env);
  const directory = new DynamoChannelDirectory(aws.db, aws.tableName, { clock: { now: () => new Date() }, cacheMs: 0 });
  const channel = ChannelSettingsSchema.parse({ id: 'support', address: 'support@example.com', defaultSkill: 'support' });
  await directory.put(channel);
  const importing = importAdapters({ db, s3 }, receive, { tableName: aws.tableName, bucket: aws.bucket });

  // An mbox of N distinct mails: every fifth starts a thread, the others answer the one before.
  const file = join(dir, 'bench.mbox');
  const out = createWriteStream(file);
  for (let i = 0; i < mails; i += 1) {
    const parent = i % 5 === 0 ? null : `bench-${i - 1}@customer.example`;
    const mail = generateMail('reply-5k', { messageId: `bench-${i}@customer.example`, inReplyTo: parent, seed: i, subject: `Order ${Math.floor(i / 5)}` });
    if (
      !out.write(
        `From bench@customer.example Mon Jan  5 09:00:00 2026\n${mail
          .toString('latin1')
          .replace(/\r\n/g, '\n')
          .replace(/^(>*From )/gm, '>$1')}\n`,
      )
    ) {
      await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
  const bytes = (await stat(file)).size;

  counter.reset();
  const started = performance.now();
  const outcomes = { imported: 0, duplicate: 0, failed: 0 };
  for await (const message of readArchive(file, { maxMessageBytes: channel.maxMessageBytes })) {
    outcomes[(await importMail(importing, channel, message)).outcome] += 1;
  }
  const seconds = (performance.now() - started) / 1000;
  const importCalls = counter.total();
  const byOperation = counter.snapshot().map((c) => `${c.service} ${c.operation} ${(c.calls / mails).toFixed(2)}`);

  counter.reset();
  const again = performance.now();
  for await (const message of readArchive(file, { maxMessageBytes: channel.maxMessageBytes })) await importMail(importing, channel, message);
  const rerunSeconds = (performance.now() - again) / 1000;
  const rerunCalls = counter.total();

  // One poll of a mailbox with 20 new mails, on an in-memory mailbox (its own requests are not AWS calls).
  const inbox = Array.from({ length: 20 }, (_, i) => generateMail('reply-5k', { messageId: `poll-${i}@customer.example`, inReplyTo: null, seed: 1000 + i }));
  const session: MailboxSession = {
    list: async (cursor: SourceCursor | null, limit: number) => {
      const after = Number(cursor?.lastUid ?? 0);
      const items: MailboxItem[] = inbox
        .map((_, i) => i + 1)
        .filter((uid) => uid > after)
        .slice(0, limit)
        .map((uid) => ({
          key: `imap:INBOX:1:${uid}`,
          size: inbox[uid - 1]?.length ?? 0,
          receivedAt: new Date().toISOString(),
          cursorAfter: { uidValidity: 1, lastUid: uid },
        }));
      return { items, more: false, rescan: false };
    },
    fetch: async (item: MailboxItem) => new Uint8Array(inbox[Number(item.key.split(':')[3]) - 1] ?? Buffer.alloc(0)),
    settle: async (_item: MailboxItem, _action: SettleAction) => undefined,
    end: async () => ({ uidValidity: 1, lastUid: 0 }),
    boundary: async () => ({ uidValidity: 1, lastUid: 0 }),
    precedes: () => false,
    close: async () => undefined,
  };
  const mailbox = ChannelSettingsSchema.parse({
    id: 'mailbox',
    address: 'mailbox@example.org',
    defaultSkill: 'support',
    source: { type: 'imap', host: 'imap.example.org', user: 'mailbox', initialSync: 'import-closed' },
  });
  await directory.put(mailbox);
  const pollDeps = {
    ...importing,
    states: new DynamoSourceStateStore(db, aws.tableName),
    clock: { now: () => new Date() },
    connect: async () => ({ open: async () => session }),
    secret: randomSecret,
  };
  counter.reset();
  const report = await pollSource(pollDeps, mailbox, { limit: 50 });
  const pollCalls = counter.total();
  const pollSequence = counter.sequence();
  counter.reset();
  await pollSource(pollDeps, mailbox, { limit: 50 });
  const emptyPollCalls = counter.total();
  const inboundPerMail = pollSequence.filter((s) => !/SOURCE|SRCKEY|SRCHASH|PutObject/.test(s)).length / 20;

  const digest = createHash('sha256').update(String(bytes)).digest('hex').slice(0, 8);
  process.stdout.write(
    [
      `import of an mbox of ${mails} mails (${(bytes / 1024 / 1024).toFixed(1)} MB, ${digest}), CLI path on the local servers`,
      `  first run   ${seconds.toFixed(1)} s  ${(mails / seconds).toFixed(0)} mails/s  imported ${outcomes.imported}, duplicates ${outcomes.duplicate}, failed ${outcomes.failed}`,
      `              ${(importCalls / mails).toFixed(2)} AWS calls per mail: ${byOperation.join(', ')}`,
      `  second run  ${rerunSeconds.toFixed(1)} s  ${(mails / rerunSeconds).toFixed(0)} mails/s  ${(rerunCalls / mails).toFixed(2)} AWS calls per mail (all duplicates)`,
      `one poll of a mailbox with 20 new mails: ${report.items.length} processed (${report.items.filter((i) => i.outcome === 'routed').length} routed), ${pollCalls} AWS calls (${(pollCalls / 20).toFixed(2)} per mail, ${inboundPerMail.toFixed(2)} of them the inbound path's)`,
      `a poll that finds nothing new: ${emptyPollCalls} AWS calls`,
      '',
    ].join('\n'),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
  await aws.stop();
}
