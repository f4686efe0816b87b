import { gzipSync } from 'node:zlib';
import { DEFAULT_PARSE_LIMITS } from '../../../functions/core/model/parse-limits.ts';

/*
 * Seeded mutators for fuzzing the inbound path with real mail. Every mutator takes a raw mail and
 * a random source and returns hostile bytes; the same seed gives the same bytes on every machine,
 * so a failing input is reproduced from its seed and index alone.
 *
 * Mail is handled as a latin1 string: one character per byte, so every byte survives the round
 * trip, 8-bit and broken sequences included.
 */

/** mulberry32: small and fast, and good enough to spread mutations (no cryptographic use). */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }
}

/** The random source of input `index` of a run: independent of every other input, so one input replays alone. */
export function inputRng(seed: number, index: number): Rng {
  // Mix the index in (splitmix-style) so neighbouring indexes do not start from neighbouring states.
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return new Rng((h ^ (h >>> 16)) >>> 0);
}

export const MUTATORS = [
  'truncate',
  'bit-flip',
  'duplicate-headers',
  'broken-boundaries',
  'deep-nesting',
  'huge-headers',
  'invalid-charset',
  'base64-bomb',
  'nul-bytes',
  'line-endings',
  'eight-bit-headers',
  'encoded-word-abuse',
  'stacked',
] as const;
export type MutatorName = (typeof MUTATORS)[number];

/** One fuzz input: which mutator made it, how, and (for inputs that break a parse limit by construction) the failure codes allowed. */
export interface Mutated {
  readonly mutator: MutatorName;
  readonly variant: string;
  readonly raw: Buffer;
  /** The input breaks a hostile-input limit whatever else happens: it must end `failed` with one of these codes. */
  readonly mustFailWith?: readonly string[];
}

/** A mail cut into its header block and body, with the line ending it uses. */
interface Parts {
  readonly head: string;
  readonly body: string;
  readonly nl: string;
}

const latin1 = (raw: Buffer): string => raw.toString('latin1');
const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

function partsOf(raw: Buffer): Parts {
  const text = latin1(raw);
  const crlf = text.indexOf('\r\n\r\n');
  const lf = text.indexOf('\n\n');
  if (crlf < 0 && lf < 0) return { head: text, body: '', nl: text.includes('\r\n') ? '\r\n' : '\n' };
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) return { head: text.slice(0, crlf), body: text.slice(crlf + 4), nl: '\r\n' };
  return { head: text.slice(0, lf), body: text.slice(lf + 2), nl: '\n' };
}

function join(p: Parts): Buffer {
  return bytes(`${p.head}${p.nl}${p.nl}${p.body}`);
}

/** Header fields of a header block, each with its continuation lines. */
function fieldsOf(head: string): string[] {
  const fields: string[] = [];
  for (const line of head.split(/\r?\n/)) {
    const last = fields.length - 1;
    if (last >= 0 && (line.startsWith(' ') || line.startsWith('\t'))) fields[last] += `\n${line}`;
    else fields.push(line);
  }
  return fields;
}

const fieldName = (field: string): string =>
  field
    .slice(0, Math.max(0, field.indexOf(':')))
    .trim()
    .toLowerCase();
const withNl = (field: string, nl: string): string => field.split('\n').join(nl);
const joinFields = (fields: readonly string[], nl: string): string => fields.map((f) => withNl(f, nl)).join(nl);

/** The first field of that name, or null. */
function field(head: string, name: string): string | null {
  return fieldsOf(head).find((f) => fieldName(f) === name) ?? null;
}

// Both alternatives are bounded by a character class that excludes their own end: linear.
const BOUNDARY_PARAM = /boundary\s*=\s*(?:"([^"]*)"|([^\s;]+))/i;

