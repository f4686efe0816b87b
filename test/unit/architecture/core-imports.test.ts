import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const CORE = resolve(import.meta.dirname, '../../../functions/core');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every module specifier a file names: static imports and re-exports, side-effect imports, dynamic import(). */
function specifiersOf(code: string): string[] {
  const patterns = [/\b(?:import|export)\s[^'"]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  return patterns.flatMap((p) => [...code.matchAll(p)].map((m) => m[1] ?? ''));
}

/** Why a core file may not import `spec`, or null when it may: only zod and files inside functions/core. */
function violation(file: string, spec: string): string | null {
  if (spec === 'zod') return null;
  if (!spec.startsWith('.')) return `imports package ${spec}`;
  const target = resolve(dirname(file), spec);
  return target === CORE || target.startsWith(`${CORE}${sep}`) ? null : `imports ${relative(CORE, target)} from outside the core`;
}

describe('the pure core (dependency rule)', () => {
  it('imports nothing but core files and zod', () => {
    // Arrange
    const files = sources(CORE);

    // Act
    const offenders = files.flatMap((file) =>
      specifiersOf(readFileSync(file, 'utf8'))
        .map((spec) => violation(file, spec))
        .filter((v): v is string => v !== null)
        .map((v) => `${relative(CORE, file)} ${v}`),
    );

    // Assert
    expect(files.length).toBeGreaterThan(10);
    expect(offenders).toEqual([]);
  });

  it('recognises every kind of import it must police', () => {
    const code = [
      "import { a } from '../../adapters/x.ts';",
      "import type { B } from 'mailparser';",
      "export * from './y.ts';",
      "import 'side-effect';",
      "const m = await import('node:fs');",
    ].join('\n');
    const file = join(CORE, 'inbound', 'probe.ts');

    expect(specifiersOf(code).map((s) => violation(file, s))).toEqual([
      'imports ../adapters/x.ts from outside the core',
      'imports package mailparser',
      null,
      'imports package side-effect',
      'imports package node:fs',
    ]);
  });

  it('reads no environment and does not log', () => {
    const offenders = sources(CORE).filter((file) => /process\.env|console\.(log|info|warn|error)/.test(readFileSync(file, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
