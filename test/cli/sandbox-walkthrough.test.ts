import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The quick start as a new user follows it: `npm start` in a folder where an earlier in-memory run
 * left mail in the outbox, then the commands of the README in a second terminal.
 */
const ROOT = join(import.meta.dirname, '../..');
const CLI = join(ROOT, 'cli/postroom.js');
const run = promisify(execFile);
const PORTS = ['SMTP', 'OUTBOX_SMTP', 'API', 'IMAP', 'POP3', 'CONSOLE'].map((p) => [`POSTROOM_${p}_PORT`, '0']);

let cwd: string;
let child: ChildProcess;
let banner: string;

async function postroom(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', [CLI, ...args], { cwd });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'postroom-walkthrough-'));
  await mkdir(join(cwd, '.postroom/outbox'), { recursive: true });
  await writeFile(join(cwd, '.postroom/outbox/from-last-run.eml'), 'Subject: an earlier run\r\n\r\nold\r\n');
  child = spawn('node', [CLI, 'start', '--quiet', '--config', join(ROOT, 'postroom.sandbox.json')], {
    cwd,
    env: { ...process.env, ...Object.fromEntries(PORTS) },
  });
  banner = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('postroom: ready\n')) resolve(out);
    });
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`exited ${code} before ready:\n${out}`)));
  });
}, 60_000);

afterAll(async () => {
  if (child?.exitCode !== null) return;
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGINT');
  await exited;
});

/** A banner line with what changes from run to run (ports, token characters) made alike. */
const alike = (line: string): string =>
  line
    .replace(/(127\.0\.0\.1|localhost):\d+/g, '$1:PORT')
    .replace(/\S+…/g, 'TOKEN…')
    .trimEnd();

describe('the sandbox a new user starts', () => {
  it('prints the banner the README shows, with no whole token in it', async () => {
    // Arrange
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const intro = 'Within a few seconds it prints the endpoints and `postroom: ready`:\n\n```\n';
    const shown = readme.slice(readme.indexOf(intro) + intro.length, readme.indexOf('```', readme.indexOf(intro) + intro.length));
    const tokens = await Promise.all((await readdir(join(cwd, '.postroom/tokens'))).map((user) => readFile(join(cwd, '.postroom/tokens', user), 'utf8')));
    // Without dovecot the mailbox lines differ, as the banner says.
    const mailboxOff = banner.includes('  mailbox     off');
    const comparable = (text: string) =>
      text
        .split('\n')
        .map(alike)
        .filter((l) => !(mailboxOff && /mailbox/.test(l)));
    // Assert
    expect(readme.indexOf(intro)).toBeGreaterThan(0);
    expect(comparable(banner)).toEqual(comparable(shown));
    expect(tokens).toHaveLength(4);
    for (const token of tokens) {
      expect(token.trim().length).toBeGreaterThan(20);
      expect(banner).not.toContain(token.trim().slice(0, Math.floor(token.trim().length / 4) + 1));
    }
  });

  it('starts with an empty outbox, not the mail of an earlier in-memory run', async () => {
    // Act
    const outbox = await postroom('outbox');
    // Assert
    expect(await readdir(join(cwd, '.postroom/outbox'))).not.toContain('from-last-run.eml');
    expect(outbox.stdout).toMatch(/^0 mail\(s\) in /);
  });

  it("sends as the --from sender of the README's walkthrough, so the reply goes to them by name", async () => {
    // Act
    const sent = await postroom('send', '--from', 'Vera Buyer <vera@bigcorp.example>', '--subject', 'Volume licence');
    const queued = await waitFor(async () =>
      (await postroom('queue', 'support', '--json')).stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((r) => r.subject === 'Volume licence'),
    );
    const replied = await postroom('reply', '--ticket', String(queued.ticketNumber), '--text', 'Hello Vera, we are on it.');
    const mail = JSON.parse((await postroom('outbox', '--json', '--last', '1')).stdout) as { to: string; text: string; subject: string };
    const bad = await postroom('send', '--from', 'Vera <not an address>');
    // Assert
    expect(sent.code).toBe(0);
    expect(queued.from).toEqual({ address: 'vera@bigcorp.example', name: 'Vera Buyer' });
    expect(JSON.parse(replied.stdout)).toMatchObject({ state: 'sent', to: ['vera@bigcorp.example'] });
    expect(mail.to).toBe('"Vera Buyer" <vera@bigcorp.example>');
    expect(mail.text).toContain('Hello Vera, we are on it.');
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('--from') });
  });

  it('knows a skill created through the API, and says a skill it does not have is unknown (exit 1)', async () => {
    // Arrange
    const info = JSON.parse(await readFile(join(cwd, '.postroom/sandbox.json'), 'utf8')) as { adminApi: { url: string; tokenFile: string } };
    const token = (await readFile(info.adminApi.tokenFile, 'utf8')).trim();
    const created = await fetch(`${info.adminApi.url}/skills`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'vip', description: 'Key accounts' }),
    });
    // Act
    const vip = await postroom('queue', 'vip');
    const unknown = await postroom('queue', 'nosuchskill');
    const none = await postroom('queue');
    // Assert
    expect(created.status).toBe(201);
    expect(vip).toMatchObject({ code: 0, stdout: '0 message(s) on vip\n' });
    expect(unknown).toMatchObject({
      code: 1,
      stdout: '',
      stderr: "postroom queue: unknown skill 'nosuchskill': the sandbox has support, billing, spam-review, vip\n",
    });
    expect(none).toMatchObject({ code: 2, stderr: expect.stringContaining('name a skill: support, billing, spam-review, vip') });
  });
});

async function waitFor<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 50; i++) {
    const found = await probe();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('not there in time');
}
