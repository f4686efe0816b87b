import { execFileSync } from 'node:child_process';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { MailparserMimeParser } from '../functions/adapters/mailparser-mime-parser.ts';
import { EldLanguageDetector } from '../functions/adapters/eld-language-detector.ts';
import { readReplySuites } from '../functions/cli/conformance/reply-suites.ts';
import { extractReply } from '../functions/core/inbound/extract-reply.ts';
import { POSTROOM_BUNDLE_TARGET } from '../lib/constructs/postroom-function.ts';
import { median } from './stats.ts';

/**
 * Language detectors compared on short mails: accuracy on the new text (quoted history and
 * signature removed, as the inbound decision reads it) of the reply suites' cases, of the corpus's
 * human mails (`../shared/corpus`, when present) and of short contact-center mails in twelve
 * languages (`test/fixtures/language`); time per detection; bytes and import time added to a
 * function's bundle. See docs/language.md.
 *
 *   npm run bench:language                                  # the installed detector and Postroom's rule
 *   npm run bench:language -- --modules /tmp/langbench      # also every candidate installed there:
 *   (cd /tmp/langbench && npm install --no-save eld@2.1.0 franc-min@6.2.0 tinyld@1.3.4 cld3-asm@4.0.0 lande@1.0.10 languagedetect@2.0.0)
 */
const ROOT = resolve(import.meta.dirname, '..');
const CORPUS = resolve(ROOT, '../shared/corpus');
const { values: args } = parseArgs({ options: { modules: { type: 'string' }, rounds: { type: 'string' } } });
const MODULES = resolve(args.modules ?? ROOT);
const ROUNDS = Number(args.rounds ?? 20);

interface Sample {
  readonly set: 'suites' | 'corpus' | 'own';
  readonly lang: string;
  readonly text: string;
}
type Detect = (text: string) => string | null;
interface Candidate {
  readonly name: string;
  readonly pkg: string;
  readonly subpath: string;
  readonly make: (mod: Record<string, unknown>) => Promise<Detect>;
}

/** ISO 639-3 (franc, lande) to ISO 639-1, for the languages the samples hold and their neighbours. */
const ISO3: Readonly<Record<string, string>> = {
  afr: 'af',
  arb: 'ar',
  ara: 'ar',
  bos: 'bs',
  bul: 'bg',
  cat: 'ca',
  ces: 'cs',
  cmn: 'zh',
  dan: 'da',
  deu: 'de',
  ell: 'el',
  eng: 'en',
  est: 'et',
  fin: 'fi',
  fra: 'fr',
  glg: 'gl',
  heb: 'he',
  hin: 'hi',
  hrv: 'hr',
  hun: 'hu',
  ind: 'id',
  ita: 'it',
  jpn: 'ja',
  kor: 'ko',
  lit: 'lt',
  lvs: 'lv',
  lav: 'lv',
  nld: 'nl',
  nob: 'no',
  nno: 'no',
  pol: 'pl',
  por: 'pt',
  ron: 'ro',
  rus: 'ru',
  slk: 'sk',
  slv: 'sl',
  spa: 'es',
  srp: 'sr',
  swe: 'sv',
  tur: 'tr',
  ukr: 'uk',
  vie: 'vi',
  zlm: 'ms',
  tgl: 'tl',
  sco: 'sco',
  lat: 'la',
};
const NAMES: Readonly<Record<string, string>> = {
  arabic: 'ar',
  czech: 'cs',
  danish: 'da',
  dutch: 'nl',
  english: 'en',
  finnish: 'fi',
  french: 'fr',
  german: 'de',
  hungarian: 'hu',
  italian: 'it',
  norwegian: 'no',
  polish: 'pl',
  portuguese: 'pt',
  romanian: 'ro',
  russian: 'ru',
  spanish: 'es',
  swedish: 'sv',
  turkish: 'tr',
};
const iso3 = (code: string | undefined): string | null => (!code || code === 'und' ? null : (ISO3[code] ?? `?${code}`));

const eldCandidate = (size: string): Candidate => ({
  name: `eld ${size}`,
  pkg: 'eld',
  subpath: `./${size}`,
  make: async (m) => {
    const eld = m.eld as { detect(t: string): { language: string; isReliable(): boolean } };
    return (t) => {
      const r = eld.detect(t);
      return r.language && r.isReliable() ? r.language : null;
    };
  },
});

