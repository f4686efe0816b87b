import { once } from 'node:events';
import { createWriteStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ArchiveMessage,
  type ArchivePosition,
  ArchiveError,
  countArchive,
  detectArchive,
  type ReadArchiveOptions,
  readArchive,
} from '../../../functions/adapters/sources/mail-archive.ts';
import { growth, LINEAR_BOUND } from '../../support/growth.ts';

const CORPUS = resolve(import.meta.dirname, '../../../../shared/corpus');
const hasCorpus = existsSync(join(CORPUS, 'index.csv'));
/** Corpus mails whose bodies hold `From ` lines (a forwarded mbox, a quoted envelope, prose). */
const WITH_FROM_LINES = [
  'sisimai/dsn-delivered/rfc3464-28.eml',
  'sisimai/bounce/rhost-cox-01.eml',
  'sisimai/not-bounce/rb-issue-368-bug.eml',
  'notmuch/lkml/cur_1382298793.003295.eml',
];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'postroom-archive-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// ---- helpers: an mbox writer, as mail clients write them ----

/** The lines of `raw`, each with its `\n` (the last one maybe without). */
function linesOf(raw: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let nl = raw.indexOf(10); nl !== -1; nl = raw.indexOf(10, start)) {
    lines.push(raw.subarray(start, nl + 1));
    start = nl + 1;
  }
  if (start < raw.length) lines.push(raw.subarray(start));
  return lines;
}

/** mboxrd quotes every `>*From ` line with one more `>`; mboxo only bare `From ` lines. */
function escapeLines(raw: Buffer, style: 'mboxrd' | 'mboxo'): Buffer {
  const quoted = style === 'mboxrd' ? /^>*From / : /^From /;
  return Buffer.concat(linesOf(raw).map((line) => (quoted.test(line.subarray(0, 1100).toString('latin1')) ? Buffer.concat([Buffer.from('>'), line]) : line)));
}

/** What reading a message back gives: the format ends every message with a line break. */
function expected(raw: Buffer, eol = '\n'): Buffer {
  return raw.length === 0 || raw[raw.length - 1] === 10 ? raw : Buffer.concat([raw, Buffer.from(eol)]);
}

function mbox(messages: readonly Buffer[], { eol = '\n', style = 'mboxrd' }: { eol?: string; style?: 'mboxrd' | 'mboxo' } = {}): Buffer {
  return Buffer.concat(
    messages.flatMap((raw, i) => [
      Buffer.from(`From sender${i}@example.com Mon Jan  1 00:00:00 2024${eol}`),
      escapeLines(expected(raw, eol), style),
      Buffer.from(eol),
    ]),
  );
}

function crlf(raw: Buffer): Buffer {
  return Buffer.from(raw.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
}

async function collect(path: string, options?: ReadArchiveOptions): Promise<ArchiveMessage[]> {
  const messages: ArchiveMessage[] = [];
  for await (const message of readArchive(path, options)) messages.push(message);
  return messages;
}

async function failure(promise: Promise<unknown>): Promise<ArchiveError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ArchiveError);
  return error as ArchiveError;
}

async function put(path: string, content: Buffer | string): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  return path;
}

/** Messages that sit on the format's edges, no corpus needed. */
const EDGES: readonly Buffer[] = [
  Buffer.from('Subject: quoted\n\nFrom the start of a line\n>From quoted once\n>>From quoted twice\n\nFrom after a blank line\n'),
  Buffer.concat([Buffer.from('Subject: 8-bit\nContent-Type: text/plain; charset=latin1\n\n'), Buffer.from([0xff, 0xfe, 0x80, 0xc3, 0x28, 0x0a, 0x00, 0x0a])]),
  Buffer.from('Subject: trailing blank lines\n\nbody\n\n\n'),
  Buffer.from('Subject: headers only\n'),
  Buffer.from(''),
  Buffer.from('Subject: no final newline\n\nlast line'),
  Buffer.from('Subject: carriage returns\r\n\r\n\r\rx\r\n\r'),
  Buffer.from('From: starts with a From header\nSubject: x\n\n>\n>>\n>F\nFrom\nFro\n'),
];

// ---- detection ----

