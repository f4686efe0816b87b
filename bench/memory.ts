import { build } from 'esbuild';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MAIL_KINDS, generateMail, type MailKind } from './mails.ts';

const run = promisify(execFile);

export interface MemoryRow {
  readonly kind: MailKind;
  readonly bytes: number;
  /** RSS of the child after loading the code, before reading the mail. */
  readonly baselineMb: number;
  /** Peak RSS of the child over the whole run (getrusage maxrss). */
  readonly peakMb: number;
}

const MIB = 1024 * 1024;

/**
 * Peak RSS of deciding each mail, each in a fresh Node process so the peaks do not mix. The
 * child is bundled with esbuild first, as the Lambda code is, so no TypeScript loader sits in
 * the measured process.
 */
export async function measureMemory(kinds: readonly MailKind[] = MAIL_KINDS): Promise<MemoryRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'postroom-bench-mem-'));
  try {
    const child = join(dir, 'memory-child.mjs');
    await build({
      entryPoints: [join(import.meta.dirname, 'memory-child.ts')],
      outfile: child,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      mainFields: ['module', 'main'],
      logLevel: 'silent',
      banner: { js: "import { createRequire as __benchRequire } from 'node:module'; const require = __benchRequire(import.meta.url);" },
    });
    const rows: MemoryRow[] = [];
    for (const kind of kinds) {
      const file = join(dir, `${kind}.eml`);
      const raw = generateMail(kind);
      await writeFile(file, raw);
      const { stdout } = await run(process.execPath, [child, file], { maxBuffer: MIB });
      const out = JSON.parse(stdout) as { baselineRss: number; peakRss: number };
      rows.push({ kind, bytes: raw.byteLength, baselineMb: out.baselineRss / MIB, peakMb: out.peakRss / MIB });
      await rm(file);
    }
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
