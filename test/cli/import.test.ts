import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoConversationAdmin } from '../../functions/adapters/dynamo-conversation-admin.ts';
import { checkpointFile, saveCheckpoint } from '../../functions/cli/import.ts';
import { startSeededLocalAws, type LocalAws } from '../support/local-aws.ts';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../../cli/postroom.js');
const CORPUS = join(import.meta.dirname, '../../../shared/corpus');
let aws: LocalAws;
let cwd: string;

async function postroom(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', [CLI, 'import', ...args], { cwd, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** mboxrd: each message after a `From ` separator line, body lines starting with `>*From ` quoted once more. */
function mbox(mails: readonly string[]): string {
  return mails.map((m) => `From import@example.com Mon Jan  5 09:00:00 2026\n${m.replace(/\r\n/g, '\n').replace(/^(>*From )/gm, '>$1')}\n`).join('');
}

beforeAll(async () => {
  aws = await startSeededLocalAws();
  cwd = await mkdtemp(join(tmpdir(), 'postroom-import-cli-'));
  await mkdir(join(cwd, '.postroom'));
  const info = {
    aws: { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, endpoints: aws.endpoints },
    table: aws.tableName,
    bucket: aws.bucket,
    queues: aws.queueUrls,
    outboundQueue: { url: aws.outbound.queueUrl, deadLetterUrl: '' },
    dataDir: null,
  };
  await writeFile(join(cwd, '.postroom/sandbox.json'), JSON.stringify(info));
});

afterAll(async () => {
  await aws.stop();
  await rm(cwd, { recursive: true, force: true });
});

// Each case starts the CLI several times (tsx compiles the sources at every start).
const CLI_TIMEOUT = { timeout: 90_000 };

describe('npx postroom import', () => {
  it(
    'imports a real thread, an automatic mail and a duplicate as closed conversations, queues nothing, and a second run finds each message once',
    CLI_TIMEOUT,
    async () => {
      const thread = await Promise.all(
        ['01.eml', '02.eml', 'foo_cur_07.eml', 'foo_baz_11.eml', 'cur_40.eml'].map((f) => readFile(join(CORPUS, 'notmuch/default', f), 'utf8')),
      );
      const automatic = readdirSync(join(CORPUS, 'alaveteli/eml')).sort()[0] ?? '';
      const mails = [...thread, await readFile(join(CORPUS, 'alaveteli/eml', automatic), 'utf8'), thread[1] ?? ''];
      const file = join(cwd, 'old.mbox');
      await writeFile(file, mbox(mails));
      await aws.drain(aws.queueUrls.support ?? '');

      const first = await postroom('--channel', 'support', file, '--json');
      const second = await postroom('--channel', 'support', file);
      const lines = first.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { outcome: string; conversationId: string | null });
      const admin = new DynamoConversationAdmin(aws.db, aws.tableName);
      const threadConversation = lines[0]?.conversationId ?? '';

      expect(first.code).toBe(0);
      expect(lines.map((l) => l.outcome)).toEqual([...mails.slice(0, -1).map(() => 'imported'), 'duplicate']);
      expect(new Set(lines.slice(0, 5).map((l) => l.conversationId))).toEqual(new Set([threadConversation]));
      expect((await admin.get(threadConversation))?.status).toBe('closed');
      expect(first.stderr).toMatch(new RegExp(`imported ${mails.length - 1}, duplicates skipped 1, failed 0`));
      expect(second.stderr).toMatch(new RegExp(`imported 0, duplicates skipped ${mails.length}, failed 0`));
      expect(await aws.drain(aws.queueUrls.support ?? '')).toEqual([]);
      expect(await aws.drain(aws.outbound.queueUrl)).toEqual([]);
    },
  );

  it('resumes an interrupted run after the last message it finished, and refuses what it cannot read with a clear message', CLI_TIMEOUT, async () => {
    const mails = await Promise.all(
      ['bar_17.eml', 'bar_18.eml', 'bar_baz_05.eml', 'bar_baz_23.eml'].map((f) => readFile(join(CORPUS, 'notmuch/default', f), 'utf8')),
    );
    const file = join(cwd, 'interrupted.mbox');
    const text = mbox(mails);
    await writeFile(file, text);
    // As a run stopped after two messages leaves it: the byte offset of the third separator.
    const third = text.split('From import@example.com').slice(0, 3).join('From import@example.com').length;
    await saveCheckpoint(await checkpointFile(join(cwd, '.postroom'), 'support', join(cwd, 'interrupted.mbox')), { kind: 'mbox', offset: third, index: 2 });

    const resumed = await run('node', [CLI, 'import', '--channel', 'support', 'interrupted.mbox', '--json'], { cwd }).then(
      (r) => r,
      (e: { stdout: string; stderr: string }) => e,
    );
    const missing = await postroom('--channel', 'support', join(cwd, 'nope.mbox'));
    const noChannel = await postroom('--channel', 'nope', file);

    expect(resumed.stderr).toMatch(/resuming after message 2/);
    expect(resumed.stdout.trim().split('\n')).toHaveLength(2);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/nope\.mbox/);
    expect(noChannel.stderr).toMatch(/no channel nope/);
  });
});
