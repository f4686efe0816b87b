import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { redact } from '../../../functions/runtime/observability.ts';
import { mapFrame, mapStack, withSourceStack } from '../../../functions/runtime/source-stack.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'postroom-source-stack-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

class ParseFailure extends Error {
  readonly code = 'PARSE';
}

/**
 * A minified bundle with its map beside it, as the functions ship; returns the error its `fail`
 * throws in a Node process without `--enable-source-maps` (this one maps stacks itself).
 */
async function errorFromBundle(map: boolean): Promise<Error> {
  const source = join(dir, 'functions', 'adapters', 'boom.ts');
  const out = join(dir, map ? 'with-map' : 'without-map', 'index.mjs');
  mkdirSync(join(dir, 'functions', 'adapters'), { recursive: true });
  writeFileSync(join(dir, 'entry.ts'), "export { fail } from './functions/adapters/boom.ts';\n");
  writeFileSync(source, 'export function fail(): never {\n  const reason = "no boundary";\n  throw new Error(reason);\n}\n');
  await build({
    entryPoints: [join(dir, 'entry.ts')],
    outfile: out,
    bundle: true,
    format: 'esm',
    platform: 'node',
    minify: true,
    keepNames: true,
    sourcemap: map,
    sourcesContent: false,
    logLevel: 'silent',
  });
  const script = `try { (await import(${JSON.stringify(pathToFileURL(out).href)})).fail(); } catch (error) { process.stdout.write(error.stack); }`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH ?? '' } });
  const error = new Error('no boundary');
  error.stack = stdout;
  return error;
}

describe('mapStack', () => {
  it('maps a bundle frame to the source file and line when the bundle ships its map', async () => {
    // Arrange
    const error = await errorFromBundle(true);
    // Act
    const stack = mapStack(error.stack ?? '');
    // Assert
    expect(error.stack).toContain('index.mjs:1:');
    expect(stack.split('\n')[1]).toMatch(/at (?:Module\.)?fail \(functions\/adapters\/boom\.ts:3:\d+\)$/);
  });

  it('leaves frames of a bundle without a map, of node internals and of no file unchanged', async () => {
    // Arrange
    const error = await errorFromBundle(false);
    const lines = ['    at process.processTicksAndRejections (node:internal/process/task_queues:105:5)', '    at new Promise (<anonymous>)', 'Error: plain'];
    // Act / Assert
    expect(mapStack(error.stack ?? '')).toBe(error.stack);
    for (const line of lines) expect(mapFrame(line)).toBe(line);
  });
});

describe('withSourceStack', () => {
  it('gives a copy with the same class, name, message, fields and mapped cause, and leaves the error alone', async () => {
    // Arrange
    const cause = await errorFromBundle(true);
    const error = new ParseFailure('mail not parsed', { cause });
    // Act
    const shown = withSourceStack(error);
    // Assert
    expect(shown).not.toBe(error);
    expect(shown).toBeInstanceOf(ParseFailure);
    expect([shown.name, shown.message, shown.code]).toEqual(['Error', 'mail not parsed', 'PARSE']);
    expect((shown.cause as Error).stack).toMatch(/functions\/adapters\/boom\.ts:3:/);
    expect(cause.stack).toContain('index.mjs:1:');
  });

  it('is what the Logger’s replacer hands on for an error field', async () => {
    // Arrange
    const error = await errorFromBundle(true);
    // Act
    const logged = redact('error', error) as Error;
    // Assert
    expect(logged.stack).toMatch(/functions\/adapters\/boom\.ts:3:/);
    expect(redact('error', new Error('plain'))).toBeInstanceOf(Error);
  });

  it('returns an error whose stack maps nowhere as it is', () => {
    // Arrange
    const error = new Error('plain');
    // Act / Assert
    expect(withSourceStack(error)).toBe(error);
  });
});