/** The top-level boundary, or null when the mail is not multipart (or names none). */
function boundaryOf(head: string): string | null {
  const type = field(head, 'content-type');
  if (!type || !/multipart\//i.test(type)) return null;
  const m = BOUNDARY_PARAM.exec(type.replace(/\r?\n[ \t]+/g, ' '));
  return m ? (m[1] ?? m[2] ?? null) : null;
}

/** The content fields (Content-Type, Content-Transfer-Encoding, Content-Disposition) of a header block, and the rest. */
function splitContentFields(head: string): { content: string[]; rest: string[] } {
  const content: string[] = [];
  const rest: string[] = [];
  for (const f of fieldsOf(head)) (fieldName(f).startsWith('content-') ? content : rest).push(f);
  return { content, rest };
}

/** The mail as the first part of a new multipart/mixed, followed by `extra` parts (each its own header block and body). */
function wrapMultipart(p: Parts, boundary: string, extra: readonly string[]): Parts {
  const { content, rest } = splitContentFields(p.head);
  const nl = p.nl;
  const inner = `${joinFields(content.length > 0 ? content : ['Content-Type: text/plain; charset=us-ascii'], nl)}${nl}${nl}${p.body}`;
  const parts = [inner, ...extra].map((part) => `--${boundary}${nl}${part}${nl}`).join('');
  return {
    head: joinFields([...rest, 'MIME-Version: 1.0', `Content-Type: multipart/mixed; boundary="${boundary}"`], nl),
    body: `${parts}--${boundary}--${nl}`,
    nl,
  };
}

/** Replaces (or adds) a top-level field. */
function setField(p: Parts, name: string, value: string): Parts {
  const fields = fieldsOf(p.head).filter((f) => fieldName(f) !== name.toLowerCase());
  return { ...p, head: joinFields([...fields, `${name}: ${value}`], p.nl) };
}

function randomBytes(rng: Rng, n: number, min = 0, max = 255): string {
  let out = '';
  for (let i = 0; i < n; i++) out += String.fromCharCode(rng.between(min, max));
  return out;
}

/** Inserts `piece()` at `count` random positions of `text`. */
function sprinkle(rng: Rng, text: string, count: number, piece: () => string): string {
  const positions = Array.from({ length: count }, () => rng.int(text.length + 1)).sort((a, b) => b - a);
  let out = text;
  for (const at of positions) out = out.slice(0, at) + piece() + out.slice(at);
  return out;
}

function base64Lines(data: Buffer, nl: string, width = 76): string {
  const b64 = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += width) lines.push(b64.slice(i, i + width));
  return lines.join(nl);
}

// --- the mutators -------------------------------------------------------------------------

function truncate(rng: Rng, raw: Buffer): Mutated {
  const p = partsOf(raw);
  const variant = rng.pick(['anywhere', 'in-header', 'near-end']);
  const at =
    variant === 'anywhere'
      ? rng.int(raw.length)
      : variant === 'in-header'
        ? rng.int(Math.max(1, p.head.length))
        : Math.max(0, raw.length - rng.between(1, 300));
  return { mutator: 'truncate', variant, raw: raw.subarray(0, at) };
}

function bitFlip(rng: Rng, raw: Buffer): Mutated {
  const out = Buffer.from(raw);
  if (out.length === 0) return { mutator: 'bit-flip', variant: 'empty', raw: out };
  const variant = rng.pick(['few', 'many', 'header']);
  const flips = variant === 'many' ? rng.between(16, 512) : rng.between(1, 4);
  const span = variant === 'header' ? Math.max(1, partsOf(raw).head.length) : out.length;
  for (let i = 0; i < flips; i++) {
    const at = rng.int(span);
    out[at] = (out[at] ?? 0) ^ (1 << rng.int(8));
  }
  return { mutator: 'bit-flip', variant, raw: out };
}

const DUPLICABLE = ['subject', 'from', 'message-id', 'content-type', 'to', 'date'] as const;

