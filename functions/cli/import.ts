import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoChannelDirectory } from '../adapters/dynamo-channel-directory.ts';
import { type ArchivePosition, countArchive, readArchive } from '../adapters/sources/mail-archive.ts';
import { importMail } from '../core/sources/import-mail.ts';
import { importAdapters } from '../runtime/import-runner.ts';
import { createReplayDeps } from '../runtime/replay-deps.ts';
import { type Command, UsageError } from './command.ts';
import { writeJsonLine } from './output.ts';
import { createProgress } from './progress.ts';
import { sandboxClients } from './sandbox-clients.ts';
import { readSandboxInfo } from './sandbox-file.ts';

const HELP = `Usage: postroom import --channel ID PATH... [--json] [--restart]

Imports existing mail into a channel of the running sandbox: an mbox (mboxo or mboxrd), a folder
of .eml files, a Maildir, or single .eml files. Each message goes through the live path (stored
raw, classified, threaded among the others by the live rules) and becomes part of a closed
conversation: nothing is put on a skill queue and no acknowledgement is sent. A later reply by
the customer reopens the conversation.

Running it again imports nothing twice (each message is known by its content). An interrupted
run resumes after the last message it finished (the position is kept under .postroom/imports/);
--restart reads each archive from the start (still without duplicates).

Options:
  --channel ID   the channel to import into
  --json         print one JSON line per message (origin, outcome, conversation, reason)
  --restart      ignore a saved position and read every archive from its start

Progress (count, rate, time left) goes to stderr; the summary ends the run:
imported, duplicates skipped, failed with reasons.

Examples:
  npx postroom import --channel support ~/old-mail/support.mbox
  npx postroom import --channel support ~/Maildir/.Support ./exports/*.eml --json`;

/** Messages between two saves of the resume position. */
const SAVE_EVERY = 25;

export const importCommand: Command = {
  help: HELP,
  async run(args) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { channel: { type: 'string' }, json: { type: 'boolean' }, restart: { type: 'boolean' } },
      allowPositionals: true,
    });
    if (!values.channel) throw new UsageError('name the channel to import into: --channel ID');
    if (positionals.length === 0) throw new UsageError('name at least one mbox, Maildir, folder of .eml files or .eml file');
    const info = await readSandboxInfo();
    const clients = sandboxClients(info);
    try {
      const receive = createReplayDeps({
        ...clients,
        tableName: info.table,
        bucket: info.bucket,
        queueUrls: info.queues,
        queuePrefix: '',
        outboundQueueUrl: info.outboundQueue.url,
        leaseMs: 120_000,
      });
      const channel = (await new DynamoChannelDirectory(clients.db, info.table, { clock: receive.clock, cacheMs: 0 }).all()).find(
        (c) => c.id === values.channel,
      );
      if (!channel) throw new UsageError(`no channel ${values.channel} in the running sandbox`);
      const deps = importAdapters(clients, receive, { tableName: info.table, bucket: info.bucket });
      // What an interrupted run finished is not read again: the total counts what is left.
      const archives = [];
      let total = 0;
      for (const path of positionals) {
        const checkpoint = await checkpointFile(info.dataDir, channel.id, path);
        const startAt = values.restart ? undefined : await readCheckpoint(checkpoint);
        total += (await countArchive(path)).messages - (startAt?.index ?? 0);
        archives.push({ path, checkpoint, startAt });
      }
      const progress = createProgress({ label: `import into ${channel.id}`, total });
      const failures: string[] = [];
      for (const { path, checkpoint, startAt } of archives) {
        if (startAt) process.stderr.write(`${path}: resuming after message ${startAt.index} (--restart reads it from the start)\n`);
        let done = 0;
        let position: ArchivePosition | undefined = startAt;
        for await (const message of readArchive(path, { maxMessageBytes: channel.maxMessageBytes, ...(startAt ? { startAt } : {}) })) {
          const result = await importMail(deps, channel, message);
          progress.tick(result.outcome);
          if (result.reason) failures.push(result.reason);
          if (values.json) await writeJsonLine({ origin: message.origin, ...result });
          position = message.position;
          done += 1;
          if (done % SAVE_EVERY === 0) await saveCheckpoint(checkpoint, position);
        }
        await rm(checkpoint.file, { force: true });
      }
      const summary = progress.done();
      process.stderr.write(
        `imported ${summary.imported}, duplicates skipped ${summary.duplicates}, failed ${summary.failed} in ${(summary.elapsedMs / 1000).toFixed(1)} s\n`,
      );
      for (const reason of failures.slice(0, 50)) process.stderr.write(`  failed: ${reason}\n`);
      if (failures.length > 50) process.stderr.write(`  … and ${failures.length - 50} more (GET /failed-messages lists them all)\n`);
      return summary.failed > 0 ? 1 : 0;
    } finally {
      clients.destroy();
    }
  },
};

interface Checkpoint {
  readonly file: string;
  /** The archive's size and modification time: a changed archive is read from its start. */
  readonly stamp: string;
}

export async function checkpointFile(dataDir: string | null, channelId: string, path: string): Promise<Checkpoint> {
  const absolute = resolve(path);
  const info = await stat(absolute).catch(() => null);
  const name = createHash('sha256').update(`${channelId}\n${absolute}`).digest('hex').slice(0, 24);
  const folder = join(dataDir ?? '.postroom', 'imports');
  return { file: join(folder, `${name}.json`), stamp: `${info?.size ?? 0}:${info?.mtimeMs ?? 0}` };
}

async function readCheckpoint(checkpoint: Checkpoint): Promise<ArchivePosition | undefined> {
  try {
    const saved = JSON.parse(await readFile(checkpoint.file, 'utf8')) as { stamp?: string; position?: ArchivePosition };
    return saved.stamp === checkpoint.stamp ? saved.position : undefined;
  } catch {
    return undefined;
  }
}

export async function saveCheckpoint(checkpoint: Checkpoint, position: ArchivePosition | undefined): Promise<void> {
  if (!position) return;
  await mkdir(dirname(checkpoint.file), { recursive: true });
  await writeFile(checkpoint.file, JSON.stringify({ stamp: checkpoint.stamp, position }));
}
