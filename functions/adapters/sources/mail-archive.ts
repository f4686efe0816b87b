import type { Dirent } from 'node:fs';
import { type FileHandle, open, readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { AppError } from '../../core/errors.ts';
import { DEFAULT_PARSE_LIMITS } from '../../core/model/parse-limits.ts';

/**
 * Readers for mail a company already has: an mbox file, a Maildir, a folder of `.eml` files or a
 * single `.eml`, handed on one raw message at a time for `postroom import`.
 *
 * - mbox: a file whose first five bytes are `From `. A message starts at a `From ` line that is the
 *   first line of the file or follows an empty line (`\n` or `\r\n`); the separator line is dropped,
 *   and so is the one empty line before the next separator (or at the end of the file), which the
 *   format adds. Lines matching `>+From ` lose one `>`: the mboxrd rule, which also reads mboxo
 *   files right, since mboxo escaped only `From ` as `>From `. Nothing else is touched: the bytes
 *   are never decoded, so CRLF, LF and 8-bit files come back as written. A message that did not
 *   end in a line break comes back with one: the format cannot tell the two apart.
 *   The file is read in chunks; memory holds one chunk and the current message, and a message past
 *   `maxMessageBytes` is counted, not kept.
 * - Maildir: a directory with `cur/` and `new/`; the files of both (never `tmp/`, which holds
 *   deliveries in progress), without dotfiles, ordered by file name (delivery time first).
 *   Maildir++ subfolders (`.Sent/`) are not read.
 * - eml folder: any other directory. Every regular file in it and below, except dotfiles and
 *   dot-directories, in order of relative path. Exports name files `.eml`, `.msg` (raw MIME) or
 *   by number (MH), so no file is skipped by its name: one that is not mail fails on import,
 *   counted where the user sees it, instead of vanishing. Symbolic links to directories are not
 *   followed (a loop would never end).
 * - eml: any other file, as it is (an envelope `From ` line would make it an mbox of one message).
 *
 * Names are ordered by code unit, digit runs by their value (`2` before `10`), so an import that
 * resumes sees the same order as the one that stopped.
 *
 * The mbox splitter is our own rather than a package's (`mbox-reader`, `node-mbox`): none gives a
 * byte offset to resume from, and none skips an oversized message without buffering it; the
 * format needs one small class. On a 200 MB mbox (warm cache) it reads 300–450 MB/s and counts 400–750 MB/s.
 */

export type ArchiveKind = 'mbox' | 'maildir' | 'eml-folder' | 'eml';

/**
 * Where a read resumes: just after a message that was finished. JSON-serializable. `index` counts
 * the messages before the position. For files, `after` (the relative path of the last finished
 * file) decides, so that files added or removed since do not shift the rest.
 */
export type ArchivePosition =
  | { readonly kind: 'mbox'; readonly offset: number; readonly index: number }
  | { readonly kind: 'files'; readonly index: number; readonly after: string };

export interface ArchiveMessage {
  /** The message's bytes; empty when `tooLarge` or `unreadable`. */
  readonly raw: Uint8Array;
  /** Where to resume once this message is handled. */
  readonly position: ArchivePosition;
  /** For people: `archive.mbox #12 (byte 34567)` or the file's path. */
  readonly origin: string;
  /** Larger than `maxMessageBytes`: counted, not read. */
  readonly tooLarge?: boolean;
  /** The file listed but could not be read (moved by a mail client meanwhile, say): why. */
  readonly unreadable?: string;
}

export interface ReadArchiveOptions {
  readonly startAt?: ArchivePosition;
  /** Largest message kept; default the parser's limit (40 MiB). */
  readonly maxMessageBytes?: number;
  /** Bytes read from an mbox at a time (default 1 MiB); tests use tiny ones to cross every boundary. */
  readonly chunkBytes?: number;
}

export interface ArchiveCount {
  readonly messages: number;
  readonly bytes: number;
}

/** An archive that cannot be opened, is of no kind we read, or a resume position that does not fit it. */
export class ArchiveError extends AppError {
  override name = 'ArchiveError';
  readonly path: string;

  constructor(path: string, message: string, options: { notFound?: boolean; cause?: unknown } = {}) {
    super(options.notFound ? 'not-found' : 'validation', message, { cause: options.cause });
    this.path = path;
  }
}

const FROM = Buffer.from('From ');
const LF = 0x0a;
const CR = 0x0d;
const GT = 0x3e;
const DEFAULT_CHUNK_BYTES = 1024 * 1024;
/** Deepest `>` run unescaped; a deeper `>…>From ` line stays as written, and a line's class is known within these bytes. */
const MAX_QUOTE_DEPTH = 1000;
const EMPTY = new Uint8Array(0);

/** Which kind of archive `path` is; an `ArchiveError` naming the path when it is none we read. */
export async function detectArchive(path: string): Promise<ArchiveKind> {
  const info = await stat(path).catch((error: unknown) => {
    throw cannotOpen(path, error);
  });
  if (info.isDirectory()) return (await isDirectory(join(path, 'cur'))) && (await isDirectory(join(path, 'new'))) ? 'maildir' : 'eml-folder';
  if (!info.isFile()) throw new ArchiveError(path, `${path} is neither a file nor a directory`);
  const head = await readHead(path, FROM.length);
  // An empty file is an empty mbox (mail clients keep empty folders as empty files): nothing to import.
  if (head.length === 0 || head.equals(FROM)) return 'mbox';
  if (/\.mbox$|\.mbx$/i.test(path)) throw new ArchiveError(path, `${path} is named as an mbox but does not start with a "From " line`);
  return 'eml';
}

/** The messages of the archive at `path`, in a stable order, from `startAt` when given. */
export async function* readArchive(path: string, options: ReadArchiveOptions = {}): AsyncGenerator<ArchiveMessage> {
  const kind = await detectArchive(path);
  const maxBytes = positiveInteger(options.maxMessageBytes ?? DEFAULT_PARSE_LIMITS.maxBytes, 'maxMessageBytes');
  const chunkBytes = positiveInteger(options.chunkBytes ?? DEFAULT_CHUNK_BYTES, 'chunkBytes');
  const { startAt } = options;
  if (startAt !== undefined && startAt.kind !== (kind === 'mbox' ? 'mbox' : 'files')) {
    throw new ArchiveError(
      path,
      `the resume position is for ${startAt.kind === 'mbox' ? 'an mbox' : 'files'}, but ${path} is ${kind === 'mbox' ? 'an mbox' : `a ${kind}`}`,
    );
  }
  if (kind === 'mbox') yield* readMbox(path, startAt?.kind === 'mbox' ? startAt : undefined, maxBytes, chunkBytes);
  else yield* readFiles(path, kind, startAt?.kind === 'files' ? startAt : undefined, maxBytes);
}

/** How many messages and bytes the archive holds: a quick scan for a progress bar's total. */
export async function countArchive(path: string, options: { chunkBytes?: number } = {}): Promise<ArchiveCount> {
  const kind = await detectArchive(path);
  if (kind === 'mbox') return countMbox(path, positiveInteger(options.chunkBytes ?? DEFAULT_CHUNK_BYTES, 'chunkBytes'));
  const entries = await listFiles(path, kind);
  let bytes = 0;
  for (const entry of entries) bytes += (await stat(entry.path).catch(() => ({ size: 0 }))).size;
  return { messages: entries.length, bytes };
}

// ---- mbox ----

async function* readMbox(
  path: string,
  startAt: Extract<ArchivePosition, { kind: 'mbox' }> | undefined,
  maxBytes: number,
  chunkBytes: number,
): AsyncGenerator<ArchiveMessage> {
  const file = await openFile(path);
  try {
    let offset = 0;
    if (startAt !== undefined) {
      const { size } = await file.stat();
      if (!isCount(startAt.offset) || !isCount(startAt.index) || startAt.offset > size) {
        throw new ArchiveError(path, `the resume position (byte ${startAt.offset}) is not inside ${path} (${size} bytes); has the file changed?`);
      }
      offset = startAt.offset;
    }
    const splitter = new MboxSplitter(path, offset, startAt?.index ?? 0, maxBytes);
    for (;;) {
      // A fresh buffer per read: the current message keeps slices of it until the message ends.
      const chunk = Buffer.allocUnsafe(chunkBytes);
      const { bytesRead } = await file.read(chunk, 0, chunkBytes, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
      yield* splitter.push(chunk.subarray(0, bytesRead));
    }
    yield* splitter.end();
  } finally {
    await file.close();
  }
}

type LineKind = 'blank' | 'separator' | 'quoted' | 'text';

/** What the line at `at` is, or undefined when the bytes up to the end of `data` cannot tell yet. */
function classifyLine(data: Buffer, at: number, afterBlank: boolean, final: boolean): LineKind | undefined {
  const undecided = final ? 'text' : undefined;
  if (data[at] === LF) return 'blank';
  if (data[at] === CR) return at + 1 >= data.length ? undecided : data[at + 1] === LF ? 'blank' : 'text';
  let quotes = 0;
  while (quotes < MAX_QUOTE_DEPTH && data[at + quotes] === GT) quotes += 1;
  for (let k = 0; k < FROM.length; k += 1) {
    const i = at + quotes + k;
    if (i >= data.length) return undecided;
    if (data[i] !== FROM[k]) return 'text';
  }
  return quotes > 0 ? 'quoted' : afterBlank ? 'separator' : 'text';
}

/** Bytes of one chunk that belong to the message. */
interface Span {
  readonly data: Buffer;
  readonly start: number;
  readonly end: number;
}

/**
 * Splits an mbox fed in chunks. Lines are classified by their first bytes only; a chunk that ends
 * before a line's class is known carries those bytes (at most `MAX_QUOTE_DEPTH + 5`) into the
 * next. Consecutive lines of one chunk join one slice, so a message costs one copy at its end.
 */
class MboxSplitter {
  private carry: Buffer | null = null;
  private offset: number;
  private index: number;
  /** Offset of the current message's `From ` line; -1 before the first. */
  private start = -1;
  private midLine: 'text' | 'separator' | null = null;
  private afterBlank = true;
  /** An empty line held back: it is the format's, not the message's, when a separator follows. */
  private pendingBlank: Span | null = null;
  private run: { readonly data: Buffer; readonly start: number; end: number } | null = null;
  private parts: Buffer[] = [];
  private size = 0;
  private out: ArchiveMessage[] = [];

  constructor(
    private readonly path: string,
    offset: number,
    index: number,
    private readonly maxBytes: number,
  ) {
    this.offset = offset;
    this.index = index;
  }

  push(chunk: Buffer): ArchiveMessage[] {
    const carry = this.carry;
    this.carry = null;
    const base = this.offset - (carry?.length ?? 0);
    this.offset += chunk.length;
    this.scan(carry ? Buffer.concat([carry, chunk]) : chunk, base, false);
    return this.drain();
  }

  end(): ArchiveMessage[] {
    const carry = this.carry;
    this.carry = null;
    if (carry) this.scan(carry, this.offset - carry.length, true);
    this.pendingBlank = null;
    this.finishMessage(this.offset);
    return this.drain();
  }

  private scan(data: Buffer, base: number, final: boolean): void {
    let at = 0;
    while (at < data.length) {
      if (this.midLine !== null) {
        const newline = data.indexOf(LF, at);
        const end = newline === -1 ? data.length : newline + 1;
        if (this.midLine === 'text') this.take(data, at, end);
        if (newline !== -1) this.midLine = null;
        at = end;
        continue;
      }
      const kind = classifyLine(data, at, this.afterBlank, final);
      if (kind === undefined) {
        this.carry = data.subarray(at);
        return;
      }
      if (this.start === -1 && kind !== 'separator') {
        throw new ArchiveError(
          this.path,
          base + at === 0
            ? `${this.path} does not start with a "From " line: not an mbox`
            : `the resume position (byte ${base + at}) of ${this.path} is not the start of a message; has the file changed?`,
        );
      }
      if (kind === 'blank') {
        this.takePendingBlank();
        const end = at + (data[at] === LF ? 1 : 2);
        this.pendingBlank = { data, start: at, end };
        this.afterBlank = true;
        at = end;
        continue;
      }
      this.afterBlank = false;
      if (kind === 'separator') {
        this.pendingBlank = null;
        this.finishMessage(base + at);
        this.start = base + at;
        this.midLine = 'separator';
        continue;
      }
      this.takePendingBlank();
      this.midLine = 'text';
      if (kind === 'quoted') at += 1;
    }
  }

  private takePendingBlank(): void {
    const blank = this.pendingBlank;
    this.pendingBlank = null;
    if (blank) this.take(blank.data, blank.start, blank.end);
  }

  /** Adds bytes to the current message, joining them to the run of bytes just before them. */
  private take(data: Buffer, start: number, end: number): void {
    this.size += end - start;
    if (this.size > this.maxBytes) {
      // Counted from here on, never kept: the caller records the message as too large.
      this.run = null;
      this.parts = [];
      return;
    }
    if (this.run && this.run.data === data && this.run.end === start) {
      this.run.end = end;
      return;
    }
    this.flushRun();
    this.run = { data, start, end };
  }

  private flushRun(): void {
    if (this.run) this.parts.push(this.run.data.subarray(this.run.start, this.run.end));
    this.run = null;
  }

  private finishMessage(next: number): void {
    if (this.start === -1) return;
    this.flushRun();
    const tooLarge = this.size > this.maxBytes;
    this.out.push({
      raw: tooLarge ? EMPTY : Buffer.concat(this.parts, this.size),
      position: { kind: 'mbox', offset: next, index: this.index + 1 },
      origin: `${this.path} #${this.index + 1} (byte ${this.start})`,
      ...(tooLarge ? { tooLarge } : {}),
    });
    this.index += 1;
    this.parts = [];
    this.size = 0;
  }

  private drain(): ArchiveMessage[] {
    const out = this.out;
    this.out = [];
    return out;
  }
}

/** Counts separators the way `MboxSplitter` finds them, with `indexOf` over whole chunks. */
async function countMbox(path: string, chunkBytes: number): Promise<ArchiveCount> {
  const needle = Buffer.from('\nFrom ');
  const file = await openFile(path);
  try {
    const head = Buffer.alloc(FROM.length);
    let messages = (await file.read(head, 0, head.length, 0)).bytesRead === head.length && head.equals(FROM) ? 1 : 0;
    let tail = Buffer.alloc(0);
    let offset = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(chunkBytes);
      const { bytesRead } = await file.read(chunk, 0, chunkBytes, offset);
      if (bytesRead === 0) break;
      const data = Buffer.concat([tail, chunk.subarray(0, bytesRead)]);
      const base = offset - tail.length;
      // A match that ends inside `tail` was counted with the chunk before.
      for (let i = data.indexOf(needle, Math.max(0, tail.length - needle.length + 1)); i !== -1; i = data.indexOf(needle, i + 1)) {
        const g = base + i;
        if (g === 0 || data[i - 1] === LF || (data[i - 1] === CR && (g === 1 || data[i - 2] === LF))) messages += 1;
      }
      // Keep the needle's length less one, plus the two bytes looked at before it.
      tail = Buffer.from(data.subarray(Math.max(0, data.length - needle.length - 1)));
      offset += bytesRead;
    }
    return { messages, bytes: offset };
  } finally {
    await file.close();
  }
}

// ---- files ----

interface FileEntry {
  /** Relative to the archive, with `/`: the resume key. */
  readonly name: string;
  readonly path: string;
}

async function* readFiles(
  path: string,
  kind: ArchiveKind,
  startAt: Extract<ArchivePosition, { kind: 'files' }> | undefined,
  maxBytes: number,
): AsyncGenerator<ArchiveMessage> {
  const entries = await listFiles(path, kind);
  let first = 0;
  if (startAt !== undefined) {
    if (typeof startAt.after !== 'string') throw new ArchiveError(path, `the resume position for ${path} names no file`);
    const after = startAt.after;
    first = entries.findIndex((entry) => compareEntries(kind, entry.name, after) > 0);
    if (first === -1) return;
  }
  for (const [index, entry] of entries.entries()) {
    if (index < first) continue;
    const message = { position: { kind: 'files', index: index + 1, after: entry.name } as const, origin: entry.path };
    try {
      if ((await stat(entry.path)).size > maxBytes) {
        yield { ...message, raw: EMPTY, tooLarge: true };
        continue;
      }
      const raw = await readFile(entry.path);
      // The file may have grown since the stat.
      yield raw.length > maxBytes ? { ...message, raw: EMPTY, tooLarge: true } : { ...message, raw };
    } catch (error) {
      yield { ...message, raw: EMPTY, unreadable: describe(error) };
    }
  }
}

async function listFiles(path: string, kind: ArchiveKind): Promise<FileEntry[]> {
  let names: string[];
  if (kind === 'eml') names = [basename(path)];
  else if (kind === 'maildir') names = [...(await filesIn(join(path, 'new'), 'new', false)), ...(await filesIn(join(path, 'cur'), 'cur', false))];
  else names = await filesIn(path, '', true);
  names.sort((a, b) => compareEntries(kind, a, b));
  return names.map((name) => ({ name, path: kind === 'eml' ? path : join(path, ...name.split('/')) }));
}

/** Relative paths (with `/`) of the regular files under `dir`, without dotfiles. */
async function filesIn(dir: string, prefix: string, recursive: boolean): Promise<string[]> {
  const entries: Dirent[] = await readdir(dir, { withFileTypes: true }).catch((error: unknown) => {
    throw cannotOpen(dir, error);
  });
  const names: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const name = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) {
      if (recursive) names.push(...(await filesIn(join(dir, entry.name), name, true)));
    } else if (entry.isFile() || (entry.isSymbolicLink() && (await stat(join(dir, entry.name)).catch(() => null))?.isFile())) {
      names.push(name);
    }
  }
  return names;
}