function conflicting(name: (typeof DUPLICABLE)[number], i: number): string {
  switch (name) {
    case 'subject':
      return `Subject: duplicate ${i}`;
    case 'from':
      return `From: Dup ${i} <dup${i}@evil.example>`;
    case 'message-id':
      return `Message-ID: <dup${i}@evil.example>`;
    case 'content-type':
      return i % 2 === 0 ? `Content-Type: multipart/mixed; boundary="dup-${i}"` : `Content-Type: text/html; charset=x-dup-${i}`;
    case 'to':
      return `To: dup${i}@example.com`;
    case 'date':
      return `Date: ${i % 2 === 0 ? 'Mon, 30 Feb 2026 25:61:61 +9999' : 'yesterday'}`;
  }
}

function duplicateHeaders(rng: Rng, raw: Buffer): Mutated {
  const p = partsOf(raw);
  const name = rng.pick(DUPLICABLE);
  const copies = rng.pick([2, 3, 10, 100, 1000, 5000]);
  const mode = rng.pick(['same', 'conflicting']);
  const original = field(p.head, name) ?? conflicting(name, 0);
  const added = Array.from({ length: copies }, (_, i) => (mode === 'same' ? original : conflicting(name, i + 1)));
  const fields = fieldsOf(p.head);
  const before = rng.int(2) === 0;
  const head = joinFields(before ? [...added, ...fields] : [...fields, ...added], p.nl);
  return { mutator: 'duplicate-headers', variant: `${name}x${copies}-${mode}-${before ? 'before' : 'after'}`, raw: join({ ...p, head }) };
}

function brokenBoundaries(rng: Rng, raw: Buffer): Mutated {
  let p = partsOf(raw);
  let boundary = boundaryOf(p.head);
  if (!boundary) {
    boundary = 'fz-boundary';
    p = wrapMultipart(p, boundary, [`Content-Type: text/plain${p.nl}${p.nl}second part`]);
  }
  const variant = rng.pick(['no-closing', 'mismatch', 'boundary-in-body', 'early-close', 'no-param', 'prefix', 'empty', 'huge']);
  const delimiter = `--${boundary}`;
  const lines = p.body.split(p.nl);
  const typeWith = (param: string): Parts => {
    const type = field(p.head, 'content-type') ?? '';
    const unfolded = type.replace(/\r?\n[ \t]+/g, ' ');
    const replaced = BOUNDARY_PARAM.test(unfolded) ? unfolded.replace(BOUNDARY_PARAM, param).trim() : `${unfolded}; ${param}`;
    return setField(p, 'Content-Type', replaced.replace(/^content-type:\s*/i, '').replace(/;\s*$/, ''));
  };
  switch (variant) {
    case 'no-closing':
      return { mutator: 'broken-boundaries', variant, raw: join({ ...p, body: lines.filter((l) => l.trim() !== `${delimiter}--`).join(p.nl) }) };
    case 'mismatch':
      return { mutator: 'broken-boundaries', variant, raw: join(typeWith('boundary="fz-mismatch"')) };
    case 'boundary-in-body':
      return { mutator: 'broken-boundaries', variant, raw: join({ ...p, body: sprinkle(rng, p.body, rng.between(1, 5), () => `${p.nl}${delimiter}${p.nl}`) }) };
    case 'early-close': {
      const at = rng.int(lines.length);
      return { mutator: 'broken-boundaries', variant, raw: join({ ...p, body: [...lines.slice(0, at), `${delimiter}--`, ...lines.slice(at)].join(p.nl) }) };
    }
    case 'no-param':
      return { mutator: 'broken-boundaries', variant, raw: join(typeWith('')) };
    case 'prefix':
      return { mutator: 'broken-boundaries', variant, raw: join(typeWith(`boundary="${boundary.slice(0, Math.max(1, Math.floor(boundary.length / 2)))}"`)) };
    case 'empty':
      return { mutator: 'broken-boundaries', variant, raw: join(typeWith('boundary=""')) };
    default:
      return { mutator: 'broken-boundaries', variant, raw: join(typeWith(`boundary="${'b'.repeat(10_000)}"`)) };
  }
}

