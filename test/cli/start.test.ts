import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const CLI = join(ROOT, 'cli/postroom.js');
const CONFIG = join(ROOT, 'postroom.sandbox.json');
const run = promisify(execFile);
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts `postroom start` and resolves with its output once it printed `postroom: ready`. */
function startCli(cwd: string, env: Record<string, string>): Promise<{ child: ChildProcess; output: () => string; readyMs: number }> {
  const started = Date.now();
  const child = spawn('node', [CLI, 'start', '--quiet', '--config', CONFIG], { cwd, env: { ...process.env, ...env } });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('postroom: ready')) resolve({ child, output: () => out, readyMs: Date.now() - started });
    });
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`exited ${code} before ready:\n${out}`)));
  });
}

describe('npm start (postroom start)', () => {
  it('gets ready, writes its endpoints, takes mail from `postroom send`, shows it with `postroom queue`, and stops on Ctrl-C', async () => {
    // Arrange
    const cwd = await mkdtemp(join(tmpdir(), 'postroom-start-'));

    // Act
    const { child, output, readyMs } = await startCli(cwd, { POSTROOM_SMTP_PORT: '0', POSTROOM_API_PORT: '0' });
    const sent = await run('node', [CLI, 'send', '--subject', 'Where is my parcel?'], { cwd });
    const queued = await run('node', [CLI, 'queue', 'support'], { cwd });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGINT');

    // Assert
    expect(readyMs).toBeLessThan(10_000);
    expect(output()).toMatch(/SMTP\s+127\.0\.0\.1:\d+/);
    expect(sent.stdout).toMatch(/250 Ok: queued as \w+/);
    expect(queued.stdout).toMatch(/new\s+human .*"Where is my parcel\?"/);
    expect(queued.stdout).toContain('1 message(s) on support');
    expect(await exited).toBe(0);
    expect(existsSync(join(cwd, '.postroom/sandbox.json'))).toBe(false);
  }, 30_000);

  it('says which port is taken instead of printing a stack trace', async () => {
    // Arrange
    const cwd = await mkdtemp(join(tmpdir(), 'postroom-start-'));
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = String((blocker.address() as { port: number }).port);

    // Act
    const error = await startCli(cwd, { POSTROOM_SMTP_PORT: port, POSTROOM_API_PORT: '0' }).then(
      () => null,
      (e: Error) => e,
    );
    blocker.close();

    // Assert
    expect(error?.message).toMatch(new RegExp(`SMTP port ${port} on 127\\.0\\.0\\.1 is already in use; .*POSTROOM_SMTP_PORT`));
    expect(error?.message).not.toMatch(/\n\s+at /);
  }, 30_000);

  it('explains how to start a sandbox when `postroom queue` finds none', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'postroom-start-'));
    const result = await run('node', [CLI, 'queue', 'support'], { cwd }).catch((e: { code: number; stderr: string }) => e);
    expect(result).toMatchObject({ code: 2, stderr: expect.stringContaining('npm start') });
  });
});
