import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { packageOfSource } from './bundle-packages.ts';
import { type Segment, sourceAt } from './source-map.ts';

const run = promisify(execFile);

/** The parts of a V8 CPU profile (`Profiler.stop`) the attribution reads. */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number; readonly columnNumber: number };
    readonly children?: readonly number[];
  }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** An output file of a bundle (the entry or a chunk it imports) with its source map's decoded mappings. */
export interface MappedFile {
  readonly lines: readonly (readonly Segment[])[];
  readonly sources: readonly string[];
}

/** Labels of time that is not in a package's functions. */
export const COMPILE_MODULE = '(V8 compiling the bundle: compileSourceTextModule)';
export const V8_OTHER = '(V8 program: lazy compile, native)';
export const GC = '(garbage collector)';
export const TOP_LEVEL = '(bundle top-level statements)';
export const GLUE = '(esbuild require wrappers, with the lazy compile of what they call)';
export const NODE_INTERNALS = '(node internals and builtins)';

/**
 * Self time (ms) of a profile per npm package: a sample in a bundle function goes to the package
 * its position maps to through the source map; V8's own entries keep their name. Idle and root
 * samples are left out.
 *
 * The self time of esbuild's require wrappers is mostly V8 compiling, on first call, the module
 * body the wrapper calls (the callee has no frame yet, so the sample lands on the wrapper). It is
 * handed on to the packages of the wrapper's callees, in proportion to their total time; only
 * what has no callee in the bundle stays with the wrappers. `chunks` maps the other output files
 * the import loads (code splitting's chunks, by URL) the same way.
 */
export function selfTimeByPackage(
  profile: CpuProfile,
  bundleUrl: string,
  lines: readonly (readonly Segment[])[],
  sources: readonly string[],
  chunks: ReadonlyMap<string, MappedFile> = new Map(),
): Map<string, number> {
  const files = new Map([...chunks, [bundleUrl, { lines, sources }]]);
  const labelOf = new Map<number, string | null>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    let label: string | null;
    const file = files.get(url);
    if (file) {
      const source = sourceAt(file.lines, lineNumber, columnNumber);
      if (source >= 0) label = packageOfSource(file.sources[source] ?? '');
      else label = lineNumber === 0 && columnNumber === 0 ? TOP_LEVEL : GLUE;
    } else if (functionName === 'compileSourceTextModule') label = COMPILE_MODULE;
    else if (functionName === '(program)') label = V8_OTHER;
    else if (functionName === '(garbage collector)') label = GC;
    else if (functionName === '(idle)' || functionName === '(root)') label = null;
    else if (url.startsWith('node:') || url === '') label = NODE_INTERNALS;
    else label = '(harness)';
    labelOf.set(node.id, label);
  }
  const self = new Map<number, number>();
  for (const [i, id] of profile.samples.entries()) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<number, number>();
  const total = (id: number): number => {
    const known = totals.get(id);
    if (known !== undefined) return known;
    const t = (self.get(id) ?? 0) + (byId.get(id)?.children ?? []).reduce((sum, c) => sum + total(c), 0);
    totals.set(id, t);
    return t;
  };
  const out = new Map<string, number>();
  const add = (label: string, ms: number) => out.set(label, (out.get(label) ?? 0) + ms);
  for (const node of profile.nodes) {
    const label = labelOf.get(node.id);
    const ms = self.get(node.id) ?? 0;
    if (!label || ms === 0) continue;
    const inPackage = (c: number) => !(labelOf.get(c) ?? '(').startsWith('(');
    const callees = label === GLUE ? (node.children ?? []).filter(inPackage) : [];
    const weight = callees.reduce((sum, c) => sum + total(c), 0);
    if (weight === 0) {
      add(label, ms);
      continue;
    }
    for (const c of callees) add(labelOf.get(c) ?? GLUE, (ms * total(c)) / weight);
  }
  return out;
}

/**
 * Imports `file` once in a fresh Node process under the V8 sampling profiler (100 µs), started
 * just before the import and stopped just after: bootstrap is not in it. Returns the import time
 * as measured inside the profiled process (higher than unprofiled) and the profile.
 */
export async function profileImport(file: string, env: Readonly<Record<string, string>>): Promise<{ ms: number; profile: CpuProfile }> {
  const dir = await mkdtemp(join(tmpdir(), 'postroom-bench-prof-'));
  const out = join(dir, 'import.cpuprofile.json');
  const script = [
    "import { Session } from 'node:inspector/promises';",
    "import { writeFileSync } from 'node:fs';",
    'const session = new Session(); session.connect();',
    "await session.post('Profiler.enable'); await session.post('Profiler.setSamplingInterval', { interval: 100 }); await session.post('Profiler.start');",
    `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); const ms = performance.now() - t;`,
    "const { profile } = await session.post('Profiler.stop');",
    `writeFileSync(${JSON.stringify(out)}, JSON.stringify({ ms, profile }));`,
  ].join('\n');
  try {
    await run(process.execPath, ['--input-type=module', '-e', script], { env: { ...env } });
    return JSON.parse(await readFile(out, 'utf8')) as { ms: number; profile: CpuProfile };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
