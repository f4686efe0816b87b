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
  readonly nodes: readonly { readonly id: number; readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number; readonly columnNumber: number } }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
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
 */
export function selfTimeByPackage(profile: CpuProfile, bundleUrl: string, lines: readonly (readonly Segment[])[], sources: readonly string[]): Map<string, number> {
  const labelOf = new Map<number, string | null>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    let label: string | null;
    if (url === bundleUrl) {
      const source = sourceAt(lines, lineNumber, columnNumber);
      if (source >= 0) label = packageOfSource(sources[source] ?? '');
      else label = lineNumber === 0 && columnNumber === 0 ? TOP_LEVEL : GLUE;
    } else if (functionName === 'compileSourceTextModule') label = COMPILE_MODULE;
    else if (functionName === '(program)') label = V8_OTHER;
    else if (functionName === '(garbage collector)') label = GC;
    else if (functionName === '(idle)' || functionName === '(root)') label = null;
    else if (url.startsWith('node:') || url === '') label = NODE_INTERNALS;
    else label = '(harness)';
    labelOf.set(node.id, label);
  }
  const out = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const label = labelOf.get(id);
    if (!label) return;
    out.set(label, (out.get(label) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
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
