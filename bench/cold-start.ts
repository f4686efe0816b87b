import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { median } from './stats.ts';

const run = promisify(execFile);

export interface BundleRow {
  /** The construct path, e.g. `Postroom/Inbound/Process/Function/Resource`. */
  readonly path: string;
  readonly file: string;
  readonly bytes: number;
  readonly sourceMapBytes: number;
  readonly memoryMb: number | null;
  readonly architecture: string | null;
}

export interface ColdStartResult {
  /** Where the bundles came from: a fresh `cdk.out` or a synth into a temporary folder. */
  readonly source: 'cdk.out' | 'synth';
  readonly bundles: readonly BundleRow[];
  /** Median ms to import the inbound bundle in a fresh process, with `--enable-source-maps` as deployed. */
  readonly importMs: number;
  /** The same without source maps. */
  readonly importMsNoSourceMaps: number;
  readonly runs: number;
  /** The inbound function's configured memory (MB), for the cost figures. */
  readonly inboundMemoryMb: number;
  /** Median ms to import the admin API bundle (mailparser, nodemailer and the Encryption SDK load lazily), with source maps; null without one. */
  readonly adminImportMs: number | null;
  readonly adminImportMsNoSourceMaps: number | null;
}

interface TemplateResource {
  readonly Type: string;
  readonly Metadata?: Record<string, unknown>;
  readonly Properties?: { Code?: { S3Key?: unknown }; MemorySize?: number; Architectures?: string[] };
}

const ROOT = join(import.meta.dirname, '..');
const INPUTS = ['functions', 'lib', 'bin', 'package-lock.json', 'postroom.config.json', 'cdk.json'];

async function newestMtime(path: string): Promise<number> {
  const info = await stat(path).catch(() => null);
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  const entries = await readdir(path, { recursive: true });
  const times = await Promise.all(entries.map((e) => stat(join(path, e)).then((s) => s.mtimeMs, () => 0)));
  return Math.max(info.mtimeMs, ...times);
}

/** Bundles per Lambda function of a cloud assembly; null when an asset is missing (a stale assembly). */
async function bundlesOf(out: string): Promise<BundleRow[] | null> {
  const template = JSON.parse(await readFile(join(out, 'Postroom.template.json'), 'utf8')) as { Resources: Record<string, TemplateResource> };
  const rows: BundleRow[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const key = resource.Properties?.Code?.S3Key;
    const dir = join(out, `asset.${String(key).replace(/\.zip$/, '')}`);
    const file = ['index.mjs', 'index.js'].map((f) => join(dir, f)).find((f) => existsSync(f));
    if (!file) return null;
    rows.push({
      path: String(resource.Metadata?.['aws:cdk:path'] ?? id), file, bytes: (await stat(file)).size,
      sourceMapBytes: await stat(`${file}.map`).then((s) => s.size, () => 0),
      memoryMb: resource.Properties?.MemorySize ?? null, architecture: resource.Properties?.Architectures?.[0] ?? null,
    });
  }
  return rows;
}

/** Time to import `file` in a fresh Node process, measured inside it (ms). */
async function importOnce(file: string, sourceMaps: boolean): Promise<number> {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  const env = {
    PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', TABLE_NAME: 'postroom', RAW_MAIL_BUCKET: 'postroom-mail',
    SKILL_QUEUE_URLS: JSON.stringify({ support: 'https://sqs.us-east-1.amazonaws.com/000000000000/support.fifo' }),
    // The admin function's environment (the inbound one ignores these).
    DOMAINS: 'example.com', SKILL_QUEUE_PREFIX: 'postroom-skill-', RECEIPT_RULE_SET: 'postroom', RAW_MAIL_PREFIX: 'inbound/raw/',
    INBOUND_FUNCTION_ARN: 'arn:aws:lambda:us-east-1:000000000000:function:inbound',
    CREDENTIAL_KEY_ARN: 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-0000-0000-000000000000',
  };
  const args = [...(sourceMaps ? ['--enable-source-maps'] : []), '--input-type=module', '-e', script];
  const { stdout } = await run(process.execPath, args, { env });
  return Number(stdout);
}

/**
 * Bundle sizes of every Lambda function and the import time of the inbound bundle. Reuses
 * `cdk.out` when it is newer than every input and holds every asset; otherwise runs
 * `cdk synth -q` into a temporary folder (about 8 s).
 */
export async function measureColdStart(options: { readonly runs: number }): Promise<ColdStartResult> {
  const cdkOut = join(ROOT, 'cdk.out');
  const inputsAt = Math.max(...(await Promise.all(INPUTS.map((p) => newestMtime(join(ROOT, p))))));
  const builtAt = await stat(join(cdkOut, 'manifest.json')).then((s) => s.mtimeMs, () => 0);
  let bundles = builtAt > inputsAt ? await bundlesOf(cdkOut).catch(() => null) : null;
  const source = bundles ? 'cdk.out' : 'synth';
  const temp = bundles ? null : await mkdtemp(join(tmpdir(), 'postroom-bench-synth-'));
  try {
    if (temp) {
      await run(join(ROOT, 'node_modules/.bin/cdk'), ['synth', '-q', '--output', temp], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
      bundles = await bundlesOf(temp);
    }
    if (!bundles) throw new Error('cdk synth produced no function bundles');
    const inbound = bundles.find((b) => b.path.includes('/Inbound/'));
    if (!inbound) throw new Error('no inbound function in the cloud assembly');
    const withMaps: number[] = [];
    const without: number[] = [];
    const admin = bundles.find((b) => b.path.includes('/AdminApi/'));
    const adminWithMaps: number[] = [];
    const adminWithout: number[] = [];
    for (let i = 0; i < options.runs; i++) {
      withMaps.push(await importOnce(inbound.file, true));
      without.push(await importOnce(inbound.file, false));
      if (admin) {
        adminWithMaps.push(await importOnce(admin.file, true));
        adminWithout.push(await importOnce(admin.file, false));
      }
    }
    return {
      source, bundles: bundles.map((b) => ({ ...b, file: b.file.replace(temp ?? ROOT, temp ? '<synth>' : '.') })),
      importMs: median(withMaps), importMsNoSourceMaps: median(without), runs: options.runs, inboundMemoryMb: inbound.memoryMb ?? 128,
      adminImportMs: admin ? median(adminWithMaps) : null, adminImportMsNoSourceMaps: admin ? median(adminWithout) : null,
    };
  } finally {
    if (temp) await rm(temp, { recursive: true, force: true });
  }
}
