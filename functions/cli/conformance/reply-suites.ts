import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { MailparserMimeParser } from '../../adapters/mailparser-mime-parser.ts';
import type { HtmlReply } from '../../core/inbound/extract-reply.ts';

/** Where the reply-parsing suites live: committed fixtures, so they run without the corpus. */
export const REPLY_FIXTURES_DIR = resolve(import.meta.dirname, '../../../test/fixtures/reply');

/**
 * What a suite's expectations hold. `reply-and-signature`: the text with quotations removed,
 * signature kept (talon and planer test only quotation removal). `visible`: the new text
 * without signature (email-reply-parser's "visible text", and this project's own suite).
 */
export type Compare = 'reply-and-signature' | 'visible';

export interface ReplySuite {
  readonly id: string;
  readonly compare: Compare;
  readonly cases: readonly ReplyCase[];
}

/**
 * One mail of a suite: its body and what a correct parser returns. A `.eml` case is parsed by
 * the MIME adapter: `input` is its text, `htmlReply` the adapter's HTML quote cut.
 */
export interface ReplyCase {
  readonly name: string;
  readonly kind: 'text' | 'html' | 'eml';
  readonly input: string;
  readonly htmlReply: HtmlReply | null;
  /** The expected text; for an HTML case, HTML (compared as its text). */
  readonly expected: string | null;
  /** When the upstream test only checks snippets: all of `contains`, none of `excludes`. */
  readonly contains: readonly string[];
  readonly excludes: readonly string[];
}

interface RawCase {
  name: string;
  kind?: 'text' | 'html';
  input?: string;
  file?: string;
  expected?: string;
  contains?: string[];
  excludes?: string[];
}

const SUITES: readonly { id: string; compare: Compare }[] = [
  { id: 'talon', compare: 'reply-and-signature' },
  { id: 'planer', compare: 'reply-and-signature' },
  { id: 'email-reply-parser', compare: 'visible' },
  { id: 'postroom', compare: 'visible' },
  { id: 'postroom-world', compare: 'visible' },
];

/** Reads every suite's `cases.json` (inputs inline or in files beside it). */
export async function readReplySuites(dir: string = REPLY_FIXTURES_DIR): Promise<ReplySuite[]> {
  const parser = new MailparserMimeParser();
  return Promise.all(
    SUITES.map(async ({ id, compare }) => {
      const raw = JSON.parse(await readFile(join(dir, id, 'cases.json'), 'utf8')) as RawCase[];
      const cases = await Promise.all(
        raw.map(async (c): Promise<ReplyCase> => {
          const expectation = { name: c.name, expected: c.expected ?? null, contains: c.contains ?? [], excludes: c.excludes ?? [] };
          if (c.file?.endsWith('.eml')) {
            const message = await parser.parse(await readFile(join(dir, id, c.file)), {}, { html: 'omit' });
            return { ...expectation, kind: 'eml', input: message.text, htmlReply: message.htmlReply };
          }
          const input = c.input ?? (c.file ? await readFile(join(dir, id, c.file), 'utf8') : '');
          return { ...expectation, kind: c.kind ?? (c.file?.endsWith('.html') ? 'html' : 'text'), input, htmlReply: null };
        }),
      );
      return { id, compare, cases };
    }),
  );
}
