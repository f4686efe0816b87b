import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoChannelDirectory } from '../../functions/adapters/dynamo-channel-directory.ts';
import { DynamoSuppressionList } from '../../functions/adapters/dynamo-suppression-list.ts';
import { startLocalAws, type LocalAws } from '../support/local-aws.ts';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../../cli/postroom.js');
let aws: LocalAws;
let cwd: string;

async function postroom(dir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', [CLI, 'suppression', ...args], { cwd: dir });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function sandboxDir(dynamodb: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'postroom-suppression-'));
  await mkdir(join(dir, '.postroom'));
  const info = {
    aws: { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, endpoints: { dynamodb, s3: dynamodb, sqs: dynamodb } },
    table: aws.tableName,
  };
  await writeFile(join(dir, '.postroom/sandbox.json'), JSON.stringify(info));
  return dir;
}

beforeAll(async () => {
  aws = await startLocalAws([]);
  // The sandbox's channels, as it seeds them; `sales` as one created through the API would be.
  const channels = new DynamoChannelDirectory(aws.db, aws.tableName, { clock: { now: () => new Date() }, cacheMs: 0 });
  for (const id of ['support', 'sales']) await channels.put({ id, address: `${id}@example.test`, defaultSkill: 'support' });
  cwd = await sandboxDir(aws.endpoints.dynamodb);
});
afterAll(async () => {
  await aws.stop();
});

describe('postroom suppression', () => {
  it('adds, lists and removes entries of a channel and of the account in the sandbox table', async () => {
    // Act
    const added = await postroom(cwd, 'add', 'Carla@Customer.example', '--channel', 'support', '--detail', 'asked to stop');
    const account = await postroom(cwd, 'add', 'dan@customer.example', '--account', '--reason', 'bounce', '--json');
    const listed = await postroom(cwd, 'list', '--channel', 'support');
    const listedJson = await postroom(cwd, 'list', '--account', '--json');
    const removed = await postroom(cwd, 'remove', 'carla@customer.example', '--channel', 'support');
    const removedAgain = await postroom(cwd, 'remove', 'carla@customer.example', '--channel', 'support', '--json');

    // Assert
    expect(added).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^carla@customer\.example is suppressed since \d{4}-\d\d-\d\d \(manual: asked to stop\)\n$/),
    });
    expect(JSON.parse(account.stdout)).toMatchObject({ address: 'dan@customer.example', scope: { kind: 'account' }, reason: 'bounce' });
    expect(listed.stdout).toMatch(
      /^carla@customer\.example\s+manual\s+since \d{4}-\d\d-\d\d {2}asked to stop\n1 suppressed address\(es\) \(channel support\)\n$/,
    );
    expect(
      listedJson.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).address),
    ).toEqual(['dan@customer.example']);
    expect(removed).toMatchObject({ code: 0, stdout: 'carla@customer.example is no longer suppressed (channel support)\n' });
    expect(removedAgain.code).toBe(1);
    expect(JSON.parse(removedAgain.stdout)).toMatchObject({ removed: false });
    const list = new DynamoSuppressionList(aws.db, aws.tableName);
    expect(await list.find('sales', 'dan@customer.example')).toMatchObject({ reason: 'bounce' });
    expect(await list.find('support', 'carla@customer.example')).toBeNull();
  }, 60_000);

  it("lists every list without a scope: the account-wide one, then each channel's", async () => {
    // Arrange
    await postroom(cwd, 'add', 'erin@customer.example', '--channel', 'sales', '--reason', 'complaint');
    // Act
    const all = await postroom(cwd, 'list');
    const json = await postroom(cwd, 'list', '--json');
    // Assert
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(
      /^dan@customer\.example\s+bounce .*\n1 suppressed address\(es\) \(account-wide\)\nerin@customer\.example\s+complaint .*\n1 suppressed address\(es\) \(channel sales\)\n0 suppressed address\(es\) \(channel support\)\n$/,
    );
    expect(
      json.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).address),
    ).toEqual(['dan@customer.example', 'erin@customer.example']);
  }, 60_000);

  it('says a channel the sandbox does not have is unknown (exit 1), naming those it has, for every command', async () => {
    // Act
    const answers = await Promise.all([
      postroom(cwd, 'list', '--channel', 'nope'),
      postroom(cwd, 'add', 'x@customer.example', '--channel', 'nope'),
      postroom(cwd, 'remove', 'x@customer.example', '--channel', 'nope'),
    ]);
    // Assert
    for (const answer of answers)
      expect(answer).toMatchObject({ code: 1, stdout: '', stderr: "postroom suppression: unknown channel 'nope': the sandbox has sales, support\n" });
    expect(await new DynamoSuppressionList(aws.db, aws.tableName).list({ kind: 'channel', channelId: 'nope' }, { limit: 10 })).toMatchObject({ entries: [] });
  }, 60_000);

  it('says what is wrong with the arguments', async () => {
    expect(await postroom(cwd, 'add', 'a@b.example')).toMatchObject({ code: 2, stderr: expect.stringContaining('--channel ID or --account') });
    expect(await postroom(cwd, 'list', '--cursor', 'a@b.example')).toMatchObject({ code: 2, stderr: expect.stringContaining('--cursor continues one list') });
    expect(await postroom(cwd, 'add', 'not-an-address', '--account')).toMatchObject({ code: 2, stderr: expect.stringContaining('is not an email address') });
    expect(await postroom(cwd, 'add', 'a@b.example', '--account', '--reason', 'spite')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--reason is one of'),
    });
    expect(await postroom(cwd, 'purge', '--account')).toMatchObject({ code: 2, stderr: expect.stringContaining('list, add or remove') });
  }, 60_000);

  it('explains how to start a sandbox when none runs, or when the one it knew has stopped', async () => {
    const none = await postroom(await mkdtemp(join(tmpdir(), 'postroom-none-')), 'list', '--account');
    const stale = await postroom(await sandboxDir('http://127.0.0.1:9'), 'list', '--account');
    expect(none).toMatchObject({ code: 2, stderr: expect.stringContaining('npm start') });
    expect(stale).toMatchObject({ code: 2, stderr: expect.stringMatching(/does not answer.*npm start/) });
  }, 60_000);

  it('has --help with examples', async () => {
    const help = await postroom(cwd, '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
  });
});
