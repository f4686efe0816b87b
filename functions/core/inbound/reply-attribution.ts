/**
 * Attribution lines ("On <date>, <name> wrote:") as mail clients write them in many languages,
 * also wrapped onto two or three lines, dashed (`---- On … wrote ----`), without a colon, or
 * date-first as Gmail writes them in several locales (`2017-11-24 16:32 GMT+01:00 Name <a@b>:`).
 */

// The verb of "X wrote:" per language. Longest forms first where one is a prefix of another.
// Besides Gmail's, Apple Mail's and Outlook's, the verbs of Thunderbird for Android's reply
// header (message_compose_reply_header_fmt, per locale). A gender ending may follow the verb
// ("napisał/a", "napisał(a)", "כתב/ה").
const VERBS = [
  'wrote',
  'sent',
  'writes',
  'schrieb',
  'schreibt',
  'a\\s+écrit',
  'a\\s+ecrit',
  'écrit',
  'escribió',
  'escribio',
  'escribiu',
  'escreveu',
  'ha\\s+escrit',
  'ha\\s+scritto',
  'hà\\s+scrittu',
  'scrisse',
  'a\\s+scris',
  'napisała',
  'napisał',
  'pisze',
  'napsala',
  'napsal',
  'napísal',
  'je\\s+napisao',
  'sporoča',
  'skrev',
  'skreiv',
  'kirjoitti',
  'kirjutas',
  'írta',
  'rakstīja',
  'parašė',
  'shkroi',
  'menulis',
  'написала',
  'написал',
  'написа',
  'пишет',
  'пише',
  'піша',
  'έγραψε',
  'كتب',
  'het\\s+volgende\\s+geschreven',
  'schreef',
  'yazdı',
  'đã\\s+viết',
  'כתב',
  'skrifaði',
  'skribis',
].join('|');
// Chinese, Japanese and Korean verbs follow the date or address without a space.
const CJK_VERBS = '写道|寫道|寫到|のメッセージ|のメール|작성';
const VERB = `(?:(?:^|[\\s,،>)"'”])(?:${VERBS})(?:/\\p{L}{1,2}|\\(\\p{L}{1,2}\\))?|(?:${CJK_VERBS}))`;

// Verb at the end, optionally followed by the name ("schrieb Max <max@x>:"), then a colon.
const VERB_AT_END = new RegExp(`${VERB}(?:\\s[^:：\\n]{0,160})?\\s*[:：]\\s*$`, 'iu');
// Verb anywhere in a line that names an address and ends with a colon (Hungarian "ezt írta (időpont: …):").
const VERB_ANYWHERE = new RegExp(`${VERB}(?=[\\s:：(]|$)`, 'iu');
// Verb at the very end without a colon; only after an intro word or between dashes.
const VERB_NO_COLON = new RegExp(`(?:^|\\s)(?:${VERBS})\\s*$`, 'iu');
// Words that open an attribution ("On", "Am", "Le", "El", "Op", "Il", "In data", "W dniu", "Dnia", "Den", "På", "Em", "Pe",
// "Dne", "Ekkor:", "Στις", "في", "بتاريخ", "在"), and Apple Mail's Polish "Wiadomość napisana przez".
const INTROS = 'on|am|le|el|op|il|in\\s+data|w\\s+dniu|dnia|den|på|em|pe|dne|ekkor:?|στις|في|بتاريخ|在|wiadomość\\s+napisana\\s+przez';
const INTRO = new RegExp(`^(?:${INTROS})\\s`, 'iu');
const INTRO_AFTER_SPACE = new RegExp(`^\\s*(?:${INTROS})\\s`, 'iu');
// Openings that only attributions use, whose verb comes first ("Wiadomość napisana przez <name>
// w dniu <date>, o godz. <time>:", Apple Mail in Polish) or that have none ("بتاريخ <date>، <name>:").
const OPENING = /^(?:wiadomość\s+napisana\s+przez|بتاريخ)\s/iu;

const DATE_OR_TIME = /\d{1,2}[:.]\d{2}|\d{4}[-/.]\s?\d{1,2}[-/.]\s?\d{1,2}|\d{1,2}[./]\d{1,2}[./]\d{2,4}/u;
const DATE_FIRST = /^\d{1,4}[-/.年]\s?\d{1,2}/u;
const HAS_ANCHOR = /[\d@]/u;

/** The longest attribution we consider, joined: a bound that keeps the scan linear. */
const MAX_JOINED = 500;