function deepNesting(rng: Rng, raw: Buffer): Mutated {
  const p = partsOf(raw);
  const levels = rng.pick([30, 100, 500]);
  const variant = rng.pick(['multipart', 'unclosed', 'rfc822-inline', 'rfc822-attached', 'alternating']);
  const nl = p.nl;
  const { content, rest } = splitContentFields(p.head);
  const innermost = `${joinFields(content.length > 0 ? content : ['Content-Type: text/plain'], nl)}${nl}${nl}${p.body}`;
  let body = innermost;
  for (let level = levels; level >= 1; level--) {
    const rfc822 = variant.startsWith('rfc822') || (variant === 'alternating' && level % 2 === 0);
    if (rfc822) {
      // An inline message/rfc822 is parsed as a nested message; an attached one is one opaque part.
      const disposition = variant === 'rfc822-attached' ? 'attachment' : 'inline';
      body = `Content-Type: message/rfc822${nl}Content-Disposition: ${disposition}${nl}${nl}Subject: level ${level}${nl}${body}`;
    } else {
      const b = `nest-${level}`;
      const close = variant === 'unclosed' ? '' : `--${b}--${nl}`;
      body = `Content-Type: multipart/mixed; boundary="${b}"${nl}${nl}--${b}${nl}${body}${nl}${close}`;
    }
  }
  // `body` now starts with the first level's content fields: they become the top-level ones.
  const top = partsOf(bytes(body));
  const head = joinFields([...rest, ...fieldsOf(top.head)], nl);
  // Parsed nesting is deeper than maxDepth (20) at every level count here: the parse must stop.
  const parsedNesting = variant !== 'rfc822-attached';
  return {
    mutator: 'deep-nesting',
    variant: `${variant}x${levels}`,
    raw: join({ head, body: top.body, nl }),
    ...(parsedNesting ? { mustFailWith: ['limit-depth', 'limit-parts'] } : {}),
  };
}

function hugeHeaders(rng: Rng, raw: Buffer): Mutated {
  const p = partsOf(raw);
  const fields = fieldsOf(p.head);
  const variant = rng.pick(['line-1mb', 'subject-1mb', 'folded-1mb', '10k-headers', 'subject-200kb', 'subject-250kb', 'references-5k']);
  const add = (extra: readonly string[]): Buffer => join({ ...p, head: joinFields([...fields, ...extra], p.nl) });
  // The parser reads the first Subject: a huge one replaces the mail's own.
  const subject = (value: string): Buffer => join(setField(p, 'Subject', value));
  const mb = 1024 * 1024;
  switch (variant) {
    case 'line-1mb':
      return { mutator: 'huge-headers', variant, raw: add([`X-Fuzz: ${'a'.repeat(mb)}`]), mustFailWith: ['limit-header-size'] };
    case 'subject-1mb':
      return { mutator: 'huge-headers', variant, raw: subject('word '.repeat(mb / 5)), mustFailWith: ['limit-header-size'] };
    case 'folded-1mb':
      return {
        mutator: 'huge-headers',
        variant,
        raw: add([`X-Folded: start${`${p.nl} folded-line-of-text`.repeat(mb / 20)}`]),
        mustFailWith: ['limit-header-size'],
      };
    case '10k-headers': {
      // Values of 0 to 50 characters: the block lands on either side of the limit, and must fail past it.
      const width = rng.between(0, 50);
      const out = add(Array.from({ length: 10_000 }, (_, i) => `X-Fuzz-${i}: ${'v'.repeat(width)}`));
      const over = partsOf(out).head.length > DEFAULT_PARSE_LIMITS.maxHeaderBytes;
      return { mutator: 'huge-headers', variant: `${variant}-w${width}`, raw: out, ...(over ? { mustFailWith: ['limit-header-size'] } : {}) };
    }
    case 'subject-200kb':
      return { mutator: 'huge-headers', variant, raw: subject('word '.repeat(40_000)) };
    case 'subject-250kb':
      // Just inside the header limit (with the mail's own headers it may cross it).
      return { mutator: 'huge-headers', variant, raw: subject('word '.repeat(50_000)) };
    default:
      return { mutator: 'huge-headers', variant, raw: add([`References: ${Array.from({ length: 5000 }, (_, i) => `<ref-${i}@fuzz.example>`).join(' ')}`]) };
  }
}

