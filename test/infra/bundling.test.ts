import iconv from 'iconv-lite';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importClosure } from '../../bench/cold-start.ts';
import { MailparserMimeParser } from '../../functions/adapters/mailparser-mime-parser.ts';
import { LAZY, bundleFunction, lazyModuleSource } from '../../lib/bundling.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'postroom-bundling-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Sources (from the source maps) of the files an import of `index.mjs` loads. */
function sourcesAtImport(outdir: string): string[] {
  return importClosure(join(outdir, 'index.mjs'), (f) => readFileSync(f, 'utf8')).flatMap(
    (f) => (JSON.parse(readFileSync(`${f}.map`, 'utf8')) as { sources: string[] }).sources,
  );
}

/** Mails whose charsets the bundle decodes with lazily required files: ISO-2022-JP (encoding-japanese), GB2312 and Shift_JIS (iconv-lite's tables). */
function charsetMails(): Record<string, Buffer> {
  const mail = (charset: string, subject: Buffer, body: Buffer) =>
    Buffer.concat([
      Buffer.from(
        `From: a@example.com\r\nTo: b@example.com\r\nSubject: =?${charset}?B?${subject.toString('base64')}?=\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=${charset}\r\nContent-Transfer-Encoding: 7bit\r\n\r\n`,
      ),
      body,
    ]);
  // ISO-2022-JP for こんにちは, by hand: iconv-lite decodes it (with encoding-japanese's help) but does not encode it.
  const hello = Buffer.from('\x1b$B$3$s$K$A$O\x1b(B', 'latin1');
  return {
    'iso-2022-jp': mail('iso-2022-jp', hello, Buffer.concat([hello, Buffer.from(' hello\r\n')])),
    gb2312: mail('gb2312', iconv.encode('发票问题', 'gb2312'), iconv.encode('您好，我的打印机坏了。\r\n', 'gb2312')),
    shift_jis: mail('shift_jis', iconv.encode('プリンター', 'shift_jis'), iconv.encode('プリンターが壊れました。\r\n', 'shift_jis')),
  };
}

describe('function bundles (lib/bundling.ts)', () => {
  const inbound = join(dir, 'inbound');
  const parser = join(dir, 'parser');

  beforeAll(async () => {
    await bundleFunction(join(ROOT, 'functions/inbound-process.ts'), inbound);
    writeFileSync(
      join(dir, 'parser-entry.ts'),
      `export { MailparserMimeParser } from ${JSON.stringify(join(ROOT, 'functions/adapters/mailparser-mime-parser.ts'))};\n`,
    );
    await bundleFunction(join(dir, 'parser-entry.ts'), parser);
  }, 120_000);

  it('keeps the language detector, the rarely used mail-library parts and zod’s locales out of the inbound import, and ships them beside it', () => {
    // Act
    const sources = sourcesAtImport(inbound);
    // Assert
    expect(sources.some((s) => s.includes('node_modules/mailparser/'))).toBe(true);
    for (const left of [
      'node_modules/eld/',
      'node_modules/encoding-japanese/',
      'node_modules/html-to-text/',
      'node_modules/linkify-it/',
      'node_modules/semver/',
      'iconv-lite/encodings/tables/',
      'zod/v4/locales/de.js',
      'libmime/lib/mimetypes.js',
    ]) {
      expect(sources.filter((s) => s.includes(left))).toEqual([]);
    }
    for (const file of [
      'encoding-japanese.cjs',
      'html-to-text.cjs',
      'linkify-it.cjs',
      'semver.cjs',
      'zod-locales.cjs',
      'libmime-mimetypes.cjs',
      'iconv-lite-tables/cp936.json',
    ]) {
      expect(existsSync(join(inbound, 'node_modules', LAZY, file))).toBe(true);
    }
  });

  it('keeps the export archive’s zip library out of the admin import (the admin function never zips)', async () => {
    // Arrange
    const admin = join(dir, 'admin');
    await bundleFunction(join(ROOT, 'functions/admin-api.ts'), admin);
    // Act
    const sources = sourcesAtImport(admin);
    // Assert
    expect(sources.some((s) => s.includes('functions/adapters/s3-export-archives.ts'))).toBe(true);
    expect(sources.filter((s) => s.includes('node_modules/fflate/'))).toEqual([]);
  }, 60_000);

  it('decodes mail in charsets whose decoders load lazily exactly as the unbundled parser does', async () => {
    // Arrange
    const mails = charsetMails();
    const expected = Object.fromEntries(
      await Promise.all(
        Object.entries(mails).map(async ([k, raw]) => {
          const m = await new MailparserMimeParser().parse(raw);
          return [k, { subject: m.subject, text: m.text }] as const;
        }),
      ),
    );
    writeFileSync(join(dir, 'mails.json'), JSON.stringify(Object.fromEntries(Object.entries(mails).map(([k, v]) => [k, v.toString('base64')]))));
    const script = `
      const { MailparserMimeParser } = await import(${JSON.stringify(pathToFileURL(join(parser, 'index.mjs')).href)});
      const mails = JSON.parse(await (await import('node:fs/promises')).readFile(${JSON.stringify(join(dir, 'mails.json'))}, 'utf8'));
      const out = {};
      for (const [k, v] of Object.entries(mails)) { const m = await new MailparserMimeParser().parse(Buffer.from(v, 'base64')); out[k] = { subject: m.subject, text: m.text }; }
      process.stdout.write(JSON.stringify(out));`;
    // Act: in a process of its own, as Lambda runs the bundle
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH ?? '' } });
    // Assert
    expect(JSON.parse(stdout)).toEqual(expected);
    expect(expected['iso-2022-jp']?.text).toContain('こんにちは hello');
    expect(expected['iso-2022-jp']?.subject).toBe('こんにちは');
    expect(expected.gb2312?.subject).toBe('发票问题');
  });

  it('imports built-in modules by require, statically and dynamically: named imports work, and http’s lazy WebSocket (undici, http2, worker_threads) stays unloaded', async () => {
    // Arrange: named, default, getter-backed (fs.promises, crypto.getRandomValues) and dynamic imports, as the SDK writes them
    const entry = join(dir, 'builtins-entry.ts');
    writeFileSync(
      entry,
      [
        "import http, { request } from 'node:http';",
        "import { promises, ReadStream } from 'node:fs';",
        "import { getRandomValues } from 'node:crypto';",
        "import * as os from 'os';",
        "const dynamic = await import('node:http');",
        'export const ok = [typeof request, typeof http.get, typeof promises.readFile, typeof ReadStream, typeof getRandomValues, typeof os.hostname, typeof (dynamic.default ?? dynamic).request];',
      ].join('\n'),
    );
    const out = join(dir, 'builtins');
    await bundleFunction(entry, out);
    const script = `
      const before = new Set(process.moduleLoadList);
      const { ok } = await import(${JSON.stringify(pathToFileURL(join(out, 'index.mjs')).href)});
      process.stdout.write(JSON.stringify({ ok, loaded: process.moduleLoadList.filter((m) => !before.has(m)) }));`;
    // Act
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH ?? '' } });
    // Assert
    const { ok, loaded } = JSON.parse(stdout) as { ok: string[]; loaded: string[] };
    expect(ok).toEqual(['function', 'function', 'function', 'function', 'function', 'function', 'function']);
    expect(loaded).toContain('NativeModule http');
    for (const heavy of ['NativeModule internal/deps/undici/undici', 'NativeModule http2', 'NativeModule worker_threads']) expect(loaded).not.toContain(heavy);
  });
});