export interface Attribution {
  /** Lines it takes (1–3). */
  readonly length: number;
  /** Only an attribution when quoted (`>`) lines follow: looser forms. */
  readonly needsQuote: boolean;
}

/*
 * Every test below runs in one pass over the line: what is looked for at the end of a line is
 * found from the end (a pattern such as `-{2,}\s*$` or `x+@y+\s*:\s*$` retries from every
 * position and backtracks; a line of `a@a@…a@(:` took seconds), and no two adjacent
 * quantifiers can take the same characters.
 */

const isDecoration = (char: string): boolean => char === '*' || char === '_' || char === '=' || char === '-' || /\s/u.test(char);

/** The line without the decoration (`*`, `_`, `=`, `-` and spaces) at its end. */
function trimDecorationEnd(line: string): string {
  let end = line.length;
  while (end > 0 && isDecoration(line[end - 1] as string)) end--;
  return line.slice(0, end);
}

function strip(line: string): string {
  return trimDecorationEnd(line.replace(/^[\s*_=-]+/u, ''));
}

function dashed(line: string): boolean {
  return /^\s*-{2,}/u.test(line) && line.trimEnd().endsWith('--');
}

const BRACKETED = { '<': /^[^<>\s]+@[^<>\s]+$/u, '(': /^[^()\s]+@[^()\s]+$/u } as const;

/** `<a@b>` (or `(a@b)`) ends the text, spaces aside. */
function endsWithBracketedAddress(text: string, open: '<' | '('): boolean {
  const trimmed = text.trimEnd();
  const at = trimmed.lastIndexOf(open);
  return at >= 0 && trimmed.endsWith(open === '<' ? '>' : ')') && BRACKETED[open].test(trimmed.slice(at + 1, -1).trim());
}

/** A bare `a@b` ends the text: the run after the last space or bracket has an `@` inside it. */
function endsWithBareAddress(text: string): boolean {
  let start = text.length;
  while (start > 0 && !/[\s<>()]/u.test(text[start - 1] as string)) start--;
  const at = text.indexOf('@', start + 1);
  return at > start && at < text.length - 1;
}

/** An address, then a colon, ends the text: `Name <a@b>:`, `(a@b) :`, `a@b:`. */
function endsWithAddressColon(text: string): boolean {
  const trimmed = text.trimEnd();
  if (!trimmed.endsWith(':') && !trimmed.endsWith('：')) return false;
  const before = trimmed.slice(0, -1).trimEnd();
  return endsWithBracketedAddress(before, '<') || endsWithBracketedAddress(before, '(') || endsWithBareAddress(before);
}

/**
 * A cheap first look, so prose lines cost one short test: an attribution ends with a colon,
 * an address's `>`, or (without its colon) opens with an intro word or dashes.
 */
function candidate(raw: string): boolean {
  const trimmed = raw.trimEnd();
  const last = trimmed.at(-1);
  if (last === ':' || last === '：' || last === '>') return true;
  if (last === '-' || last === '*' || last === '_' || last === '=') {
    const end = trimDecorationEnd(trimmed).at(-1);
    if (end === ':' || end === '：' || end === '>' || /^\s*-{2,}/u.test(raw)) return true;
  }
  return INTRO_AFTER_SPACE.test(raw);
}

/** Whether `joined` (one attribution, possibly rejoined from wrapped lines) reads as one. */
function matchAttribution(raw: string): Attribution | null {
  if (!candidate(raw)) return null;
  const joined = strip(raw);
  if (joined.length < 6 || joined.length > MAX_JOINED) return null;
  // "Bob wrote:" names no date or address: an attribution only right above `>` lines.
  if (!HAS_ANCHOR.test(joined)) return joined.length <= 80 && /[:：]$/u.test(joined) && VERB_AT_END.test(joined) ? { length: 1, needsQuote: true } : null;
  const hasAddress = joined.includes('@');
  if (VERB_AT_END.test(joined) && (INTRO.test(joined) || hasAddress || DATE_OR_TIME.test(joined))) return { length: 1, needsQuote: false };
  if (hasAddress && /[:：]\s*$/u.test(joined) && VERB_ANYWHERE.test(joined)) return { length: 1, needsQuote: false };
  // "On … wrote" without its colon, Zoho's "---- On … wrote ----", "------On … wrote-----".
  // Without the colon it needs more: dashes, or an address or a year as well as the time.
  const sure = dashed(raw) || (DATE_OR_TIME.test(joined) && (hasAddress || /\b(?:19|20)\d\d\b/u.test(joined)));
  if (VERB_NO_COLON.test(joined) && (INTRO.test(joined) || dashed(raw)) && sure) return { length: 1, needsQuote: false };
  if (OPENING.test(joined) && /[:：]$/u.test(joined) && (hasAddress || DATE_OR_TIME.test(joined))) return { length: 1, needsQuote: false };
  // Gmail's date-first form: "2014-03-20 8:48 GMT+01:00 Name <a@b>:", "ср, 30 апр. 2025 г. в 15:19, Name <a@b>:".
  if (endsWithAddressColon(joined) && DATE_OR_TIME.test(joined)) return { length: 1, needsQuote: false };
  if (endsWithBracketedAddress(joined, '<') && DATE_FIRST.test(joined)) return { length: 1, needsQuote: true };
  return null;
}