// `charset=` with a quoted or a bare value; each alternative stops at its own terminator: linear.
const CHARSET_PARAM = /charset\s*=\s*(?:"[^"]*"|[^\s;]+)/gi;

function setCharsets(text: string, charset: string): string {
  return text.replace(CHARSET_PARAM, `charset=${charset}`);
}

function invalidCharset(rng: Rng, raw: Buffer): Mutated {
  const p0 = partsOf(raw);
  const p = boundaryOf(p0.head) || /charset/i.test(p0.head) ? p0 : setField(p0, 'Content-Type', 'text/plain; charset=us-ascii');
  const variant = rng.pick(['x-unknown', 'iso-2022-jp-broken', 'invalid-utf8', 'utf-16-odd', 'charset-10kb', 'encoded-word-charsets']);
  const everywhere = (charset: string, body = p.body): Buffer => join({ head: setCharsets(p.head, charset), body: setCharsets(body, charset), nl: p.nl });
  switch (variant) {
    case 'x-unknown':
      return { mutator: 'invalid-charset', variant, raw: everywhere('x-unknown') };
    case 'iso-2022-jp-broken': {
      // Shift into JIS X 0208 and never back, escapes cut in half, 8-bit bytes a 7-bit charset cannot hold.
      const broken = () => rng.pick(['\x1b$B', '\x1b$', '\x1b(', '\x1b$B%F%9%H', '\x1b(J', randomBytes(rng, 4, 0x80, 0xff), '\x1b']);
      const body = sprinkle(rng, p.body, rng.between(3, 30), broken);
      const subject = `Subject: =?iso-2022-jp?B?${Buffer.from('\x1b$B%F%9\x1b', 'latin1').toString('base64')}?= ${broken()}`;
      return {
        mutator: 'invalid-charset',
        variant,
        raw: join({ head: joinFields([...fieldsOf(setCharsets(p.head, 'iso-2022-jp')), subject], p.nl), body: setCharsets(body, 'iso-2022-jp'), nl: p.nl }),
      };
    }
    case 'invalid-utf8': {
      const invalid = () => rng.pick(['\xc0\x80', '\xed\xa0\x80', '\xf8\x88\x80\x80\x80', '\xff\xfe', '\x80', '\xe2\x82', '\xf4\x90\x80\x80']);
      const head = joinFields([...fieldsOf(setCharsets(p.head, 'utf-8')), `Subject: bad ${invalid()}${invalid()} utf-8`, `X-Name: ${invalid()}`], p.nl);
      return {
        mutator: 'invalid-charset',
        variant,
        raw: join({ head, body: setCharsets(sprinkle(rng, p.body, rng.between(5, 50), invalid), 'utf-8'), nl: p.nl }),
      };
    }
    case 'utf-16-odd':
      return { mutator: 'invalid-charset', variant, raw: everywhere('utf-16', `${p.body}\x00`) };
    case 'charset-10kb':
      return { mutator: 'invalid-charset', variant, raw: everywhere(`x-${'c'.repeat(10_000)}`) };
    default: {
      const words = [
        '=?x-unknown?B?aGVsbG8=?=',
        '=?utf-7?Q?+AGEAYgBj-?=',
        '=?ucs-4?B?AAAAYQ==?=',
        '=?iso-2022-jp?B?GyRCJUYlOSVIGyhC?=',
        '=??Q?empty?=',
        `=?${'x'.repeat(5000)}?Q?long?=`,
      ];
      return { mutator: 'invalid-charset', variant, raw: join(setField(p, 'Subject', words.join(' '))) };
    }
  }
}

let zeros: Buffer | null = null;
/** 64 MB of zeros in some 64 KB (made once): nothing on the inbound path should ever inflate it. */
function gzipBomb(): Buffer {
  zeros ??= gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
  return zeros;
}

