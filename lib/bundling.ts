import { type BuildOptions, type Plugin, build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The Node the bundles target: Lambda's `nodejs24.x`. */
export const BUNDLE_TARGET = 'node24';

/**
 * Bundled CommonJS dependencies call `require`; ESM output has none without this shim. Every
 * output file (the entry and each chunk) gets it, so a lazy module resolves from the asset.
 */
const BANNER = "import { createRequire as __postroomCreateRequire } from 'node:module'; const require = __postroomCreateRequire(import.meta.url);";

/** Where lazily required files go in the asset: `node_modules/<LAZY>/...`, found from any output file. */
export const LAZY = 'postroom-lazy';

/**
 * Packages that a library imports at load but calls only for some mail, or never on the path
 * the functions take: each is replaced, for those importers only, by a module of the same
 * exports that requires the real one on first call. The real package is shipped beside the
 * bundle (`node_modules/postroom-lazy/`), unchanged.
 * - encoding-japanese (mailparser, libmime): ISO-2022-JP, JIS and EUC-JP text only;
 * - html-to-text and linkify-it (mailparser): its HTML-to-text and the links of its text-to-HTML,
 *   which the adapter switches off (linkify-it's instance, configured at load, replays its
 *   configuration on the real one when first used);
 * - semver (aws-xray-sdk-core): only its AWS SDK v2 patcher compares versions, and the functions
 *   use SDK v3.
 * (`he` is not one of them: mailparser encodes every mail's address headers with it.)
 */
export const LAZY_PACKAGES: Readonly<Record<string, RegExp>> = {
  'encoding-japanese': /\/node_modules\/(?:mailparser|libmime|imapflow)\//,
  'html-to-text': /\/node_modules\/mailparser\//,
  'linkify-it': /\/node_modules\/mailparser\//,
  semver: /\/node_modules\/aws-xray-sdk-core\//,
};
/**
 * Modules inside a package that it loads at import but the functions rarely or never use, made
 * lazy the same way (`request`: the import as written; `path`: the module it resolves to):
 * - zod's 45 error-message locales (`z.locales.de()`, ...; 261 KB), of which zod itself loads
 *   `en` from its own module at import;
 * - libmime's table of media types and extensions (68 KB): mailparser looks a type up only for
 *   an `application/octet-stream` attachment with a file name.
 */
export const LAZY_MODULES: readonly { readonly request: RegExp; readonly path: RegExp; readonly name: string }[] = [
  { request: /^\.\.\/locales\/index\.js$/, path: /\/node_modules\/zod\/v4\/locales\/index\.js$/, name: 'zod-locales' },
  { request: /^\.\/mimetypes$/, path: /\/node_modules\/libmime\/lib\/mimetypes\.js$/, name: 'libmime-mimetypes' },
];
/** Lazy packages whose export is a factory of a configurable instance: these methods are recorded until the instance is used. */
const LAZY_BUILDERS: Readonly<Record<string, readonly string[]>> = { 'linkify-it': ['tlds', 'add', 'set'] };
/** iconv-lite's multi-byte tables (CJK, ~400 KB): iconv-lite requires each on the first mail in its charset. */
const ICONV_TABLE = /\/node_modules\/(?:.*\/)?iconv-lite\/encodings\/tables\/([^/]+\.json)$/;

/** The esbuild options of every function's bundle. */
export function bundleOptions(entry: string, outdir: string): BuildOptions {
  return {
    entryPoints: { index: entry },
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: BUNDLE_TARGET,
    mainFields: ['module', 'main'],
    // What a dynamic `import()` loads (the language detector's database, sanitize-html, the SDK's
    // unused credential providers) goes to a chunk of its own, read only when first imported.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    sourcemap: true,
    sourcesContent: false,
    minify: true,
    // Class names survive minification, so errors and logs name `MailParseError`, not `e`.
    keepNames: true,
    banner: { js: BANNER },
    logLevel: 'warning',
  };
}

/**
 * A module with the exports of `real` that requires it on first use (`path`: what the bundle
 * requires). With `recorded`, the export is a factory whose instance records those (chainable)
 * methods' calls and replays them on the real instance when anything else is used.
 */
export function lazyModuleSource(path: string, real: Readonly<Record<string, unknown>>, recorded?: readonly string[]): string {
  const load = `let real; const load = () => (real ??= require(${JSON.stringify(path)}));`;
  if (recorded) {
    return [
      load,
      `const RECORDED = new Set(${JSON.stringify(recorded)});`,
      'module.exports = function (...args) {',
      '  const calls = []; let instance;',
      '  const use = () => { if (!instance) { instance = load()(...args); for (const [name, a] of calls) instance[name](...a); } return instance; };',
      '  return new Proxy({}, { get(_, key) {',
      '    if (!instance && RECORDED.has(key)) return function (...a) { calls.push([key, a]); return this; };',
      "    const value = use()[key]; return typeof value === 'function' ? value.bind(instance) : value;",
      '  } });',
      '};',
    ].join('\n');
  }
  const lines = [load, 'module.exports = {};'];
  for (const [name, value] of Object.entries(real)) {
    const key = JSON.stringify(name);
    lines.push(
      typeof value === 'function'
        ? `module.exports[${key}] = function (...args) { const f = load()[${key}]; return new.target ? Reflect.construct(f, args, new.target) : f.apply(this, args); };`
        : `Object.defineProperty(module.exports, ${key}, { enumerable: true, get: () => load()[${key}] });`,
    );
  }
  return lines.join('\n');
}

interface LazyFile {
  /** What the bundle requires, under `node_modules/`. */
  readonly name: string;
  readonly source: string;
  readonly kind: 'package' | 'copy';
  /** The package as imported (`linkify-it`). */
  readonly pkg: string;
}

/** Replaces the lazy packages (for the mail libraries) and iconv-lite's tables by requires of files shipped beside the bundle. */
function lazyPlugin(files: Map<string, LazyFile>): Plugin {
  return {
    name: 'postroom-lazy',
    setup(b) {
      b.onResolve({ filter: new RegExp(`^${LAZY}/`) }, (args) => ({ path: args.path, external: true }));
      b.onResolve({ filter: new RegExp(`^(?:${Object.keys(LAZY_PACKAGES).join('|')})$`) }, async (args) => {
        if (!LAZY_PACKAGES[args.path]?.test(args.importer)) return undefined;
        const resolved = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: 'lazy' });
        if (resolved.errors.length) return undefined;
        const owner = /node_modules\/((?:@[^/]+\/)?[^/]+)\/node_modules\//.exec(resolved.path)?.[1];
        const name = `${LAZY}/${owner ? `${owner.replace('/', '+')}+` : ''}${args.path}.cjs`;
        files.set(name, { name, source: resolved.path, kind: 'package', pkg: args.path });
        return { path: name, namespace: 'postroom-lazy' };
      });
      b.onResolve({ filter: new RegExp(LAZY_MODULES.map((m) => m.request.source).join('|')) }, async (args) => {
        if (args.pluginData === 'lazy') return undefined;
        const resolved = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: 'lazy' });
        const rule = LAZY_MODULES.find((m) => m.path.test(resolved.path));
        if (!rule) return undefined;
        const name = `${LAZY}/${rule.name}.cjs`;
        files.set(name, { name, source: resolved.path, kind: 'package', pkg: rule.name });
        return { path: name, namespace: 'postroom-lazy' };
      });
      b.onLoad({ filter: /.*/, namespace: 'postroom-lazy' }, async (args) => {
        const file = files.get(args.path);
        if (!file) return undefined;
        const real = (await import(pathToFileURL(file.source).href)) as { default?: Record<string, unknown> };
        return { contents: lazyModuleSource(args.path, real.default ?? (real as Record<string, unknown>), LAZY_BUILDERS[file.pkg]), loader: 'js' };
      });
      b.onResolve({ filter: /^\.\/tables\/[^/]+\.json$/ }, async (args) => {
        if (args.pluginData === 'lazy') return undefined;
        const resolved = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: 'lazy' });
        const table = ICONV_TABLE.exec(resolved.path)?.[1];
        if (!table) return undefined;
        const name = `${LAZY}/iconv-lite-tables/${table}`;
        files.set(name, { name, source: resolved.path, kind: 'copy', pkg: 'iconv-lite' });
        return { path: name, external: true };
      });
    },
  };
}

