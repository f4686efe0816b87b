import { classifyLines, type CutRule, type Kind } from './reply-lines.ts';
import { isMobileFooter, isSignatureDelimiter, type SignatureRule, signatureStart } from './reply-signature.ts';

/** Which rule ended the new text: the client's HTML quote markup, or a text pattern. */
export type ReplyRule = `html:${string}` | CutRule | 'none';

/** A reply split into what is new, the quoted history, and the sender's signature. */
export interface ExtractedReply {
  /** The new text; '' only when the mail adds nothing but quotes and boilerplate. */
  readonly reply: string;
  /** Quoted history (`>` blocks with their attribution lines, and everything after a history marker). */
  readonly quoted: string;
  readonly signature: string | null;
  /** The rule that cut the history off ('none' when nothing was cut). */
  readonly rule: ReplyRule;
  /** The rule that found the signature, or null. */
  readonly signatureRule: SignatureRule | null;
  /**
   * How sure the split is, 0–1: the client's own quote markup and explicit markers are near
   * certain; an attribution that no quote follows, or a sign-off block, less so.
   */
  readonly confidence: number;
}

/** The HTML body with the client's quote markup cut (see the MIME adapter), as text. */
export interface HtmlReply {
  readonly text: string;
  /** The markup that marked the quote: `gmail_quote`, `blockquote-cite`, `divRplyFwdMsg`, ... */
  readonly marker: string;
}

/**
 * Text looked at for the new reply. A longer body (hostile, or a mail pasting a log) keeps its
 * first part for the reply split and the rest as quoted, so the split stays linear and bounded;
 * the whole body is still stored.
 */
export const MAX_REPLY_SCAN_CHARS = 512 * 1024;

const CONFIDENCE: Readonly<Record<CutRule | 'none' | 'html', number>> = {
  html: 0.95,
  'quote-prefix': 0.95,
  'history-marker': 0.95,
  'header-block': 0.9,
  'app-footer': 0.9,
  attribution: 0.85,
  none: 0.8,
};

/**
 * Separates the new text of a reply from quoted history and signature.
 *
 * Structure first: when the HTML body marked the quote (`htmlReply`, cut by the MIME adapter),
 * the new text is read from it, and the text rules below only remove what is left of the
 * attribution line and the signature. When the HTML marks nothing, or its cut would leave no
 * reply while the plain text has one, the plain text is read:
 * - unprefixed history (header blocks in many languages, "Original Message" and forward
 *   markers, an attribution not followed by `>` lines, an Outlook app footer) ends the new text;
 * - `>` lines are quoted wherever they are, with the attribution line that introduces them and
 *   the lines their client wrapped without `>`; unquoted lines between them (inline answers)
 *   stay in the reply;
 * - the signature is searched in the text after the last quote (see `signatureStart`). When
 *   removing a "-- " signature would leave no reply, it is kept as the reply (a mail that is
 *   only a signature block still said something); a lone mobile footer is not new text.
 *
 * `quoted` always comes from the plain text. Lines end in `\n` in the output; CRLF is accepted.
 */
export function extractReply(text: string, htmlReply: HtmlReply | null = null): ExtractedReply {
  const plain = extractText(text);
  if (htmlReply === null) return plain;
  const fromHtml = extractText(htmlReply.text);
  if (fromHtml.reply === '' && plain.reply !== '') return plain;
  // Some clients send a text part that is not the HTML's text (Apple Mail with several HTML
  // parts): the HTML's reply counts only when the plain text says it too.
  if (!sameWords(plain.reply, fromHtml.reply)) return plain;
  const rule: ReplyRule = `html:${htmlReply.marker}`;
  // A plain <blockquote> is only the last quote of the HTML (as talon takes it), not a client's mark.
  const confidence = htmlReply.marker === 'blockquote' ? CONFIDENCE.attribution : CONFIDENCE.html;
  // When both say the same words, the plain text is kept: it has the link targets and the
  // line breaks the sender's client wrote.
  if (words(withoutLinks(plain.reply)) === words(withoutLinks(fromHtml.reply))) return { ...plain, rule, confidence };
  return { ...fromHtml, quoted: plain.quoted, rule, confidence };
}

const words = (text: string): string => text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
const withoutLinks = (text: string): string => text.replace(/<?(?:https?:\/\/|mailto:)[^\s>)]+>?/giu, '');

/** The first line of the HTML's reply is in the plain text's reply (letters and digits only). */
function sameWords(plain: string, html: string): boolean {
  const first = html.split('\n').find((line) => words(line) !== '') ?? '';
  return words(plain).includes(words(first).slice(0, 40));
}

