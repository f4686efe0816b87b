import { attributionLength, isMobileFooter, isQuotedLine, isSignatureDelimiter, startsUnprefixedHistory } from './reply-markers.ts';

/** A reply split into what is new, the quoted history, and the sender's signature. */
export interface ExtractedReply {
  /** The new text; '' only when the mail adds nothing but quotes and boilerplate. */
  readonly reply: string;
  /** Quoted history (`>` blocks with their attribution lines, and everything after a history marker). */
  readonly quoted: string;
  readonly signature: string | null;
}

type Kind = 'text' | 'quoted';

/**
 * Text looked at for the new reply. A longer body (hostile, or a mail pasting a log) keeps its
 * first part for the reply split and the rest as quoted, so the split stays linear and bounded;
 * the whole body is still stored.
 */
export const MAX_REPLY_SCAN_CHARS = 512 * 1024;

/**
 * Separates the new text of a plain-text reply from quoted history and signature.
 *
 * - Unprefixed history (Outlook header blocks and separators, "Original Message" and
 *   forward markers, an "On ... wrote:" not followed by `>` lines) ends the new text:
 *   everything from there on is quoted.
 * - `>` lines are quoted wherever they are, with the attribution line that introduces them;
 *   unquoted lines between them (inline / bottom-posted answers) stay in the reply.
 * - The signature starts at the first "-- " delimiter after the last quote, or at a
 *   mobile footer ("Sent from my iPhone") that ends the new text. When removing a "-- "
 *   signature would leave no reply, it is kept as the reply (a mail that is only a
 *   signature block still said something); a lone mobile footer is not new text.
 *
 * Lines end in `\n` in the output; CRLF input is accepted.
 */
export function extractReply(text: string): ExtractedReply {
  if (text.length > MAX_REPLY_SCAN_CHARS) {
    const cut = text.lastIndexOf('\n', MAX_REPLY_SCAN_CHARS) + 1 || MAX_REPLY_SCAN_CHARS;
    const head = extractReply(text.slice(0, cut));
    const tail = text.slice(cut).replace(/\r\n?/g, '\n').replace(/\s+$/, '');
    return { ...head, quoted: head.quoted ? `${head.quoted}\n${tail}` : tail };
  }
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const kinds = classify(lines);
  const textIndexes = kinds.flatMap((kind, index) => (kind === 'text' ? [index] : []));
  const signatureStart = findSignature(lines, kinds, textIndexes);
  const replyIndexes = signatureStart === null ? textIndexes : textIndexes.filter((index) => index < signatureStart);
  let reply = join(lines, replyIndexes);
  // The "-- " delimiter line itself is not part of the signature text.
  const signatureFrom = signatureStart !== null && isSignatureDelimiter(lines[signatureStart] ?? '') ? signatureStart + 1 : signatureStart;
  let signature = signatureFrom === null ? null : join(lines, textIndexes.filter((index) => index >= signatureFrom)) || null;
  if (reply === '' && signature !== null && signatureStart !== null && isSignatureDelimiter(lines[signatureStart] ?? '')) {
    reply = signature;
    signature = null;
  }
  const quoted = join(lines, kinds.flatMap((kind, index) => (kind === 'quoted' ? [index] : [])));
  return { reply, quoted, signature };
}

function classify(lines: readonly string[]): Kind[] {
  const kinds: Kind[] = lines.map(() => 'text');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    if (isQuotedLine(line)) {
      kinds[index] = 'quoted';
      continue;
    }
    const attribution = attributionLength(lines, index);
    if (attribution > 0) {
      if (!isQuotedLine(nextNonBlank(lines, index + attribution) ?? '')) return markRest(kinds, index);
      for (let offset = 0; offset < attribution; offset++) kinds[index + offset] = 'quoted';
      index += attribution - 1;
      continue;
    }
    if (startsUnprefixedHistory(lines, index)) return markRest(kinds, index);
  }
  return kinds;
}

function nextNonBlank(lines: readonly string[], from: number): string | undefined {
  for (let index = from; index < lines.length; index++) {
    const line = lines[index] ?? '';
    if (line.trim() !== '') return line;
  }
  return undefined;
}

function markRest(kinds: Kind[], from: number): Kind[] {
  return kinds.map((kind, index) => (index >= from ? 'quoted' : kind));
}

function findSignature(lines: readonly string[], kinds: readonly Kind[], textIndexes: readonly number[]): number | null {
  const nonBlank = textIndexes.filter((index) => (lines[index] ?? '').trim() !== '');
  const last = nonBlank.at(-1);
  if (last === undefined) return null;
  // Only the text after the last quote can hold the signature (inline replies quote above it).
  const lastQuote = lastIndexOf(kinds, 'quoted', last);
  const delimiter = nonBlank.find((index) => index > lastQuote && isSignatureDelimiter(lines[index] ?? ''));
  if (delimiter !== undefined) return delimiter;
  return isMobileFooter(lines[last] ?? '') ? last : null;
}

function lastIndexOf(kinds: readonly Kind[], kind: Kind, before: number): number {
  for (let index = before; index >= 0; index--) if (kinds[index] === kind) return index;
  return -1;
}

/**
 * Joins the given lines; a gap (lines of the other kind in between) becomes a blank line.
 * Blank lines at both ends are trimmed and blank runs collapsed.
 */
function join(lines: readonly string[], indexes: readonly number[]): string {
  return indexes
    .map((index, position) => {
      const line = (lines[index] ?? '').replace(/[ \t]+$/, '');
      const previous = indexes[position - 1];
      return previous !== undefined && index - previous > 1 ? `\n${line}` : line;
    })
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .replace(/^\n+|\s+$/g, '');
}