/** Maildir: by file name (delivery time first), then directory; folders: by relative path. */
function compareEntries(kind: ArchiveKind, a: string, b: string): number {
  if (kind === 'maildir') return naturalCompare(basename(a), basename(b)) || naturalCompare(a, b);
  return naturalCompare(a, b);
}

/** Code-unit order with runs of digits compared by value; a total order (ties fall back to code units). */
function naturalCompare(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      const [si, ei] = digitRun(a, i);
      const [sj, ej] = digitRun(b, j);
      if (ei - si !== ej - sj) return ei - si - (ej - sj);
      const da = a.slice(si, ei);
      const db = b.slice(sj, ej);
      if (da !== db) return da < db ? -1 : 1;
      i = ei;
      j = ej;
      continue;
    }
    if (a.charCodeAt(i) !== b.charCodeAt(j)) return a.charCodeAt(i) - b.charCodeAt(j);
    i += 1;
    j += 1;
  }
  const rest = a.length - i - (b.length - j);
  return rest !== 0 ? rest : a < b ? -1 : a > b ? 1 : 0;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** The significant digits (leading zeros dropped, one kept) of the run at `from`, and its end. */
function digitRun(s: string, from: number): [number, number] {
  let end = from;
  while (end < s.length && isDigit(s.charCodeAt(end))) end += 1;
  let start = from;
  while (start < end - 1 && s.charCodeAt(start) === 48) start += 1;
  return [start, end];
}

// ---- helpers ----

async function openFile(path: string): Promise<FileHandle> {
  return open(path, 'r').catch((error: unknown) => {
    throw cannotOpen(path, error);
  });
}

async function readHead(path: string, bytes: number): Promise<Buffer> {
  const file = await openFile(path);
  try {
    const head = Buffer.alloc(bytes);
    const { bytesRead } = await file.read(head, 0, bytes, 0);
    return head.subarray(0, bytesRead);
  } catch (error) {
    throw cannotOpen(path, error);
  } finally {
    await file.close();
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isDirectory() ?? false;
}

function cannotOpen(path: string, error: unknown): ArchiveError {
  if (error instanceof ArchiveError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  return new ArchiveError(path, `cannot read ${path}: ${describe(error)}`, { notFound: code === 'ENOENT', cause: error });
}

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
};

function describe(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && REASONS[code]) return REASONS[code];
  return error instanceof Error ? error.message : String(error);
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, not ${value}`);
  return value;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