function base64Bomb(rng: Rng, raw: Buffer): Mutated {
  const p = partsOf(raw);
  const nl = p.nl;
  const variant = rng.pick(['claims-huge', 'gzip-bomb', 'garbage', 'one-line-2mb', 'text-line-500kb', 'zeros-3mb']);
  const attachment = (headers: readonly string[], data: string): string => `${headers.join(nl)}${nl}${nl}${data}`;
  const octet = ['Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64', 'Content-Disposition: attachment; filename="bomb.bin"'];
  let part: string;
  switch (variant) {
    case 'claims-huge':
      part = attachment(
        [
          'Content-Type: application/octet-stream; size=99999999999999999999',
          'Content-Transfer-Encoding: base64',
          'Content-Length: 99999999999999999999',
          'Content-Disposition: attachment; filename="huge.iso"; size=99999999999999999999',
        ],
        'aGk=',
      );
      break;
    case 'gzip-bomb':
      part = attachment(
        ['Content-Type: application/gzip', 'Content-Transfer-Encoding: base64', 'Content-Disposition: attachment; filename="zeros.gz"'],
        base64Lines(gzipBomb(), nl),
      );
      break;
    case 'garbage':
      part = attachment(octet, `${'!!@@##'.repeat(1000)}${nl}${'='.repeat(100_000)}${nl}QUJD${nl}${randomBytes(rng, 5000, 0, 255)}`);
      break;
    case 'one-line-2mb':
      part = attachment(octet, Buffer.from(randomBytes(rng, 1_500_000), 'latin1').toString('base64'));
      break;
    case 'text-line-500kb':
      part = attachment(['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64'], base64Lines(Buffer.from('x'.repeat(500_000)), nl));
      break;
    default:
      part = attachment(octet, base64Lines(Buffer.alloc(rng.between(2, 3) * 1024 * 1024), nl));
  }
  return { mutator: 'base64-bomb', variant, raw: join(wrapMultipart(p, 'fz-bomb', [part])) };
}

/** A base64 attachment of `size` zero bytes appended to the mail (about 4/3 of that on the wire). */
export function zerosBomb(raw: Buffer, size: number): Mutated {
  const p = partsOf(raw);
  const part = `Content-Type: application/octet-stream${p.nl}Content-Transfer-Encoding: base64${p.nl}Content-Disposition: attachment; filename="zeros.bin"${p.nl}${p.nl}${base64Lines(Buffer.alloc(size), p.nl)}`;
  return { mutator: 'base64-bomb', variant: `zeros-${Math.round(size / 1024 / 1024)}mb`, raw: join(wrapMultipart(p, 'fz-zeros', [part])) };
}

function nulBytes(rng: Rng, raw: Buffer): Mutated {
  const p = partsOf(raw);
  const variant = rng.pick(['header', 'body', 'header-name', 'every-50th']);
  const nul = () => '\x00';
  switch (variant) {
    case 'header':
      return { mutator: 'nul-bytes', variant, raw: join({ ...p, head: sprinkle(rng, p.head, rng.between(1, 40), nul) }) };
    case 'body':
      return { mutator: 'nul-bytes', variant, raw: join({ ...p, body: sprinkle(rng, p.body, rng.between(1, 200), nul) }) };
    case 'header-name':
      return {
        mutator: 'nul-bytes',
        variant,
        raw: join({ ...p, head: p.head.replace(/^(subject|from|content-type)(?=:)/gim, (n) => `${n.slice(0, 2)}\x00${n.slice(2)}`) }),
      };
    default: {
      const out = Buffer.from(raw);
      for (let i = rng.int(50); i < out.length; i += 50) out[i] = 0;
      return { mutator: 'nul-bytes', variant, raw: out };
    }
  }
}

