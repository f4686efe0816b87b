import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const CORE = join(import.meta.dirname, '../../../functions/core');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('the pure core', () => {
  it('imports nothing but core files, zod and type-only node built-ins', () => {
    // Arrange
    const files = sources(CORE);
    const importPattern = /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm;

    // Act
    const offenders = files.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(importPattern)]
        .map((m) => m[1] ?? '')
        .filter((spec) => !(spec.startsWith('.') || spec === 'zod'))
        .map((spec) => `${relative(CORE, file)} imports ${spec}`),
    );

    // Assert
    expect(files.length).toBeGreaterThan(5);
    expect(offenders).toEqual([]);
  });

  it('reads no environment and does not log', () => {
    const offenders = sources(CORE).filter((file) => /process\.env|console\.(log|info|warn|error)/.test(readFileSync(file, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