/**
 * An ESM `import … from 'node:http'` builds the module's ESM facade, which reads every export,
 * lazy getters included: `http`'s `WebSocket`, `CloseEvent` and `MessageEvent` load undici,
 * http2 and worker_threads (24–34 ms on Node 24, against 3 ms for `require('http')`); `process`,
 * `fs` and `fs/promises` load the REPL's history and the diagnostic report the same way. Each
 * import of a built-in module is bundled instead as a CommonJS module that requires it: esbuild
 * then reads each named import where it is used, and no getter before. Dynamic imports too: the
 * SDK's HTTP handler imports `node:http` on its first request, which moved the same cost into
 * the first mail.
 */
function builtinModuleSource(name: string): string {
  return `module.exports = require(${JSON.stringify(`node:${name}`)});`;
}

const BUILTIN = new Set(builtinModules.filter((name) => !name.startsWith('_')));

/** Imports of built-in modules, static and dynamic, as `require` (`builtinModuleSource`). */
function builtinPlugin(): Plugin {
  return {
    name: 'postroom-builtins',
    setup(b) {
      b.onResolve({ filter: /^(?:node:)?[a-z_/]+$/ }, (args) => {
        const name = args.path.replace(/^node:/, '');
        if ((args.kind !== 'import-statement' && args.kind !== 'dynamic-import') || !BUILTIN.has(name)) return undefined;
        return { path: name, namespace: 'postroom-builtin' };
      });
      b.onLoad({ filter: /.*/, namespace: 'postroom-builtin' }, (args) => ({ contents: builtinModuleSource(args.path), loader: 'js' }));
    },
  };
}