describe('lazyModuleSource', () => {
  /** Evaluates a generated module with `require` resolving only `path` to `real`, counting loads. */
  function evaluate(source: string, path: string, real: unknown): { exports: Record<string, unknown>; loads: () => number } {
    let loads = 0;
    const module = { exports: {} as Record<string, unknown> };
    const require = (p: string) => {
      if (p !== path) throw new Error(`unexpected require ${p}`);
      loads++;
      return real;
    };
    new Function('module', 'require', source)(module, require);
    return { exports: module.exports, loads: () => loads };
  }

  it('requires the real module on the first call or read, with the same functions, values and classes', () => {
    // Arrange
    class Version {
      constructor(readonly raw: string) {}
    }
    const real = { convert: (s: string, o: { to: string }) => `${s}->${o.to}`, version: '2.4.0', Version };
    // Act
    const lazy = evaluate(lazyModuleSource('postroom-lazy/x.cjs', real), 'postroom-lazy/x.cjs', real);
    // Assert
    expect(lazy.loads()).toBe(0);
    expect(Object.keys(lazy.exports)).toEqual(['convert', 'version', 'Version']);
    expect((lazy.exports.convert as typeof real.convert)('a', { to: 'UNICODE' })).toBe('a->UNICODE');
    expect(lazy.exports.version).toBe('2.4.0');
    expect(new (lazy.exports.Version as typeof Version)('1.0.0')).toEqual(new Version('1.0.0'));
    expect(lazy.loads()).toBe(1);
  });

  it('records a builder’s configuration and replays it in order on the real instance when first used', () => {
    // Arrange
    const calls: string[] = [];
    const factory = (name: string) => ({
      tlds(list: string[]) {
        calls.push(`tlds ${list.join(',')}`);
        return this;
      },
      add(key: string) {
        calls.push(`add ${key}`);
        return this;
      },
      test(text: string) {
        return `${name}:${calls.join(';')}:${text}`;
      },
    });
    const lazy = evaluate(lazyModuleSource('postroom-lazy/l.cjs', {}, ['tlds', 'add']), 'postroom-lazy/l.cjs', factory);
    // Act
    const instance = (lazy.exports as unknown as (n: string) => ReturnType<typeof factory>)('links').tlds(['com', 'org']).add('@');
    const before = lazy.loads();
    const result = instance.test('x');
    // Assert
    expect(before).toBe(0);
    expect(result).toBe('links:tlds com,org;add @:x');
    expect(lazy.loads()).toBe(1);
  });
});