const CANDIDATES: readonly Candidate[] = [
  eldCandidate('extrasmall'),
  eldCandidate('small'),
  eldCandidate('medium'),
  { name: 'franc-min', pkg: 'franc-min', subpath: '.', make: async (m) => (t) => iso3((m.franc as (t: string) => string)(t)) },
  { name: 'tinyld', pkg: 'tinyld', subpath: '.', make: async (m) => (t) => (m.detect as (t: string) => string)(t) || null },
  { name: 'tinyld light', pkg: 'tinyld', subpath: './light', make: async (m) => (t) => (m.detect as (t: string) => string)(t) || null },
  {
    name: 'cld3-asm',
    pkg: 'cld3-asm',
    subpath: '.',
    make: async (m) => {
      const load = m.loadModule ?? (m.default as Record<string, unknown>).loadModule;
      const factory = await (
        load as () => Promise<{ create(min: number, max: number): { findLanguage(t: string): { language: string; is_reliable: boolean } } }>
      )();
      const identifier = factory.create(0, 2000);
      return (t) => {
        const r = identifier.findLanguage(t);
        return r.is_reliable && r.language !== 'und' ? r.language.replace(/^iw$/u, 'he').replace(/-Latn$/u, '?latn') : null;
      };
    },
  },
  { name: 'lande', pkg: 'lande', subpath: '.', make: async (m) => (t) => iso3((m.default as (t: string) => [string, number][])(t)[0]?.[0]) },
  {
    name: 'languagedetect',
    pkg: 'languagedetect',
    subpath: '.',
    make: async (m) => {
      const detector = new (m.default as new () => { detect(t: string, n: number): [string, number][] })();
      return (t) => {
        const name = detector.detect(t, 1)[0]?.[0];
        return name ? (NAMES[name] ?? `?${name}`) : null;
      };
    },
  },
];

/** The file a package's entry resolves to under `dir` (ESM `import` condition first). */
async function entryOf(dir: string, pkg: string, subpath: string): Promise<string | null> {
  const base = join(dir, 'node_modules', pkg);
  if (!existsSync(join(base, 'package.json'))) return null;
  const manifest = JSON.parse(await readFile(join(base, 'package.json'), 'utf8')) as {
    version: string;
    main?: string;
    module?: string;
    exports?: Record<string, unknown>;
  };
  const exported = manifest.exports?.[subpath];
  const target =
    typeof exported === 'string'
      ? exported
      : ((exported as Record<string, string> | undefined)?.import ??
        (exported as Record<string, string> | undefined)?.default ??
        (subpath === '.' ? (manifest.main ?? manifest.module ?? 'index.js') : null));
  return target ? join(base, target) : null;
}