describe('detectArchive', () => {
  it('tells the four kinds apart', async () => {
    // Arrange
    const maildir = join(dir, 'detect', 'maildir');
    await mkdir(join(maildir, 'cur'), { recursive: true });
    await mkdir(join(maildir, 'new'), { recursive: true });
    const folder = join(dir, 'detect', 'folder');
    await mkdir(join(folder, 'cur'), { recursive: true });
    const box = await put(join(dir, 'detect', 'a.mbox'), mbox(EDGES));
    const empty = await put(join(dir, 'detect', 'empty'), '');
    const eml = await put(join(dir, 'detect', 'a.eml'), 'Subject: x\n\nhi\n');
    const envelope = await put(join(dir, 'detect', 'envelope.eml'), 'From a@b  Mon Jan  1 00:00:00 2024\nSubject: x\n\nhi\n');

    // Act
    const kinds = await Promise.all([box, maildir, folder, eml, empty, envelope].map(detectArchive));

    // Assert: a directory with cur/ only is a folder; an empty file an empty mbox; an envelope line makes an mbox
    expect(kinds).toEqual(['mbox', 'maildir', 'eml-folder', 'eml', 'mbox', 'mbox']);
    expect(await collect(empty)).toEqual([]);
    expect(await countArchive(empty)).toEqual({ messages: 0, bytes: 0 });
  });

  it('names the path in a clear error', async () => {
    // Arrange
    const missing = join(dir, 'detect', 'missing.mbox');
    const misnamed = await put(join(dir, 'detect', 'bom.mbox'), '\uFEFFFrom a@b Mon Jan  1 00:00:00 2024\n\nx\n');

    // Act
    const notFound = await failure(detectArchive(missing));
    const notMbox = await failure(detectArchive(misnamed));
    const device = await failure(detectArchive('/dev/null'));
    const viaRead = await failure(collect(missing));
    const viaCount = await failure(countArchive(missing));

    // Assert
    expect(notFound.message).toBe(`cannot read ${missing}: no such file or directory`);
    expect(notFound).toMatchObject({ code: 'not-found', path: missing });
    expect(notMbox.message).toBe(`${misnamed} is named as an mbox but does not start with a "From " line`);
    expect(notMbox.code).toBe('validation');
    expect(device.message).toBe('/dev/null is neither a file nor a directory');
    expect(viaRead.message).toBe(notFound.message);
    expect(viaCount.message).toBe(notFound.message);
  });

  it.skipIf(process.getuid?.() === 0)('names an unreadable file', async () => {
    const locked = await put(join(dir, 'detect', 'locked'), 'x');
    const { chmod } = await import('node:fs/promises');
    await chmod(locked, 0);
    expect((await failure(detectArchive(locked))).message).toBe(`cannot read ${locked}: permission denied`);
  });
});

// ---- mbox ----