function isQuoted(line: string): boolean {
  return /^[ \t]*>/u.test(line);
}

/**
 * The attribution that starts at `index`, or null. A wrapped one is joined with the next one
 * or two lines, but only when the next line alone is not already an attribution (so a text
 * line above a one-line attribution is never taken with it) and the first line looks like the
 * start of one (an intro word, a date, a weekday, an address or a name followed by `<`).
 */
export function attributionAt(lines: readonly string[], index: number): Attribution | null {
  const first = lines[index] ?? '';
  if (first.trim() === '' || isQuoted(first) || first.length > MAX_JOINED) return null;
  const single = matchAttribution(first);
  if (single) return single;
  // The first half of a wrapped attribution does not end a sentence ("… schrieb am So., 23." may).
  if (/[\p{L}][.!?]$|[!?]$/u.test(first.trimEnd().slice(-2)) || !plausibleStart(first)) return null;
  let joined = first.trim();
  for (let length = 2; length <= 3; length++) {
    const next = lines[index + length - 1];
    // Gmail may wrap the ">" that closes the address onto a line of its own (">:").
    if (next === undefined || next.trim() === '' || (isQuoted(next) && !/^\s*>\s*[:：]\s*$/u.test(next))) return null;
    // A complete line above a one-line attribution is text, not its first half.
    const alone = matchAttribution(next);
    if (alone && !alone.needsQuote && !continues(joined)) return null;
    // `(?<!\s)`: a run of spaces is tried once, from its start, not from each of its spaces.
    joined = `${joined} ${next.trim()}`.replace(/([<(])\s+/gu, '$1').replace(/(?<!\s)\s+([>)])/gu, '$1');
    const match = matchAttribution(joined);
    if (match) return { ...match, length };
  }
  return null;
}

function plausibleStart(line: string): boolean {
  if (line.includes('@') || /[<(]\s*$/u.test(line)) return true;
  return /^[\s*_=-]*(?:\d|[\p{L}]{2,4}\.?,?\s+\d|[\p{L}]{2,4}\.?,\s)/u.test(line) || INTRO.test(strip(line));
}

/** The line reads as the unfinished first part of a wrapped attribution. */
function continues(joined: string): boolean {
  return /[,<(]\s*$/u.test(joined) || (DATE_OR_TIME.test(joined) && !/[.!?:：]\s*$/u.test(joined));
}

// Text and an attribution on one line: "reply On Wed, Apr 4, 2012 at 3:59 PM, bob@x wrote:"
// or "reply--- On …". The attribution part must start with "On" after a space or dashes.
// The separator is tried only where a run of spaces or dashes starts (after a non-space).
const INLINE_SEPARATOR = /(?<=\S)(?:\s+|\s*-{2,}\s*)(?=On\s)/gu;

/**
 * Splits a line that holds the end of the reply and an attribution into two lines, when the
 * attribution part is one. Returns null otherwise.
 */
export function splitInlineAttribution(line: string): [string, string] | null {
  if (line.length > MAX_JOINED || !/wrote|sent/iu.test(line)) return null;
  for (const separator of line.matchAll(INLINE_SEPARATOR)) {
    const tail = line.slice(separator.index + separator[0].length);
    // "On", a space and 8 to 300 more characters to the end of the line.
    if (tail.length < 11 || tail.length > 303 || /[\r\u2028\u2029]/u.test(tail)) continue;
    const head = line.slice(0, separator.index);
    return matchAttribution(tail) ? [head.replace(/(?<!-)-+$/u, '').trimEnd(), tail] : null;
  }
  return null;
}
