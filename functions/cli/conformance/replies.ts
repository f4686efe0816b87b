import { htmlToText } from '../../adapters/mime/html-to-text.ts';
import { loadSanitizeHtml } from '../../adapters/mime/sanitize-html-lib.ts';
import { type Contender, libraryContenders, type ParsedReply, postroom } from './reply-contenders.ts';
import { type Compare, type ReplyCase, readReplySuites } from './reply-suites.ts';

export interface ReplyMiss {
  readonly suite: string;
  readonly name: string;
  readonly expected: string;
  readonly actual: string;
}

export interface ContenderScore {
  readonly right: number;
  readonly total: number;
  readonly rate: number;
}

/** One suite: each contender's score (libraries absent when their devDependencies are). */
export interface SuiteScore {
  readonly suite: string;
  readonly compare: Compare;
  readonly cases: number;
  readonly scores: Readonly<Record<string, ContenderScore>>;
}

export interface ReplyScores {
  readonly contenders: readonly string[];
  readonly suites: readonly SuiteScore[];
  readonly overall: Readonly<Record<string, ContenderScore>>;
  /** Postroom's wrong cases. */
  readonly misses: readonly ReplyMiss[];
}

/**
 * Whitespace runs become one space (line wrapping and blank lines are not what is judged), and
 * a signature delimiter line ("-- ") is dropped (whether a parser keeps it with the signature
 * is not either).
 */
export function normalize(text: string): string {
  return text
    .replace(/^[ \t]*-- ?[ \t]*$/gm, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * "Right", the same rule for every parser: the parser's new text equals the expected text after
 * `normalize`; HTML on either side is compared as its text (the adapter's converter). In a
 * `visible` suite the new text is the reply without its signature. A `reply-and-signature`
 * suite tests quotation removal only, so the new text may be the reply with or without the
 * signature the parser split off (its expectations keep some signatures and drop mobile
 * footers). When an upstream test checks only snippets, the text must hold each `contains` and
 * no `excludes`.
 */
export function judge(c: ReplyCase, compare: Compare, parsed: ParsedReply): { right: boolean; expected: string; actual: string } {
  const withSignature = normalize(`${parsed.reply}\n${parsed.signature}`);
  const actual = compare === 'visible' ? normalize(parsed.reply) : withSignature;
  if (c.expected === null) {
    const expected = `contains ${JSON.stringify(c.contains)}, not ${JSON.stringify(c.excludes)}`;
    return { right: c.contains.every((s) => actual.includes(normalize(s))) && !c.excludes.some((s) => actual.includes(normalize(s))), expected, actual };
  }
  const expected = normalize(c.kind === 'html' ? htmlToText(c.expected) : c.expected);
  const right = actual === expected || (compare === 'reply-and-signature' && normalize(parsed.reply) === expected);
  return { right, expected, actual };
}

function score(right: number, total: number): ContenderScore {
  return { right, total, rate: total === 0 ? 1 : right / total };
}

function run(contender: Contender, c: ReplyCase): ParsedReply {
  try {
    return contender.parse(c);
  } catch {
    return { reply: '\u0000error', signature: '' };
  }
}

/** Runs postroom and the kept libraries over every reply suite and scores them side by side. */
export async function checkReplies(): Promise<ReplyScores> {
  // HTML cases are read through htmlToText, which needs the sanitizer loaded (it is lazy).
  await loadSanitizeHtml();
  const suites = await readReplySuites();
  const contenders = [postroom, ...((await libraryContenders()) ?? [])];
  const misses: ReplyMiss[] = [];
  const totals = new Map<string, { right: number; total: number }>();
  const suiteScores = suites.map((suite): SuiteScore => {
    const scores: Record<string, ContenderScore> = {};
    for (const contender of contenders) {
      let right = 0;
      for (const c of suite.cases) {
        const verdict = judge(c, suite.compare, run(contender, c));
        if (verdict.right) right++;
        else if (contender === postroom) misses.push({ suite: suite.id, name: c.name, expected: verdict.expected, actual: verdict.actual });
      }
      scores[contender.name] = score(right, suite.cases.length);
      const sum = totals.get(contender.name) ?? { right: 0, total: 0 };
      totals.set(contender.name, { right: sum.right + right, total: sum.total + suite.cases.length });
    }
    return { suite: suite.id, compare: suite.compare, cases: suite.cases.length, scores };
  });
  const overall = Object.fromEntries([...totals].map(([name, t]) => [name, score(t.right, t.total)]));
  return { contenders: contenders.map((c) => c.name), suites: suiteScores, overall, misses };
}