describe('reading an mbox', () => {
  it('gives back every message byte for byte, with From lines unescaped', async () => {
    // Arrange
    const path = await put(join(dir, 'edges.mbox'), mbox(EDGES));

    // Act
    const messages = await collect(path);

    // Assert
    expect(messages.map((m) => Buffer.from(m.raw))).toEqual(EDGES.map((raw) => expected(raw)));
    expect(messages[0]?.origin).toBe(`${path} #1 (byte 0)`);
    expect(messages.every((m) => m.tooLarge === undefined)).toBe(true);
    expect(await countArchive(path)).toEqual({ messages: EDGES.length, bytes: (await stat(path)).size });
  });

  it('cuts the same messages whatever the chunk size', async () => {
    // Arrange: boundaries inside separators, `>From`, CRLF pairs and the held-back blank line
    const lf = await put(join(dir, 'chunks-lf.mbox'), mbox(EDGES));
    const crlfPath = await put(join(dir, 'chunks-crlf.mbox'), mbox(EDGES.map(crlf), { eol: '\r\n' }));

    for (const [path, eol, originals] of [
      [lf, '\n', EDGES],
      [crlfPath, '\r\n', EDGES.map(crlf)],
    ] as const) {
      const want = originals.map((raw) => expected(raw, eol));
      for (const chunkBytes of [1, 2, 3, 5, 6, 7, 13, 64]) {
        // Act
        const messages = await collect(path, { chunkBytes });
        const count = await countArchive(path, { chunkBytes });

        // Assert
        expect(
          messages.map((m) => Buffer.from(m.raw)),
          `chunk ${chunkBytes}`,
        ).toEqual(want);
        expect(count.messages, `chunk ${chunkBytes}`).toBe(want.length);
      }
    }
  });

  it('splits only at a From line after an empty line, so an unquoted one mid-paragraph stays', async () => {
    // Arrange: as a careless writer leaves it
    const path = await put(
      join(dir, 'loose.mbox'),
      'From a Mon Jan  1 00:00:00 2024\nSubject: 1\n\nsee below\nFrom here on\n\nFrom b Mon Jan  1 00:00:00 2024\nSubject: 2\n\n',
    );

    // Act
    const messages = await collect(path);

    // Assert
    expect(messages.map((m) => Buffer.from(m.raw).toString())).toEqual(['Subject: 1\n\nsee below\nFrom here on\n', 'Subject: 2\n']);
    expect((await countArchive(path)).messages).toBe(2);
  });

  it('keeps a quote run deeper than 1,000 as written (the bound that keeps a line’s class cheap to find)', async () => {
    const deep = `${'>'.repeat(1001)}From x\n`;
    const path = await put(join(dir, 'deep.mbox'), `From a Mon Jan  1 00:00:00 2024\n${'>'.repeat(1000)}From y\n${deep}\n`);
    const [message] = await collect(path, { chunkBytes: 7 });
    expect(Buffer.from(message!.raw).toString()).toBe(`${'>'.repeat(999)}From y\n${deep}`);
  });

  it('reads whatever messages are written as mboxrd (property)', async () => {
    const line = fc.array(fc.constantFrom('From ', '>', 'From', 'x', ' ', '\r', '\n', '\r\n', '\xff'), { maxLength: 12 }).map((parts) => parts.join(''));
    const message = fc.array(line, { maxLength: 8 }).map((lines) => Buffer.from(lines.join(''), 'latin1'));
    const path = join(dir, 'property.mbox');
    await fc.assert(
      fc.asyncProperty(
        fc.array(message, { maxLength: 6 }),
        fc.constantFrom('\n', '\r\n'),
        fc.integer({ min: 1, max: 16 }),
        async (messages, eol, chunkBytes) => {
          await writeFile(path, mbox(messages, { eol }));
          const read = await collect(path, { chunkBytes });
          expect(read.map((m) => Buffer.from(m.raw))).toEqual(messages.map((raw) => expected(raw, eol)));
          expect((await countArchive(path, { chunkBytes })).messages).toBe(messages.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('takes time in proportion to the input, hostile lines too', async () => {
    const path = join(dir, 'growth.mbox');
    for (const unit of ['>'.repeat(900), '\r', '\n', '>From \n', '\n\nFrom x\n', 'x'.repeat(100)]) {
      const measured = await growth(
        (scale) => `From a Mon Jan  1 00:00:00 2024\n${unit.repeat(scale)}\n`,
        async (text) => {
          await writeFile(path, text);
          for await (const _ of readArchive(path, { chunkBytes: 1024 }));
        },
        1000,
        { rounds: 3 },
      );
      expect(measured.ratio, JSON.stringify({ unit: unit.slice(0, 10), ...measured })).toBeLessThan(LINEAR_BOUND);
    }
  });

  describe.skipIf(!hasCorpus)('built from 30 corpus mails', () => {
    let originals: Buffer[];
    let lfPath: string;
    let crlfPath: string;

    beforeAll(async () => {
      const all = ['sisimai', 'bounceparser', 'alaveteli', 'zammad', 'notmuch', 'mailgem'].flatMap((source) =>
        (readdirSync(join(CORPUS, source), { recursive: true }) as string[])
          .filter((file) => /\.(eml|box|msg)$/.test(file))
          .map((file) => `${source}/${file}`)
          .sort(),
      );
      const rest = all.filter((file) => !WITH_FROM_LINES.includes(file));
      const picked = [...WITH_FROM_LINES, ...Array.from({ length: 26 }, (_, i) => rest[Math.floor((i * rest.length) / 26)]!)];
      originals = picked.map((file) => readFileSync(join(CORPUS, file)));
      lfPath = await put(join(dir, 'corpus.mbox'), mbox(originals));
      crlfPath = await put(join(dir, 'corpus-crlf.mbox'), mbox(originals.map(crlf), { eol: '\r\n' }));
    });

    it('holds messages with From lines in the body and CRLF ones (the sample tests what it should)', () => {
      const text = originals.map((raw) => raw.toString('latin1'));
      expect(originals).toHaveLength(30);
      expect(text.filter((t) => /\n\nFrom /.test(t)).length).toBeGreaterThan(0);
      expect(text.filter((t) => t.startsWith('From ')).length).toBeGreaterThan(0);
      expect(text.filter((t) => t.includes('\r\n')).length).toBeGreaterThan(0);
    });

    it('reads each message back as the original bytes, LF and CRLF files alike', async () => {
      // Act
      const lf = await collect(lfPath);
      const crlfMessages = await collect(crlfPath);

      // Assert
      expect(lf.map((m) => Buffer.from(m.raw))).toEqual(originals.map((raw) => expected(raw)));
      expect(crlfMessages.map((m) => Buffer.from(m.raw))).toEqual(originals.map((raw) => expected(crlf(raw), '\r\n')));
      expect(await countArchive(lfPath)).toEqual({ messages: 30, bytes: (await stat(lfPath)).size });
      expect(await countArchive(crlfPath)).toEqual({ messages: 30, bytes: (await stat(crlfPath)).size });
    });

    it('reads mboxo files too, where no message had a >From line', async () => {
      const path = await put(join(dir, 'corpus-mboxo.mbox'), mbox(originals, { style: 'mboxo' }));
      const messages = await collect(path);
      expect(messages.map((m) => Buffer.from(m.raw))).toEqual(originals.map((raw) => expected(raw)));
    });

    it('resumes from any finished message with exactly the ones after it', async () => {
      // Arrange
      const all = await collect(lfPath);

      for (const k of [0, 1, 3, 14, 28, 29]) {
        // Act: the position goes through JSON, as an import's state file keeps it
        const startAt = JSON.parse(JSON.stringify(all[k]!.position)) as ArchivePosition;
        const rest = await collect(lfPath, { startAt, chunkBytes: 4096 });

        // Assert
        expect(rest, `after #${k + 1}`).toEqual(all.slice(k + 1));
      }
      expect(all[29]!.position).toEqual({ kind: 'mbox', offset: (await stat(lfPath)).size, index: 30 });
      expect(all[4]!.origin).toBe(`${lfPath} #5 (byte ${(all[3]!.position as { offset: number }).offset})`);
    });

    it('refuses a resume position that does not fit the file', async () => {
      const size = (await stat(lfPath)).size;
      const midMessage = await failure(collect(lfPath, { startAt: { kind: 'mbox', offset: 100, index: 1 } }));
      const pastEnd = await failure(collect(lfPath, { startAt: { kind: 'mbox', offset: size + 1, index: 30 } }));
      const wrongKind = await failure(collect(lfPath, { startAt: { kind: 'files', index: 1, after: 'a.eml' } }));

      expect(midMessage.message).toBe(`the resume position (byte 100) of ${lfPath} is not the start of a message; has the file changed?`);
      expect(pastEnd.message).toBe(`the resume position (byte ${size + 1}) is not inside ${lfPath} (${size} bytes); has the file changed?`);
      expect(wrongKind.message).toBe(`the resume position is for files, but ${lfPath} is an mbox`);
    });

    it('marks a message over maxMessageBytes too large, and reads its neighbours as usual', async () => {
      // Arrange
      const want = originals.map((raw) => expected(raw));
      const limit = Math.max(...want.map((raw) => raw.length)) - 1;
      const biggest = want.findIndex((raw) => raw.length === limit + 1);

      // Act
      const messages = await collect(lfPath, { maxMessageBytes: limit, chunkBytes: 1000 });
      const exact = await collect(lfPath, { maxMessageBytes: limit + 1 });

      // Assert
      expect(messages[biggest]).toMatchObject({ raw: new Uint8Array(0), tooLarge: true });
      expect(messages.filter((m) => m.tooLarge)).toHaveLength(want.filter((raw) => raw.length > limit).length);
      expect(messages.filter((m) => !m.tooLarge).map((m) => Buffer.from(m.raw))).toEqual(want.filter((raw) => raw.length <= limit));
      expect(messages.map((m) => m.position)).toEqual(exact.map((m) => m.position));
      expect(exact.some((m) => m.tooLarge)).toBe(false);
      await expect(collect(lfPath, { maxMessageBytes: 0 })).rejects.toThrow('maxMessageBytes must be a positive integer, not 0');
    });
  });

  it('reads a large mbox in bounded memory, a message past the limit counted but not kept', async () => {
    // Arrange: ~110 MB, among them one 80 MB message
    const path = join(dir, 'large.mbox');
    const message = Buffer.from(
      `From a Mon Jan  1 00:00:00 2024\nSubject: filler\n\n${'a line of an ordinary mail body, seventy-odd bytes long, and no more\n'.repeat(200)}\n`,
    );
    const hugeLine = Buffer.from(`${'QUJD'.repeat(19)}\n`.repeat(13_000));
    const out = createWriteStream(path);
    for (let i = 0; i < 4000; i++) {
      if (i === 2000) {
        out.write('From big Mon Jan  1 00:00:00 2024\nSubject: huge\n\n');
        for (let j = 0; j < 80; j++) if (!out.write(hugeLine)) await once(out, 'drain');
        out.write('\n');
      }
      if (!out.write(message)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    const size = (await stat(path)).size;
    // Live buffers after a full collection: RSS would count garbage the collector has not freed yet.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const live = () => {
      gc();
      return process.memoryUsage().arrayBuffers;
    };
    const before = live();
    let peak = before;
    let samples = 0;
    const sampler = setInterval(() => {
      samples += 1;
      peak = Math.max(peak, live());
    }, 10);

    // Act
    let count = 0;
    const tooLarge: string[] = [];
    try {
      for await (const m of readArchive(path, { maxMessageBytes: 1024 * 1024 })) {
        count += 1;
        if (m.tooLarge) tooLarge.push(m.origin);
      }
    } finally {
      clearInterval(sampler);
      await rm(path);
    }

    // Assert: holding the file or the big message would take 80 MB and more. A chunk is 1 MiB; a
    // few chunks and a chunk's worth of messages are live at once (2–7 MiB measured).
    expect(size).toBeGreaterThan(100 * 1024 * 1024);
    expect(count).toBe(4001);
    expect(tooLarge).toEqual([`${path} #2001 (byte ${2000 * message.length})`]);
    expect(samples).toBeGreaterThan(3);
    expect(peak - before).toBeLessThan(24 * 1024 * 1024);
  });
});

// ---- folders ----

describe('reading a Maildir', () => {
  let path: string;
  const mail = (n: number) => Buffer.from(`Subject: ${n}\r\nMessage-ID: <${n}@example.com>\r\n\r\nbody ${n}\r\n`);

  beforeAll(async () => {
    path = join(dir, 'Maildir');
    // Delivery time first in the name; a read message moves to cur/ with its flags.
    await put(join(path, 'cur', '1700000003.M1P1.host:2,S'), mail(3));
    await put(join(path, 'new', '1700000010.M1P1.host'), mail(10));
    await put(join(path, 'cur', '1700000001.M1P1.host:2,RS'), mail(1));
    await put(join(path, 'new', '1700000002.M1P1.host'), mail(2));
    await put(join(path, 'tmp', '1700000004.M1P1.host'), 'half written');
    await put(join(path, 'cur', '.dotfile'), 'not mail');
    await put(join(path, '.Sent', 'cur', '1700000005.M1P1.host:2,S'), mail(5));
  });

  it('reads new/ and cur/ in delivery order, never tmp/, dotfiles or subfolders', async () => {
    // Act
    const messages = await collect(path);

    // Assert
    expect(messages.map((m) => Buffer.from(m.raw))).toEqual([mail(1), mail(2), mail(3), mail(10)]);
    expect(messages.map((m) => relative(path, m.origin))).toEqual([
      'cur/1700000001.M1P1.host:2,RS',
      'new/1700000002.M1P1.host',
      'cur/1700000003.M1P1.host:2,S',
      'new/1700000010.M1P1.host',
    ]);
    expect(messages[1]?.position).toEqual({ kind: 'files', index: 2, after: 'new/1700000002.M1P1.host' });
    expect(await countArchive(path)).toEqual({ messages: 4, bytes: [1, 2, 3, 10].reduce((sum, n) => sum + mail(n).length, 0) });
  });

  it('resumes after a finished message', async () => {
    const all = await collect(path);
    expect(await collect(path, { startAt: all[1]!.position })).toEqual(all.slice(2));
    expect(await collect(path, { startAt: all[3]!.position })).toEqual([]);
  });
});

describe('reading a folder of .eml files', () => {
  let path: string;
  const mail = (name: string) => Buffer.from(`Subject: ${name}\n\nbody\n`);

  beforeAll(async () => {
    path = join(dir, 'export');
    for (const name of ['10.eml', '2.eml', '1.eml', 'notes', 'sub/a.eml', 'sub/deeper/b.msg', '.hidden', '.git/config'])
      await put(join(path, name), mail(name));
    await symlink(join(path, '1.eml'), join(path, 'link.eml'));
    await symlink(join(path, 'sub'), join(path, 'linked-dir'));
  });

  it('reads every regular file below it in natural order, without dotfiles or linked directories', async () => {
    // Act
    const messages = await collect(path);

    // Assert
    const names = ['1.eml', '2.eml', '10.eml', 'link.eml', 'notes', 'sub/a.eml', 'sub/deeper/b.msg'];
    expect(messages.map((m) => relative(path, m.origin))).toEqual(names);
    expect(messages.map((m) => Buffer.from(m.raw))).toEqual(names.map((name) => mail(name === 'link.eml' ? '1.eml' : name)));
    expect((await countArchive(path)).messages).toBe(7);
  });

  it('resumes by name, so a file removed meanwhile does not shift the rest', async () => {
    // Arrange
    const folder = join(dir, 'shrinking');
    for (const name of ['a.eml', 'b.eml', 'c.eml', 'd.eml']) await put(join(folder, name), mail(name));
    const all = await collect(folder);
    await rm(join(folder, 'b.eml'));

    // Act
    const rest = await collect(folder, { startAt: all[1]!.position });

    // Assert
    expect(rest.map((m) => relative(folder, m.origin))).toEqual(['c.eml', 'd.eml']);
  });

  it('hands on a file that vanished after the listing as unreadable, and goes on', async () => {
    // Arrange
    const folder = join(dir, 'vanishing');
    for (const name of ['a.eml', 'b.eml', 'c.eml']) await put(join(folder, name), mail(name));
    const reader = readArchive(folder);

    // Act
    const first = await reader.next();
    await rm(join(folder, 'b.eml'));
    const rest: ArchiveMessage[] = [];
    for await (const m of reader) rest.push(m);

    // Assert
    expect(first.value?.origin).toBe(join(folder, 'a.eml'));
    expect(rest[0]).toMatchObject({ origin: join(folder, 'b.eml'), raw: new Uint8Array(0), unreadable: 'no such file or directory' });
    expect(rest[1]?.raw).toEqual(mail('c.eml'));
  });

  it('marks a file over maxMessageBytes too large without reading it', async () => {
    const messages = await collect(path, { maxMessageBytes: mail('1.eml').length });
    expect(messages.filter((m) => m.tooLarge).map((m) => relative(path, m.origin))).toEqual(['10.eml', 'sub/a.eml', 'sub/deeper/b.msg']);
    expect(messages.find((m) => m.tooLarge)?.raw).toEqual(new Uint8Array(0));
  });

  it('reads a single .eml file as it is', async () => {
    // Arrange
    const raw = Buffer.concat([Buffer.from('Subject: one\r\n\r\n'), Buffer.from([0xe9, 0x0d, 0x0a])]);
    const file = await put(join(dir, 'single.eml'), raw);

    // Act
    const messages = await collect(file);

    // Assert
    expect(messages).toEqual([{ raw, origin: file, position: { kind: 'files', index: 1, after: 'single.eml' } }]);
    expect(await collect(file, { startAt: messages[0]!.position })).toEqual([]);
    expect(await countArchive(file)).toEqual({ messages: 1, bytes: raw.length });
  });
});
