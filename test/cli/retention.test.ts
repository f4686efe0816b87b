import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoChannelDirectory } from '../../functions/adapters/dynamo-channel-directory.ts';
import { DynamoConversationStore } from '../../functions/adapters/dynamo-conversation-store.ts';
import { DynamoLegalHolds } from '../../functions/adapters/dynamo-legal-holds.ts';
import { receiveMail } from '../../functions/core/inbound/receive-mail.ts';
import { TestClock, customerMail, inboundDeps, inboundMail } from '../support/inbound-deps.ts';
import { EXAMPLE_CONFIG, startLocalAws, type LocalAws } from '../support/local-aws.ts';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../../cli/postroom.js');
const T0 = new Date('2027-01-10T10:00:00.000Z');
let aws: LocalAws;
let cwd: string;
let expiring: { conversationId: string; rawKey: string };
let held: string;

async function postroom(dir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', [CLI, 'retention', ...args], { cwd: dir });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function sandboxDir(dynamodb: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'postroom-retention-'));
  await mkdir(join(dir, '.postroom'));
  const info = {
    aws: {
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      endpoints: { dynamodb, s3: aws.endpoints.s3, sqs: aws.endpoints.sqs },
    },
    table: aws.tableName,
    bucket: aws.bucket,
    retention: { mailDays: 30, failedMailDays: 14, uploadDays: 30, auditDays: 400 },
  };
  await writeFile(join(dir, '.postroom/sandbox.json'), JSON.stringify(info));
  return dir;
}

/** A conversation opened by a customer's mail at T0, kept 30 days. */
async function open(label: string, from: string): Promise<{ conversationId: string; rawKey: string }> {
  const mail = { ...inboundMail(label), receivedAt: T0.toISOString() };
  await aws.putRaw(mail.rawKey, customerMail({ messageId: `${label}@customer.example`, from }));
  const deps = inboundDeps(aws, new TestClock(T0), { conversations: new DynamoConversationStore(aws.db, aws.tableName, { retention: { mailDays: 30 } }) });
  const outcome = await receiveMail(deps, mail);
  if (outcome.status === 'failed' || !outcome.conversationId) throw new Error('not opened');
  return { conversationId: outcome.conversationId, rawKey: mail.rawKey };
}

beforeAll(async () => {
  aws = await startLocalAws(EXAMPLE_CONFIG.skills.map((s) => s.name));
  const directory = new DynamoChannelDirectory(aws.db, aws.tableName, { clock: new TestClock(), cacheMs: 0 });
  for (const channel of EXAMPLE_CONFIG.channels) await directory.put(channel);
  expiring = await open('cli-expiring', 'Carla <carla@customer.example>');
  held = (await open('cli-held', 'Dan <dan@customer.example>')).conversationId;
  await new DynamoLegalHolds(aws.db, aws.tableName).place(held, { since: T0.toISOString(), by: 'admin', reason: 'case 1' });
  cwd = await sandboxDir(aws.endpoints.dynamodb);
}, 60_000);
afterAll(async () => {
  await aws.stop();
});

const conversation = async (id: string) =>
  (await aws.db.send(new GetCommand({ TableName: aws.tableName, Key: { pk: `CONV#${id}`, sk: 'CONV' }, ConsistentRead: true }))).Item;
const exists = (key: string) =>
  aws.s3.send(new HeadObjectCommand({ Bucket: aws.bucket, Key: key })).then(
    () => true,
    () => false,
  );

describe('postroom retention sweep', () => {
  it('expires nothing before its time, then the due conversation with its mail, leaving the held one, and prints what it expired', async () => {
    // Act
    const early = await postroom(cwd, 'sweep', '--now', '2027-02-01T00:00:00Z');
    const keptEarly = await conversation(expiring.conversationId);
    const due = await postroom(cwd, 'sweep', '--now', '2027-03-01T00:00:00Z');
    const again = await postroom(cwd, 'sweep', '--now', '2027-03-01T00:00:00Z', '--json');
    // Assert
    expect(early).toMatchObject({ code: 0 });
    expect(early.stdout).not.toContain(expiring.conversationId);
    expect(early.stdout).toBe('swept as of 2027-02-01T00:00:00.000Z: 0 item(s) expired (nothing was due)\n');
    expect(keptEarly).toBeDefined();
    expect(due.code).toBe(0);
    expect(due.stdout).toMatch(
      new RegExp(`^expired conversation ${expiring.conversationId} \\(ticket \\d{7}, channel support\\): 1 message\\(s\\), \\d+ object\\(s\\)$`, 'm'),
    );
    expect(due.stdout).toMatch(/^swept as of 2027-03-01T00:00:00\.000Z: \d+ item\(s\) expired$/m);
    expect(due.stdout).not.toContain(held);
    expect(due.stdout).not.toMatch(/carla|dan@/i);
    expect(await conversation(expiring.conversationId)).toBeUndefined();
    expect(await exists(expiring.rawKey)).toBe(false);
    expect(await conversation(held)).toMatchObject({ legalHold: { reason: 'case 1' } });
    expect(JSON.parse(again.stdout)).toMatchObject({ now: '2027-03-01T00:00:00.000Z', expired: [], kept: 0 });
  }, 60_000);

  it('says what is wrong with the arguments, and how to start a sandbox when none runs', async () => {
    expect(await postroom(cwd)).toMatchObject({ code: 2, stderr: expect.stringContaining('name a command: sweep') });
    expect(await postroom(cwd, 'sweep', '--now', 'tomorrow')).toMatchObject({ code: 2, stderr: expect.stringContaining('--now takes an ISO 8601 time') });
    expect(await postroom(cwd, 'sweep', '--now', '2027-03-01')).toMatchObject({ code: 2, stderr: expect.stringContaining('with its zone') });
    expect(await postroom(cwd, 'sweep', 'extra')).toMatchObject({ code: 2, stderr: expect.stringContaining('unexpected arguments') });
    const none = await postroom(await mkdtemp(join(tmpdir(), 'postroom-none-')), 'sweep');
    expect(none).toMatchObject({ code: 2, stderr: expect.stringContaining('npm start') });
    const stale = await postroom(await sandboxDir('http://127.0.0.1:9'), 'sweep');
    expect(stale).toMatchObject({ code: 2, stderr: expect.stringMatching(/does not answer.*npm start/) });
  }, 60_000);
});