function extractText(text: string): ExtractedReply {
  if (text.length > MAX_REPLY_SCAN_CHARS) {
    // The head ends with the last line break inside the limit, so it is never longer than the limit.
    const cut = text.lastIndexOf('\n', MAX_REPLY_SCAN_CHARS - 1) + 1 || MAX_REPLY_SCAN_CHARS;
    const head = extractText(text.slice(0, cut));
    // trimEnd, not /\s+$/: that pattern is quadratic on a long run of spaces followed by text.
    const tail = text.slice(cut).replace(/\r\n?/g, '\n').replace(/^\n+/, '').trimEnd();
    return { ...head, quoted: head.quoted ? `${head.quoted}\n${tail}` : tail };
  }
  const { lines, kinds, rule } = classifyLines((text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text).split('\n'));
  const allText = indexesOf(kinds, 'text');
  // A footer that the app put first cut nothing (see classifyLines); it is no new text either.
  const lead = leadingFooter(lines, allText);
  const textIndexes = lead === null ? allText : allText.filter((index) => index !== lead);
  const found = findSignature(lines, kinds, textIndexes);
  const signatureAt = found?.index ?? null;
  const replyIndexes = signatureAt === null ? textIndexes : textIndexes.filter((index) => index < signatureAt);
  let reply = join(lines, replyIndexes);
  // The "-- " delimiter line itself is not part of the signature text.
  const delimited = signatureAt !== null && isSignatureDelimiter(lines[signatureAt] ?? '');
  const signatureFrom = signatureAt !== null && (delimited || found?.rule === 'signature-separator') ? signatureAt + 1 : signatureAt;
  let signature =
    signatureFrom === null
      ? null
      : join(
          lines,
          textIndexes.filter((index) => index >= signatureFrom),
        ) || null;
  let signatureRule = found?.rule ?? null;
  if (reply === '' && signature !== null && (delimited || found?.rule === 'signature-separator')) {
    reply = signature;
    signature = null;
    signatureRule = null;
  }
  if (signature === null && lead !== null) {
    signature = (lines[lead] ?? '').trim();
    signatureRule = 'mobile-footer';
  }
  const quoted = join(lines, indexesOf(kinds, 'quoted'));
  const sure = CONFIDENCE[rule] - (signatureRule === 'sign-off' ? 0.1 : 0);
  return { reply, quoted, signature, rule, signatureRule, confidence: Math.round(sure * 100) / 100 };
}

function indexesOf(kinds: readonly Kind[], kind: Kind): number[] {
  const indexes: number[] = [];
  for (let index = 0; index < kinds.length; index++) if (kinds[index] === kind) indexes.push(index);
  return indexes;
}

/** The first text line, when it is a mail app's footer and more text follows it. */
function leadingFooter(lines: readonly string[], textIndexes: readonly number[]): number | null {
  const [first, ...rest] = textIndexes.filter((index) => (lines[index] ?? '').trim() !== '');
  return first !== undefined && rest.length > 0 && isMobileFooter(lines[first] ?? '') ? first : null;
}

function findSignature(lines: readonly string[], kinds: readonly Kind[], textIndexes: readonly number[]): { index: number; rule: SignatureRule } | null {
  // Only the text after the last quote can hold the signature (inline replies quote above it);
  // history cut off below the reply does not count.
  const lastText = textIndexes.filter((index) => (lines[index] ?? '').trim() !== '').at(-1) ?? -1;
  const lastQuote = kinds.lastIndexOf('quoted', lastText);
  const region = textIndexes.filter((index) => index > lastQuote);
  const found = signatureStart(region.map((index) => lines[index] ?? ''));
  const index = found === null ? undefined : region[found.index];
  return found === null || index === undefined ? null : { index, rule: found.rule };
}

/**
 * Joins the given lines; a gap (lines of the other kind in between) becomes a blank line.
 * Blank lines at both ends are trimmed and blank runs collapsed.
 */
function join(lines: readonly string[], indexes: readonly number[]): string {
  const parts: string[] = [];
  let blank = true;
  for (let position = 0; position < indexes.length; position++) {
    const index = indexes[position] as number;
    const line = (lines[index] ?? '').trimEnd();
    const previous = indexes[position - 1];
    const gap = previous !== undefined && index - previous > 1;
    // Leading blank lines are dropped, and a run of blank lines (or a gap) becomes one.
    if (line === '' || gap) {
      if (!blank) parts.push('');
      blank = true;
      if (line === '') continue;
    }
    parts.push(line);
    blank = false;
  }
  while (parts.at(-1) === '') parts.pop();
  return parts.join('\n');
}