/**
 * Bundles one function's entry into `outdir`: `index.mjs`, the chunks its dynamic imports load,
 * and `node_modules/postroom-lazy/` with what the mail libraries require only for some mail.
 */
export async function bundleFunction(entry: string, outdir: string): Promise<void> {
  const files = new Map<string, LazyFile>();
  await build({ ...bundleOptions(entry, outdir), plugins: [builtinPlugin(), lazyPlugin(files)] });
  for (const file of files.values()) {
    const out = join(outdir, 'node_modules', file.name);
    if (file.kind === 'copy') {
      mkdirSync(dirname(out), { recursive: true });
      copyFileSync(file.source, out);
      continue;
    }
    await build({
      entryPoints: [file.source],
      outfile: out,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: BUNDLE_TARGET,
      mainFields: ['main', 'module'],
      minify: true,
      keepNames: true,
      sourcemap: true,
      sourcesContent: false,
      logLevel: 'warning',
    });
  }
}

/**
 * `bundleFunction` from the synchronous CDK bundling step: a child Node process (tsx for this
 * file), so the esbuild plugin can run. Throws with esbuild's output when the bundle fails.
 */
export function bundleFunctionSync(entry: string, outdir: string): void {
  const result = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, entry, outdir], {
    cwd: join(import.meta.dirname, '..'),
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`bundling ${entry} failed:\n${result.stderr}${result.stdout}`);
  if (result.stderr) process.stderr.write(result.stderr);
}

if (process.argv[1] === import.meta.filename) {
  const [entry, outdir] = process.argv.slice(2);
  if (!entry || !outdir) throw new Error('usage: bundling.ts <entry> <outdir>');
  await bundleFunction(entry, outdir);
}
