import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import {
  FUNCTION_ROLES,
  type FunctionRole,
  type PackageBytes,
  bundleFlags,
  groupPackages,
  installedDependencies,
  packageBytes,
  roleOf,
  sumByGroup,
} from './bundle-packages.ts';
import { measureFirstMail, type FirstMailResult } from './first-mail.ts';
import { type MappedFile, profileImport, selfTimeByPackage } from './import-profile.ts';
import { decodeMappings, type SourceMapV3 } from './source-map.ts';
import { median, round } from './stats.ts';

const run = promisify(execFile);

export interface BundleRow {
  /** The construct path, e.g. `Postroom/Inbound/Process/Function/Resource`. */
  readonly path: string;
  /** Which Postroom function (by construct path); null for CDK's own functions (custom resource providers). */
  readonly role: FunctionRole | null;
  readonly file: string;
  /** Bytes the import loads: `index.mjs` and the chunks it imports statically (code splitting). */
  readonly bytes: number;
  /** Every file of the asset: the chunks loaded on first use and the lazily required files too. */
  readonly assetBytes: number;
  /** Output files the import loads (`index.mjs` first). */
  readonly files: number;
  readonly sourceMapBytes: number;
  readonly memoryMb: number | null;
  readonly architecture: string | null;
  /** npm packages in what the import loads, with the bytes they take (from the source maps), largest first; empty without maps. */
  readonly packages: readonly PackageBytes[];
  /** Packages the bundle carries but must not, or lacks (`BUNDLE_RULES`): empty when it keeps its rules. */
  readonly flags: readonly string[];
}

/** Where the import time of one bundle goes, from one profiled import: self time per package group. */
export interface ImportShare {
  readonly group: string;
  readonly ms: number;
}

/** Import of one Postroom function's bundle in fresh processes. */
export interface ImportRow {
  readonly path: string;
  readonly role: FunctionRole;
  /** Median ms as deployed: with `--enable-source-maps` only if the template's `NODE_OPTIONS` has it. */
  readonly importMs: number;
  /** Whether the deployed `NODE_OPTIONS` enables source maps. */
  readonly sourceMaps: boolean;
  /** Median ms with `--enable-source-maps`. */
  readonly importMsSourceMaps: number;
  readonly importMsNoSourceMaps: number;
  /** The environment variables the import ran with (from the template, tokens replaced). */
  readonly env: readonly string[];
  /** The import as measured inside the profiled process (the profiler slows it). */
  readonly profiledMs: number;
  /** Self time of the profiled import by package group, largest first. */
  readonly byGroup: readonly ImportShare[];
  /** The largest packages by self time. */
  readonly topPackages: readonly ImportShare[];
  /** Bundle bytes by the same groups: V8's compile of the whole file (`compileSourceTextModule`) goes roughly by size. */
  readonly bytesByGroup: readonly { readonly group: string; readonly bytes: number }[];
}

export interface ColdStartResult {
  /** Where the bundles came from: a fresh `cdk.out` or a synth into a temporary folder. */
  readonly source: 'cdk.out' | 'synth';
  readonly bundles: readonly BundleRow[];
  /** Median ms to import the inbound bundle in a fresh process, as deployed (see `ImportRow.sourceMaps`). */
  readonly importMs: number;
  /** The same without source maps. */
  readonly importMsNoSourceMaps: number;
  /** The inbound function's import plus its first mail in fresh processes (local servers), as deployed; null when skipped. */
  readonly firstMail: FirstMailResult | null;
  /** Every Postroom function of the assembly, inbound first. */
  readonly imports: readonly ImportRow[];
  /** Postroom functions the assembly has none of (e.g. a handler without a construct yet). */
  readonly missing: readonly FunctionRole[];
  readonly runs: number;
  /** The inbound function's configured memory (MB), for the cost figures. */
  readonly inboundMemoryMb: number;
}

interface TemplateResource {
  readonly Type: string;
  readonly Metadata?: Record<string, unknown>;
  readonly Properties?: {
    Code?: { S3Key?: unknown };
    MemorySize?: number;
    Architectures?: string[];
    Environment?: { Variables?: Record<string, unknown> };
    FifoQueue?: boolean;
    QueueName?: unknown;
  };
}

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const PSEUDO: Record<string, string> = {
  'AWS::Region': REGION,
  'AWS::AccountId': ACCOUNT,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'Postroom',
};

