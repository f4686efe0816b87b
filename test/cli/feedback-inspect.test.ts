import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const REAL = join(ROOT, 'test/fixtures/ses-events/real');
const KINDS = ['bounce', 'complaint', 'delivery', 'delay', 'reject', 'rendering-failure', 'ignored'];
const ACTIONS = ['suppress', 'count', 'none'];

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function postroom(...args: string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await run('node', ['cli/postroom.js', ...args], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function lines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

let dir: string;
let files: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'postroom-feedback-'));
  files = (await readdir(REAL)).filter((f) => f.endsWith('.json')).sort();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('npx postroom feedback inspect FILE...', () => {
  it('prints one line per payload in the exact shape, for every collected payload, in file order', async () => {
    // Act
    const result = await postroom('feedback', 'inspect', ...files.map((f) => join(REAL, f)));

    // Assert
    expect(result.code).toBe(0);
    const out = lines(result.stdout);
    expect(out.map((l) => l.file)).toEqual(files.map((f) => join(REAL, f)));
    for (const line of out) {
      if ('error' in line) {
        expect(Object.keys(line).sort()).toEqual(['error', 'file']);
        expect(typeof line.error).toBe('string');
        continue;
      }
      expect(Object.keys(line).sort()).toEqual(['file', 'kind', 'messageId', 'recipients']);
      expect(KINDS).toContain(line.kind);
      expect(line.messageId === null || typeof line.messageId === 'string').toBe(true);
      for (const r of line.recipients as Record<string, unknown>[]) {
        expect(Object.keys(r).sort()).toEqual(['action', 'address', 'smtpStatus']);
        expect(ACTIONS).toContain(r.action);
      }
    }
    const byName = Object.fromEntries(out.map((l) => [String(l.file).split('/').pop(), l]));
    expect(byName['notify-soft-bounce-transient-5xx.json']).toEqual({
      file: join(REAL, 'notify-soft-bounce-transient-5xx.json'),
      kind: 'bounce',
      messageId: 'ref-soft-5xx',
      recipients: [{ address: 'bounce@simulator.amazonses.com', smtpStatus: '5.1.1', action: 'count' }],
    });
    expect(byName['constructed-pascalcase-record.json']).toMatchObject({
      kind: 'complaint',
      recipients: [{ address: 'complaint@simulator.amazonses.com', smtpStatus: null, action: 'suppress' }],
    });
    expect(byName['listmonk-issue-1463-transient-5xx-no-mail.json']).toMatchObject({ kind: 'bounce', messageId: null, recipients: [{ action: 'count' }] });
    expect(byName['constructed-eventbridge-delivery-delay.json']).toMatchObject({ kind: 'delay', recipients: [{ smtpStatus: '4.4.1', action: 'none' }] });
    expect(byName['anymail-rendering-failure.json']).toMatchObject({ kind: 'rendering-failure' });
    expect(byName['laravel-ses-reject-pretty.json']).toMatchObject({ kind: 'reject' });
    for (const control of [
      'anymail-setup-validated.json',
      'constructed-raw-setup-notice.json',
      'anymail-subscription-confirmation.json',
      'anymail-unsubscribe-confirmation.json',
      'otel-sns-test-message.json',
    ]) {
      expect(byName[control]).toMatchObject({ kind: 'ignored', messageId: null, recipients: [] });
    }
    expect(byName['anymail-inbound-received-on-tracking-topic.json']).toEqual({
      file: join(REAL, 'anymail-inbound-received-on-tracking-topic.json'),
      error: expect.stringContaining("an SES receipt notification ('Received'), not delivery feedback"),
    });
    expect(new Set(out.map((l) => l.kind))).toEqual(new Set([...KINDS, undefined]));
  }, 60_000);

  it('gives {file, error} with a clear reason for what is no SES event, goes on, and exits 1 for a file it cannot read', async () => {
    // Arrange
    const garbage = join(dir, 'garbage.json');
    const stranger = join(dir, 'stranger.json');
    await writeFile(garbage, '{"eventType": "Bounce", "bou');
    await writeFile(stranger, JSON.stringify({ Type: 'Notification', TopicArn: 'arn:aws:sns:eu-west-1:1:t', Message: '{"orderId": 42}' }));
    const missing = join(dir, 'missing.json');

    // Act
    const result = await postroom('feedback', 'inspect', garbage, missing, stranger, join(REAL, 'sisimai-amazonses-01.json'));

    // Assert
    expect(result.code).toBe(1);
    expect(lines(result.stdout)).toEqual([
      { file: garbage, error: 'validation: the message body is not JSON' },
      { file: missing, error: 'no such file (ENOENT)' },
      { file: stranger, error: 'validation: not an SES event record: no eventType or notificationType, and no event object to tell it' },
      {
        file: join(REAL, 'sisimai-amazonses-01.json'),
        kind: 'bounce',
        messageId: '01010157e48f9b9b-891e9a0e-9c9d-4773-9bfe-608f2ef4756d-000000',
        recipients: [{ address: 'bounce@simulator.amazonses.com', smtpStatus: '5.1.1', action: 'suppress' }],
      },
    ]);
  }, 30_000);

  it('explains itself and refuses a missing subcommand or file list', async () => {
    const help = await postroom('feedback', '--help');
    const none = await postroom('feedback');
    const noFiles = await postroom('feedback', 'inspect');
    const usage = await postroom('--help');

    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: postroom feedback inspect FILE...');
    expect(help.stdout).toContain('{"file", "kind", "messageId", "recipients": [{"address", "smtpStatus", "action"}]}');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('name a command: inspect');
    expect(noFiles.code).toBe(2);
    expect(noFiles.stderr).toContain('no files given');
    expect(usage.stdout).toMatch(/feedback\s+read SES event payloads/);
  }, 30_000);
});