function lineEndings(rng: Rng, raw: Buffer): Mutated {
  const text = latin1(raw);
  const variant = rng.pick(['cr-only', 'lf-only', 'mixed', 'lf-cr', 'bare-cr-in-headers']);
  const lines = text.split(/\r\n|\r|\n/);
  switch (variant) {
    case 'cr-only':
      return { mutator: 'line-endings', variant, raw: bytes(lines.join('\r')) };
    case 'lf-only':
      return { mutator: 'line-endings', variant, raw: bytes(lines.join('\n')) };
    case 'mixed':
      return { mutator: 'line-endings', variant, raw: bytes(lines.map((l) => l + rng.pick(['\r\n', '\n', '\r'])).join('')) };
    case 'lf-cr':
      return { mutator: 'line-endings', variant, raw: bytes(lines.join('\n\r')) };
    default: {
      const p = partsOf(raw);
      return { mutator: 'line-endings', variant, raw: join({ ...p, head: p.head.replace(/^(Subject|From|To):/gim, '$1:\rX-Injected: bare-cr\r') }) };
    }
  }
}

function eightBitHeaders(rng: Rng, raw: Buffer): Mutated {
  const p = partsOf(raw);
  const variant = rng.pick(['random', 'latin1', 'utf8-raw', 'c1-controls', 'in-name']);
  const text = (): string => {
    switch (variant) {
      case 'random':
        return randomBytes(rng, rng.between(1, 200), 0x80, 0xff);
      case 'latin1':
        return 'Gr\xfc\xdfe aus M\xfcnchen, \xe9t\xe9 \xe0 \xa3100';
      case 'utf8-raw':
        return Buffer.from('Grüße 🎉 日本語 العربية', 'utf8').toString('latin1');
      default:
        return randomBytes(rng, rng.between(1, 50), 0x80, 0x9f);
    }
  };
  if (variant === 'in-name') {
    const head = joinFields([...fieldsOf(p.head), `X-\xe9\xff\x85: value`, `Subj\xe9ct: eight-bit name`], p.nl);
    return { mutator: 'eight-bit-headers', variant, raw: join({ ...p, head }) };
  }
  const fields = fieldsOf(p.head).filter((f) => !['subject', 'from', 'to'].includes(fieldName(f)));
  const head = joinFields([...fields, `Subject: ${text()}`, `From: ${text()} <carla@customer.example>`, `To: ${text()} <support@example.com>`], p.nl);
  return { mutator: 'eight-bit-headers', variant, raw: join({ ...p, head }) };
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

function encodedWordAbuse(rng: Rng, raw: Buffer): Mutated {
  const p = partsOf(raw);
  const variant = rng.pick(['ew-10k', 'ew-crlf', 'ew-malformed', 'ew-address', 'ew-message-id', 'ew-filename', 'ew-nested']);
  const set = (name: string, value: string): Parts => setField(p, name, value);
  switch (variant) {
    case 'ew-10k': {
      const words = Array.from({ length: 10_000 }, () => `=?utf-8?B?${b64(rng.pick(['ä', 'ö', '€', '🎉', 'a\u2028b', 'x\u0000y']))}?=`);
      return { mutator: 'encoded-word-abuse', variant, raw: join(set('Subject', words.join(' '))) };
    }
    case 'ew-crlf': {
      const q = '=?utf-8?Q?hello=0D=0ABcc:_victim@evil.example=0D=0A=0D=0Abody?=';
      const b = `=?utf-8?B?${b64('Eve\r\nBcc: victim@evil.example\u2028X-Injected: 1\u0085\u0000')}?=`;
      let out = set('Subject', `${q} ${b}`);
      out = setField(out, 'From', `${b} <eve@customer.example>`);
      out = setField(out, 'Reply-To', `${q} <eve@customer.example>`);
      return { mutator: 'encoded-word-abuse', variant, raw: join(out) };
    }
    case 'ew-malformed': {
      const words = [
        '=?utf-8?Q?unterminated',
        '=?utf-8?X?bad-encoding?=',
        '=?utf-8?B?***not-base64***?=',
        '=?utf-8?B??=',
        '=?utf-8??x?=',
        '=?=?=?=?',
        `=?utf-8?Q?${'=FF'.repeat(3000)}?=`,
      ];
      return { mutator: 'encoded-word-abuse', variant, raw: join(set('Subject', words.join(' '))) };
    }
    case 'ew-address':
      return {
        mutator: 'encoded-word-abuse',
        variant,
        raw: join(setField(set('From', '=?utf-8?Q?carla=40customer.example?='), 'To', `=?utf-8?B?${b64('support@example.com, victim@evil.example')}?=`)),
      };
    case 'ew-message-id': {
      const id = `<=?utf-8?Q?a=0D=0ABcc:_x?=@customer.example>`;
      return {
        mutator: 'encoded-word-abuse',
        variant,
        raw: join(setField(setField(set('Message-ID', id), 'In-Reply-To', id), 'References', `${id} =?utf-8?B?${b64('<x\r\n@y>')}?=`)),
      };
    }
    case 'ew-filename': {
      const continuation = Array.from({ length: 1000 }, (_, i) => ` filename*${i}*=utf-8''%0D%0AX-Injected%3A${i}`).join(';');
      const part = `Content-Type: application/pdf; name="=?utf-8?Q?a=0D=0AX-Injected:_1.pdf?="${p.nl}Content-Transfer-Encoding: base64${p.nl}Content-Disposition: attachment;${continuation}${p.nl}${p.nl}JVBERi0=`;
      return { mutator: 'encoded-word-abuse', variant, raw: join(wrapMultipart(p, 'fz-ew', [part])) };
    }
    default: {
      // An encoded word whose text is itself an encoded word, a few levels down.
      let word = 'innermost\r\nX-Injected: 1';
      for (let i = 0; i < 6; i++) word = `=?utf-8?B?${b64(word)}?=`;
      return { mutator: 'encoded-word-abuse', variant, raw: join(set('Subject', word)) };
    }
  }
}

type Mutator = (rng: Rng, raw: Buffer) => Mutated;

const SINGLE: Readonly<Record<Exclude<MutatorName, 'stacked'>, Mutator>> = {
  truncate,
  'bit-flip': bitFlip,
  'duplicate-headers': duplicateHeaders,
  'broken-boundaries': brokenBoundaries,
  'deep-nesting': deepNesting,
  'huge-headers': hugeHeaders,
  'invalid-charset': invalidCharset,
  'base64-bomb': base64Bomb,
  'nul-bytes': nulBytes,
  'line-endings': lineEndings,
  'eight-bit-headers': eightBitHeaders,
  'encoded-word-abuse': encodedWordAbuse,
};

/** Two or three mutators one after the other (the sizes stay small: no stacking of the megabyte ones). */
function stacked(rng: Rng, raw: Buffer): Mutated {
  const light = [
    'truncate',
    'bit-flip',
    'duplicate-headers',
    'broken-boundaries',
    'invalid-charset',
    'nul-bytes',
    'line-endings',
    'eight-bit-headers',
  ] as const;
  const steps = Array.from({ length: rng.between(2, 3) }, () => rng.pick(light));
  let out = raw;
  const variants: string[] = [];
  for (const step of steps) {
    const m = SINGLE[step](rng, out);
    out = m.raw;
    variants.push(`${step}:${m.variant}`);
  }
  return { mutator: 'stacked', variant: variants.join('+'), raw: out };
}

/** Applies the named mutator to a raw mail. */
export function mutate(name: MutatorName, rng: Rng, raw: Buffer): Mutated {
  return name === 'stacked' ? stacked(rng, raw) : SINGLE[name](rng, raw);
}

/**
 * Gives the mail's Message-ID a prefix, so mutated copies of one corpus mail are new messages
 * (and run the whole decision), not copies of the first one. A mail without one is left as it is.
 */
export function renameMessageId(raw: Buffer, prefix: string): Buffer {
  const p = partsOf(raw);
  const head = p.head.replace(/^(message-id:[ \t]*<?)/im, `$1${prefix}`);
  return head === p.head ? raw : join({ ...p, head });
}