/** A plausible value of `{ Ref: id }`: what CloudFormation returns for the resource's type. */
function refValue(id: string, resource: TemplateResource | undefined): string {
  const name = id.toLowerCase();
  switch (resource?.Type) {
    case 'AWS::SQS::Queue':
      return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}${resource.Properties?.FifoQueue ? '.fifo' : ''}`;
    case 'AWS::KMS::Key':
      return '00000000-0000-4000-8000-000000000000';
    case 'AWS::SNS::Topic':
      return `arn:aws:sns:${REGION}:${ACCOUNT}:${name}`;
    default:
      return name;
  }
}

/** A plausible value of `{ Fn::GetAtt: [id, attribute] }`. */
function attributeValue(id: string, attribute: string, resource: TemplateResource | undefined): string {
  const type = resource?.Type ?? '';
  const service = type.split('::')[1]?.toLowerCase() ?? 'unknown';
  if (attribute === 'QueueUrl') return refValue(id, resource);
  if (attribute === 'QueueName') return `${id.toLowerCase()}${resource?.Properties?.FifoQueue ? '.fifo' : ''}`;
  if (attribute === 'Arn' && type === 'AWS::KMS::Key') return `arn:aws:kms:${REGION}:${ACCOUNT}:key/${refValue(id, resource)}`;
  if (attribute === 'Arn' && type === 'AWS::SQS::Queue') return `arn:aws:sqs:${REGION}:${ACCOUNT}:${attributeValue(id, 'QueueName', resource)}`;
  if (attribute === 'Arn' && type === 'AWS::DynamoDB::Table') return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${id.toLowerCase()}`;
  if (attribute === 'Arn') return `arn:aws:${service}:${REGION}:${ACCOUNT}:${id.toLowerCase()}`;
  return `${id.toLowerCase()}-${attribute.toLowerCase()}`;
}

/**
 * A template value with CloudFormation's intrinsic functions replaced by plausible values (a
 * queue's Ref is a queue URL, a KMS key's Arn a key ARN, pseudo parameters us-east-1 and a dummy
 * account), so a bundle's environment schema accepts it. Throws on a function it does not know.
 */
export function resolveTemplateValue(value: unknown, resources: Readonly<Record<string, TemplateResource>>): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string]; 'Fn::Join'?: [string, unknown[]]; 'Fn::Sub'?: string };
  if (v.Ref !== undefined) return PSEUDO[v.Ref] ?? refValue(v.Ref, resources[v.Ref]);
  if (v['Fn::GetAtt']) {
    const [id, attribute] = v['Fn::GetAtt'];
    return attributeValue(id, attribute, resources[id]);
  }
  if (v['Fn::Join']) {
    const [separator, parts] = v['Fn::Join'];
    return parts.map((p) => resolveTemplateValue(p, resources)).join(separator);
  }
  if (typeof v['Fn::Sub'] === 'string') {
    return v['Fn::Sub'].replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      const [id = '', attribute] = name.split('.');
      return attribute ? attributeValue(id, attribute, resources[id]) : (PSEUDO[id] ?? refValue(id, resources[id]));
    });
  }
  throw new Error(`cannot resolve template value ${JSON.stringify(value)}`);
}

/** A function's environment from its template resource, tokens resolved; `NODE_OPTIONS` left out (the runs set the flag themselves). */
export function functionEnv(resource: TemplateResource, resources: Readonly<Record<string, TemplateResource>>): Record<string, string> {
  const variables = resource.Properties?.Environment?.Variables ?? {};
  return Object.fromEntries(
    Object.entries(variables)
      .filter(([k]) => k !== 'NODE_OPTIONS')
      .map(([k, v]) => [k, resolveTemplateValue(v, resources)]),
  );
}

const ROOT = join(import.meta.dirname, '..');
const INPUTS = ['functions', 'lib', 'bin', 'package-lock.json', 'postroom.config.json', 'cdk.json'];

async function newestMtime(path: string): Promise<number> {
  const info = await stat(path).catch(() => null);
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  const entries = await readdir(path, { recursive: true });
  const times = await Promise.all(
    entries.map((e) =>
      stat(join(path, e)).then(
        (s) => s.mtimeMs,
        () => 0,
      ),
    ),
  );
  return Math.max(info.mtimeMs, ...times);
}

interface Bundle extends BundleRow {
  readonly env: Record<string, string>;
  /** The deployed `NODE_OPTIONS` enables source maps. */
  readonly sourceMaps: boolean;
  /** The output files the import loads, `file` first. */
  readonly loaded: readonly string[];
}