async function versionOf(dir: string, pkg: string): Promise<string> {
  return (JSON.parse(await readFile(join(dir, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
}

async function samples(): Promise<Sample[]> {
  const { labels } = JSON.parse(await readFile(join(ROOT, 'bench/language-labels.json'), 'utf8')) as { labels: Record<string, string> };
  const own = JSON.parse(await readFile(join(ROOT, 'test/fixtures/language/short-mails.json'), 'utf8')) as { samples: { lang: string; text: string }[] };
  const out: Sample[] = own.samples.map((s) => ({ set: 'own', ...s }));
  for (const suite of await readReplySuites()) {
    for (const c of suite.cases) {
      const lang = labels[`${suite.id}:${c.name}`];
      if (lang && c.kind !== 'html') out.push({ set: 'suites', lang, text: extractReply(c.input, c.htmlReply).reply });
    }
  }
  if (existsSync(CORPUS)) {
    const parser = new MailparserMimeParser();
    for (const [key, lang] of Object.entries(labels).filter(([k]) => k.startsWith('corpus:'))) {
      const message = await parser.parse(await readFile(join(CORPUS, key.slice('corpus:'.length))), {}, { html: 'omit' });
      out.push({ set: 'corpus', lang, text: extractReply(message.text, message.htmlReply).reply });
    }
  } else {
    console.log(`corpus: ${CORPUS} not found, its mails are left out`);
  }
  return out;
}

const LONG_TEXT = 'Sehr geehrte Damen und Herren, die Lieferung kam leider unvollständig an, es fehlen zwei Kartons. '.repeat(21).slice(0, 2000);

interface Score {
  right: number;
  wrong: number;
  none: number;
  n: number;
}
const pct = (part: number, n: number): string => (n === 0 ? '-' : `${((100 * part) / n).toFixed(1)}`);

function score(detect: Detect, list: readonly Sample[]): Score {
  const s: Score = { right: 0, wrong: 0, none: 0, n: list.length };
  for (const sample of list) {
    const got = detect(sample.text);
    if (got === null) s.none += 1;
    else if (got === sample.lang) s.right += 1;
    else s.wrong += 1;
  }
  return s;
}

/** Median µs per detection over the samples, and µs for a 2,000-character German text. */
function timing(detect: Detect, list: readonly Sample[]): { perMail: number; long: number } {
  const rounds: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const start = performance.now();
    for (const s of list) detect(s.text);
    rounds.push(((performance.now() - start) * 1000) / list.length);
  }
  const long = LONG_TEXT;
  const longRounds: number[] = [];
  for (let i = 0; i < ROUNDS * 5; i++) {
    const start = performance.now();
    detect(long);
    longRounds.push((performance.now() - start) * 1000);
  }
  return { perMail: median(rounds), long: median(longRounds) };
}

/** `timing` for the Postroom detector, whose `detect` is asynchronous (it loads eld on first use). */
async function timingAsync(detector: EldLanguageDetector, list: readonly Sample[]): Promise<{ perMail: number; long: number }> {
  const rounds: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const start = performance.now();
    for (const s of list) await detector.detect(s.text);
    rounds.push(((performance.now() - start) * 1000) / list.length);
  }
  const long = LONG_TEXT;
  const longRounds: number[] = [];
  for (let i = 0; i < ROUNDS * 5; i++) {
    const start = performance.now();
    await detector.detect(long);
    longRounds.push((performance.now() - start) * 1000);
  }
  return { perMail: median(rounds), long: median(longRounds) };
}

/** Bytes the package adds to a minified ESM bundle (the functions' esbuild settings), and its import time in a fresh Node. */
async function footprint(entry: string): Promise<{ kb: number; importMs: number }> {
  const result = await build({
    stdin: { contents: `import * as m from ${JSON.stringify(entry)}; globalThis.__language = m;`, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: POSTROOM_BUNDLE_TARGET,
    mainFields: ['module', 'main'],
    minify: true,
    keepNames: true,
    banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  const dir = await mkdtemp(join(tmpdir(), 'postroom-language-'));
  try {
    const file = join(dir, 'bundle.mjs');
    await writeFile(file, code);
    const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); console.log(performance.now() - t);`;
    const times = Array.from({ length: 5 }, () => Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })));
    return { kb: code.byteLength / 1024, importMs: median(times) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const all = await samples();
const sets = ['own', 'suites', 'corpus'] as const;
const short = all.filter((s) => s.text.length <= 40);
console.log(`samples: ${sets.map((set) => `${set} ${all.filter((s) => s.set === set).length}`).join(', ')}; ${short.length} of them 40 characters or shorter`);
console.log(`languages: ${[...new Set(all.map((s) => s.lang))].sort().join(' ')}\n`);
console.log('right / wrong / none, % of the samples (none: the detector said it is unsure)');
const head = ['detector', 'version', ...sets.map((s) => `${s} r/w/n`), 'short r/w/n', 'µs/mail', 'µs/2000ch', 'bundle KB', 'import ms'];
console.log(head.join(' | '));

const rows: [string, string, Detect, string | null][] = [];
for (const c of CANDIDATES) {
  const entry = await entryOf(MODULES, c.pkg, c.subpath);
  if (!entry) {
    console.log(`${c.name}: not installed under ${MODULES}`);
    continue;
  }
  rows.push([c.name, await versionOf(MODULES, c.pkg), await c.make(await import(pathToFileURL(entry).href)), entry]);
}
const postroom = new EldLanguageDetector();
const answers = new Map<string, string | null>();
for (const s of all) answers.set(s.text, (await postroom.detect(s.text)).language);
rows.push(['Postroom (eld extrasmall, MIN_LETTERS)', await versionOf(ROOT, 'eld'), (t) => answers.get(t) ?? null, null]);

for (const [name, version, detect, entry] of rows) {
  const cells = [...sets.map((set) => all.filter((s) => s.set === set)), short].map((list) => {
    const s = score(detect, list);
    return `${pct(s.right, s.n)}/${pct(s.wrong, s.n)}/${pct(s.none, s.n)}`;
  });
  const time = entry ? timing(detect, all) : await timingAsync(postroom, all);
  const size = entry ? await footprint(entry) : null;
  console.log(
    [name, version, ...cells, time.perMail.toFixed(1), time.long.toFixed(0), size ? size.kb.toFixed(0) : '-', size ? size.importMs.toFixed(0) : '-'].join(
      ' | ',
    ),
  );
}

// The chosen detector's misses, to read.
for (const s of all) {
  const got = answers.get(s.text) ?? null;
  if (got !== null && got !== s.lang) console.log(`postroom wrong: ${s.set} ${s.lang} → ${got}: ${JSON.stringify(s.text.slice(0, 70))}`);
}
