import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const CONVERSATION = join(ROOT, 'test/fixtures/mail/conversation');

async function postroom(...args: string[]): Promise<{ code: number; lines: Record<string, unknown>[]; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', ['cli/postroom.js', ...args], { cwd: ROOT });
    return { code: 0, stdout, stderr, lines: parseLines(stdout) };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr, lines: parseLines(e.stdout) };
  }
}

function parseLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('postroom', () => {
  it('prints the package version with --version, and the usage alone, each with exit 0', async () => {
    // Arrange
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    // Act
    const version = await postroom('--version');
    const bare = await postroom();
    const unknown = await postroom('--versoin');
    // Assert
    expect(version).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    expect(bare).toMatchObject({ code: 0, stdout: expect.stringContaining('Usage: postroom <command>'), stderr: '' });
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown command '--versoin'") });
  });
});

describe('postroom inspect', () => {
  it('prints one JSON line per file, in order, with an error line for a file that is not mail', async () => {
    // Arrange
    const dir = await mkdtemp(join(tmpdir(), 'postroom-cli-'));
    const garbage = join(dir, 'garbage.eml');
    await writeFile(garbage, Buffer.from([0, 1, 2, 3, 255, 254, 10, 10, 0]));

    // Act
    const result = await postroom('inspect', join(CONVERSATION, '03-customer-reply.eml'), garbage, join(CONVERSATION, '06-out-of-office-unknown-parent.eml'));

    // Assert
    expect(result.code).toBe(0);
    expect(result.lines).toHaveLength(3);
    const [reply, bad, ooo] = result.lines;
    expect(reply).toMatchObject({
      messageId: 'CAF=q2.anna@mail.gmail.com',
      inReplyTo: 'a1.agent@example.test',
      references: ['q1.anna@customer.example', 'a1.agent@example.test'],
      subject: 'Re: Printer does not start [#0000013]',
      from: { address: 'anna@customer.example', name: 'Anna Customer' },
      lane: 'human',
      bounce: null,
      ticketNumber: '0000013',
      attachments: [],
    });
    expect(reply?.reply).toBe('That worked, thank you!');
    expect(String(reply?.text)).toContain('> Please hold the power button');
    expect(bad).toEqual({ file: garbage, error: expect.stringMatching(/malformed/) });
    expect(ooo).toMatchObject({ lane: 'out-of-office', laneReason: expect.any(String) });
  });

  it('exits 1 and says so for a file that does not exist, once and in words, and for a directory', async () => {
    const result = await postroom('inspect', 'no/such/file.eml', 'test');
    expect(result.code).toBe(1);
    expect(result.lines).toEqual([
      { file: 'no/such/file.eml', error: 'no such file (ENOENT)' },
      { file: 'test', error: 'a directory, not a file (EISDIR)' },
    ]);
  });

  it('has --help with examples', async () => {
    const result = await postroom('inspect', '--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Examples:');
  });
});

describe('postroom thread', () => {
  it('threads a conversation: reply headers, ticket number from a participant, a stranger, an unattached auto-reply', async () => {
    // Arrange
    const files = [
      '01-new-question.eml',
      '02-agent-answer.eml',
      '03-customer-reply.eml',
      '04-ticket-number-only.eml',
      '05-stranger-with-ticket-number.eml',
      '06-out-of-office-unknown-parent.eml',
    ].map((f) => join(CONVERSATION, f));

    // Act
    const { code, lines } = await postroom('thread', ...files);

    // Assert
    expect(code).toBe(0);
    expect(lines.map((l) => [l.conversation, l.ticketNumber, l.rule, l.isNew])).toEqual([
      ['conv-1', '0000013', 'new-conversation', true],
      ['conv-1', '0000013', 'in-reply-to', false],
      ['conv-1', '0000013', 'in-reply-to', false],
      ['conv-1', '0000013', 'ticket-number', false],
      [expect.not.stringMatching(/^conv-1$/), expect.not.stringMatching(/^0000013$/), 'new-conversation', true],
      [null, null, 'unattached', false],
    ]);
    expect(lines[4]?.flags).toContain('ticket-number-from-non-participant');
    expect(lines.map((l) => l.file)).toEqual(files);
  });

  it('names a second copy of a mail (same Message-ID) a duplicate of the first, in its conversation, opening nothing', async () => {
    // Arrange
    const question = join(CONVERSATION, '01-new-question.eml');
    const stranger = join(CONVERSATION, '05-stranger-with-ticket-number.eml');
    // Act
    const { code, lines } = await postroom('thread', question, question, join(CONVERSATION, '02-agent-answer.eml'), stranger);
    // Assert
    expect(code).toBe(0);
    expect(lines.map((l) => [l.conversation, l.rule, l.action, l.isNew])).toEqual([
      ['conv-1', 'new-conversation', 'new', true],
      ['conv-1', 'duplicate', 'duplicate', false],
      ['conv-1', 'in-reply-to', 'join', false],
      [expect.not.stringMatching(/^conv-1$/), 'new-conversation', 'new', true],
    ]);
    expect(lines[1]).toMatchObject({ duplicateOf: question, reason: expect.stringContaining('second copy') });
    expect(lines[0]?.duplicateOf).toBeUndefined();
  });

  it('follows the channel policy: ignore-in-reply-to threads by ticket number only', async () => {
    // Arrange
    const dir = await mkdtemp(join(tmpdir(), 'postroom-cli-'));
    const channel = join(dir, 'channel.json');
    await writeFile(channel, JSON.stringify({ id: 'sales', address: 'support@example.test', defaultSkill: 'sales', threading: 'ignore-in-reply-to' }));

    // Act
    const { lines } = await postroom(
      'thread',
      '--channel',
      channel,
      ...['01-new-question.eml', '03-customer-reply.eml', '07-reply-without-ticket-number.eml'].map((f) => join(CONVERSATION, f)),
    );

    // Assert: headers are not used; the ticket number is, and a reply without one opens a conversation
    expect(lines.map((l) => [l.conversation, l.rule])).toEqual([
      ['conv-1', 'new-conversation'],
      ['conv-1', 'ticket-number'],
      [expect.not.stringMatching(/^conv-1$/), 'new-conversation'],
    ]);
  });

  it('names the field and the problem when the channel settings are invalid', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'postroom-cli-'));
    const channel = join(dir, 'channel.json');
    await writeFile(channel, JSON.stringify({ id: 'x', address: 'not-an-address', defaultSkill: 'x', ticket: { placement: 'middle' } }));

    const result = await postroom('thread', '--channel', channel, join(CONVERSATION, '01-new-question.eml'));

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/address: .*email/i);
    expect(result.stderr).toMatch(/ticket\.placement: /);
  });
});