/** Static imports of other output files (`import{a}from"./chunks/chunk-X.mjs"`), not `import()`. */
const STATIC_IMPORT = /(?:^|[;}\n])\s*(?:import|export)\s*(?:[^;"'()]*?\bfrom\s*)?"(\.{1,2}\/[^"]+\.mjs)"/g;

/** The output files an ESM bundle loads when imported: itself and the chunks it imports statically, transitively. */
export function importClosure(file: string, read: (path: string) => string): string[] {
  const seen = [file];
  for (let i = 0; i < seen.length; i++) {
    const current = seen[i] as string;
    for (const match of read(current).matchAll(STATIC_IMPORT)) {
      const next = join(dirname(current), match[1] ?? '');
      if (!seen.includes(next)) seen.push(next);
    }
  }
  return seen;
}

/** The packages of the files an import loads, from their source maps; empty without them. */
async function packagesOf(files: readonly string[]): Promise<PackageBytes[]> {
  const byName = new Map<string, number>();
  for (const file of files) {
    const map = await readFile(`${file}.map`, 'utf8').catch(() => null);
    if (map === null) return [];
    for (const p of packageBytes(JSON.parse(map) as SourceMapV3, await readFile(file, 'utf8'))) byName.set(p.name, (byName.get(p.name) ?? 0) + p.bytes);
  }
  return [...byName].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}

/** Bytes of every file under a folder. */
async function folderBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const sizes = await Promise.all(entries.filter((e) => e.isFile()).map((e) => stat(join(e.parentPath, e.name)).then((s) => s.size)));
  return sizes.reduce((sum, n) => sum + n, 0);
}

const sum = (values: readonly number[]) => values.reduce((total, n) => total + n, 0);

/** Bundles per Lambda function of a cloud assembly; null when an asset is missing (a stale assembly). */
async function bundlesOf(out: string): Promise<Bundle[] | null> {
  const template = JSON.parse(await readFile(join(out, 'Postroom.template.json'), 'utf8')) as { Resources: Record<string, TemplateResource> };
  const rows: Bundle[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const key = resource.Properties?.Code?.S3Key;
    const dir = join(out, `asset.${String(key).replace(/\.zip$/, '')}`);
    const file = ['index.mjs', 'index.js'].map((f) => join(dir, f)).find((f) => existsSync(f));
    if (!file) return null;
    const path = String(resource.Metadata?.['aws:cdk:path'] ?? id);
    const role = roleOf(path);
    const loaded = importClosure(file, (f) => readFileSync(f, 'utf8'));
    const packages = await packagesOf(loaded);
    const options = resource.Properties?.Environment?.Variables?.NODE_OPTIONS;
    rows.push({
      path,
      role,
      file,
      bytes: sum(await Promise.all(loaded.map((f) => stat(f).then((s) => s.size)))),
      assetBytes: await folderBytes(dir),
      files: loaded.length,
      sourceMapBytes: sum(
        await Promise.all(
          loaded.map((f) =>
            stat(`${f}.map`).then(
              (s) => s.size,
              () => 0,
            ),
          ),
        ),
      ),
      memoryMb: resource.Properties?.MemorySize ?? null,
      architecture: resource.Properties?.Architectures?.[0] ?? null,
      packages,
      flags: bundleFlags(
        role,
        packages.map((p) => p.name),
      ),
      env: role ? functionEnv(resource, template.Resources) : {},
      sourceMaps: typeof options === 'string' && options.includes('--enable-source-maps'),
      loaded,
    });
  }
  return rows;
}

/** The environment of an import run: the function's own, plus what the Lambda runtime would set. */
function runEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    ...env,
  };
}

/** Time to import `file` in a fresh Node process, measured inside it (ms); fails unless it exports `handler`. */
async function importOnce(file: string, sourceMaps: boolean, env: Readonly<Record<string, string>>): Promise<number> {
  const script = `const t = performance.now(); const m = await import(${JSON.stringify(pathToFileURL(file).href)}); const ms = performance.now() - t; if (typeof m.handler !== 'function') throw new Error('no handler export'); process.stdout.write(String(ms));`;
  const args = [...(sourceMaps ? ['--enable-source-maps'] : []), '--input-type=module', '-e', script];
  const { stdout } = await run(process.execPath, args, { env: runEnv(env) });
  return Number(stdout);
}

/** Import times of one bundle (runs interleaved with and without source maps) and where one profiled import spends its time. */
async function measureImport(bundle: Bundle & { role: FunctionRole }, runs: number): Promise<ImportRow> {
  const withMaps: number[] = [];
  const without: number[] = [];
  for (let i = 0; i < runs; i++) {
    withMaps.push(await importOnce(bundle.file, true, bundle.env));
    without.push(await importOnce(bundle.file, false, bundle.env));
  }
  const { ms, profile } = await profileImport(bundle.file, runEnv(bundle.env));
  const mapped = async (file: string): Promise<MappedFile> => {
    const map = JSON.parse(await readFile(`${file}.map`, 'utf8')) as SourceMapV3;
    return { lines: decodeMappings(map.mappings), sources: map.sources };
  };
  const main = await mapped(bundle.file);
  const chunks = new Map(await Promise.all(bundle.loaded.slice(1).map(async (f) => [pathToFileURL(f).href, await mapped(f)] as const)));
  const selfTimes = [...selfTimeByPackage(profile, pathToFileURL(bundle.file).href, main.lines, main.sources, chunks)].map(([name, t]) => ({ name, ms: t }));
  const groups = groupPackages(installedDependencies(ROOT), undefined, new Set(bundle.packages.map((p) => p.name)));
  const withMs = round(median(withMaps), 1);
  const withoutMs = round(median(without), 1);
  return {
    path: bundle.path,
    role: bundle.role,
    importMs: bundle.sourceMaps ? withMs : withoutMs,
    sourceMaps: bundle.sourceMaps,
    importMsSourceMaps: withMs,
    importMsNoSourceMaps: withoutMs,
    env: Object.keys(bundle.env).sort(),
    profiledMs: round(ms, 1),
    byGroup: sumByGroup(
      selfTimes,
      (r) => r.name,
      (r) => r.ms,
      groups,
    ).map((g) => ({ group: g.group, ms: round(g.value, 1) })),
    topPackages: selfTimes
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 12)
      .map((r) => ({ group: r.name, ms: round(r.ms, 1) })),
    bytesByGroup: sumByGroup(
      bundle.packages,
      (p) => p.name,
      (p) => p.bytes,
      groups,
    ).map((g) => ({ group: g.group, bytes: g.value })),
  };
}

