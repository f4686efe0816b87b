import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxClients } from '../../functions/cli/sandbox-clients.ts';
import { PostroomConfigSchema } from '../../functions/core/model/postroom-config.ts';
import { startSandbox, type Sandbox } from '../../functions/local/sandbox.ts';
import { sendToSandbox, takeFromSandbox } from '../support/sandbox.ts';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../../cli/postroom.js');
const config = PostroomConfigSchema.parse({
  domains: ['example.test'],
  skills: ['support'],
  channels: [{ id: 'support', address: 'support@example.test', name: 'Example Support', defaultSkill: 'support' }],
});
let sandbox: Sandbox;
let cwd: string;

async function postroom(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', [CLI, ...args], { cwd, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'postroom-privacy-cli-'));
  sandbox = await startSandbox({ config, smtpPort: 0, outboxSmtpPort: 0, apiPort: null, logLevel: 'SILENT', stateFile: join(cwd, '.postroom/sandbox.json') });
});

afterAll(async () => {
  await sandbox?.stop();
  await rm(cwd, { recursive: true, force: true });
});

// Each case starts the CLI more than once (tsx compiles the sources at every start).
const CLI_TIMEOUT = { timeout: 90_000 };

describe('npx postroom export and erase', () => {
  it("exports a customer's mail as a zip with progress, then erases it; erasing again is harmless", CLI_TIMEOUT, async () => {
    // Arrange
    await sendToSandbox(sandbox.info, {
      from: 'Carla Customer <carla@customer.example>',
      to: 'support@example.test',
      subject: 'Broken lamp',
      text: 'It flickers since Monday.',
      messageId: '<lamp1@customer.example>',
    });
    const [pointer] = await takeFromSandbox(sandbox.info);

    // Act
    const exported = await postroom('export', '--address', 'CARLA@customer.example', '--out', 'out/carla.zip');
    const erased = await postroom('erase', '--address', 'carla@customer.example', '--json');
    const again = await postroom('erase', '--address', 'carla@customer.example', '--json');
    const listed = await postroom('suppression', 'list', '--account');

    // Assert: the export
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stderr).toMatch(/^export [0-9a-f-]+: scan \d+% \(\d+ items read\)$/m);
    expect(exported.stderr).toMatch(/: done 100%/);
    expect(exported.stdout).toMatch(/out\/carla\.zip: \d+ bytes, .*conversations 1/);
    const zip = unzipSync(new Uint8Array(await readFile(join(cwd, 'out/carla.zip'))));
    const manifest = JSON.parse(Buffer.from(zip['manifest.json'] ?? new Uint8Array()).toString('utf8')) as { address: string; counts: Record<string, number> };
    expect(manifest).toMatchObject({ address: 'carla@customer.example', counts: { conversations: 1, messages: 1, rawMails: 1 } });
    const eml = Object.keys(zip).find((f) => f.endsWith('.eml'));
    expect(Buffer.from(zip[eml ?? ''] ?? new Uint8Array()).toString('utf8')).toContain('It flickers since Monday.');
    // Assert: the erasure
    expect(erased.code, erased.stderr).toBe(0);
    const result = JSON.parse(erased.stdout) as { status: string; address: string | null; counts: Record<string, number> };
    expect(result).toMatchObject({ status: 'done', address: null, counts: { conversationsDeleted: 1, messagesErased: 1, exportsDeleted: 1 } });
    expect(again.code).toBe(0);
    expect((JSON.parse(again.stdout) as { counts: Record<string, number> }).counts).not.toHaveProperty('conversationsDeleted');
    expect(listed.stdout).toMatch(/^sha256:[0-9a-f]{64} \(hashed\)\s+erasure/m);
    const clients = sandboxClients(sandbox.info);
    try {
      const items = (await clients.db.send(new ScanCommand({ TableName: sandbox.info.table, ConsistentRead: true }))).Items ?? [];
      expect(JSON.stringify(items)).not.toContain('carla@');
      expect(items.some((i) => i.pk === `CONV#${pointer?.conversationId}`)).toBe(false);
    } finally {
      clients.destroy();
    }
  });

  it('refuses an address that is not one, and a missing --out, with a usage error', CLI_TIMEOUT, async () => {
    // Act
    const bad = await postroom('erase', '--address', 'carla at customer');
    const noOut = await postroom('export', '--address', 'carla@customer.example');
    // Assert
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("--address: 'carla at customer' is not an email address");
    expect(noOut.code).not.toBe(0);
    expect(noOut.stderr).toContain('--out FILE.zip');
  });
});