/**
 * Bundle sizes and packages of every Lambda function, and for each Postroom function (found by
 * construct path) the import time in fresh processes with its environment from the template,
 * and where the time of one profiled import goes. Reuses
 * `cdk.out` when it is newer than every input and holds every asset; otherwise runs
 * `cdk synth -q` into a temporary folder (about 8 s).
 */
export async function measureColdStart(options: { readonly runs: number; readonly progress?: (line: string) => void }): Promise<ColdStartResult> {
  const cdkOut = join(ROOT, 'cdk.out');
  const inputsAt = Math.max(...(await Promise.all(INPUTS.map((p) => newestMtime(join(ROOT, p))))));
  const builtAt = await stat(join(cdkOut, 'manifest.json')).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  let bundles = builtAt > inputsAt ? await bundlesOf(cdkOut).catch(() => null) : null;
  const source = bundles ? 'cdk.out' : 'synth';
  const temp = bundles ? null : await mkdtemp(join(tmpdir(), 'postroom-bench-synth-'));
  try {
    if (temp) {
      await run(join(ROOT, 'node_modules/.bin/cdk'), ['synth', '-q', '--output', temp], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
      bundles = await bundlesOf(temp);
    }
    if (!bundles) throw new Error('cdk synth produced no function bundles');
    const ours = bundles
      .filter((b): b is Bundle & { role: FunctionRole } => b.role !== null)
      .sort((a, b) => FUNCTION_ROLES.indexOf(a.role) - FUNCTION_ROLES.indexOf(b.role));
    const inbound = ours.find((b) => b.role === 'inbound');
    if (!inbound) throw new Error('no inbound function in the cloud assembly');
    const imports: ImportRow[] = [];
    for (const bundle of ours) {
      options.progress?.(`bench: import of ${bundle.role} (${options.runs} runs each way)`);
      imports.push(await measureImport(bundle, options.runs));
    }
    const inboundImport = imports[0] as ImportRow;
    options.progress?.('bench: inbound import plus its first mail (local servers)');
    const firstMail = await measureFirstMail(inbound.file, inbound.env, { runs: options.runs, sourceMaps: inbound.sourceMaps });
    return {
      source,
      bundles: bundles.map(({ env: _env, sourceMaps: _maps, loaded: _loaded, ...b }) => ({ ...b, file: b.file.replace(temp ?? ROOT, temp ? '<synth>' : '.') })),
      importMs: inboundImport.importMs,
      importMsNoSourceMaps: inboundImport.importMsNoSourceMaps,
      firstMail,
      imports,
      missing: FUNCTION_ROLES.filter((role) => role !== 'admin' && !ours.some((b) => b.role === role)),
      runs: options.runs,
      inboundMemoryMb: inbound.memoryMb ?? 128,
    };
  } finally {
    if (temp) await rm(temp, { recursive: true, force: true });
  }
}
