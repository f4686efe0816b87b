import { attributionAt, splitInlineAttribution } from './reply-attribution.ts';
import { headerBlockEnd, isHistoryMarker, isQuotedLine, splitGluedMarker, startsUnprefixedHistory } from './reply-markers.ts';
import { matchForm } from './reply-match-form.ts';
import { isMobileFooter } from './reply-signature.ts';

export type Kind = 'text' | 'quoted';

/** The text rule that ended the new text. */
export type CutRule = 'quote-prefix' | 'attribution' | 'header-block' | 'history-marker' | 'app-footer';

export interface ClassifiedLines {
  /** The lines, with an attribution that shared a line with the reply moved onto its own line. */
  readonly lines: readonly string[];
  readonly kinds: readonly Kind[];
  readonly rule: CutRule | 'none';
}

/**
 * Marks every line as new text or quoted history (see `extractReply`), and names the first
 * rule that cut history off. The recognizers read each line's match form (`matchForm`); the
 * lines come back as sent.
 */
export function classifyLines(input: readonly string[]): ClassifiedLines {
  const lines = splitInline(input);
  const view = lines.map(matchForm);
  const kinds: Kind[] = lines.map(() => 'text');
  let rule: CutRule | 'none' = 'none';
  let textSeen = false;
  let footerSeen = false;
  const cut = (from: number, why: CutRule): ClassifiedLines => {
    for (let index = from; index < lines.length; index++) kinds[index] = 'quoted';
    return { lines, kinds, rule: rule === 'none' ? why : rule };
  };
  for (let index = 0; index < view.length; index++) {
    const line = view[index] ?? '';
    if (isQuotedLine(line)) {
      kinds[index] = 'quoted';
      if (rule === 'none') rule = 'quote-prefix';
      index = wrappedContinuation(view, kinds, index);
      continue;
    }
    const attribution = attributionAt(view, index);
    if (attribution) {
      const quoteFollows = isQuotedLine(nextNonBlank(view, index + attribution.length) ?? '');
      if (!quoteFollows && !attribution.needsQuote) return cut(index, 'attribution');
      if (quoteFollows) {
        for (let offset = 0; offset < attribution.length; offset++) kinds[index + offset] = 'quoted';
        if (rule === 'none') rule = 'quote-prefix';
        index += attribution.length - 1;
        continue;
      }
    }
    if (startsUnprefixedHistory(view, index)) {
      const headerEnd = headerBlockEnd(view, index);
      // A header block with nothing above it heads a forward: its own lines are the history.
      if (headerEnd === -1 || textSeen || footerSeen || rule !== 'none') {
        return cut(index, headerEnd === -1 ? 'history-marker' : 'header-block');
      }
      while (index < headerEnd) kinds[index++] = 'quoted';
      index--;
      continue;
    }
    if (isMobileFooter(line)) {
      // Mail apps write their footer directly above the unprefixed original; a footer with no
      // text above it (the app put it first) cuts nothing: what follows is the reply.
      if (textSeen && nextNonBlank(view, index + 1) !== undefined) return cut(index + 1, 'app-footer');
      footerSeen = true;
      continue;
    }
    if (line.trim() !== '') textSeen = true;
  }
  return { lines, kinds, rule };
}

const INLINE_ON = /[ -]On\s/u;

/**
 * Moves history that shares a line with the end of the reply onto its own line: an attribution
 * ("reply On … wrote:" above `>` lines) or an "Original Message" marker between rules.
 */
function splitInline(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const split =
      INLINE_ON.test(line) && !isQuotedLine(line) && isQuotedLine(nextNonBlank(lines, index + 1) ?? '')
        ? splitInlineAttribution(line)
        : isQuotedLine(line)
          ? null
          : splitGluedMarker(line);
    if (split) out.push(...split);
    else out.push(line);
  }
  return out;
}

function nextNonBlank(lines: readonly string[], from: number): string | undefined {
  for (let index = from; index < lines.length && index < from + 50; index++) {
    const line = lines[index] ?? '';
    if (line.trim() !== '') return line;
  }
  return undefined;
}

// A link alone, perhaps with a `>` after spaces. (`\S+` takes a closing bracket; `\s*>?\s*` would try every split of a run of spaces.)
const LINK_LINE = /^\s*[(<]?https?:\/\/\S+(?:\s+>)?\s*$/u;

/**
 * A quoted line's client may have wrapped it without `>` (Outlook answering on a list, long
 * To: lines, links): up to two unquoted lines directly between two quoted lines, with no blank
 * line around them, are quoted too when the line above is long, is a quoted header or marker,
 * leaves a bracket open, or they are only a link. Returns the last index handled.
 */
function wrappedContinuation(lines: readonly string[], kinds: Kind[], index: number): number {
  const above = lines[index] ?? '';
  for (let length = 1; length <= 2; length++) {
    const after = lines[index + length + 1];
    if (after === undefined || !isQuotedLine(after)) continue;
    const middle = lines.slice(index + 1, index + length + 1);
    if (middle.some((line) => line.trim() === '' || isQuotedLine(line))) return index;
    const bare = above.replace(/^[\s>]+/u, '');
    const wraps =
      above.length >= 60 ||
      isHistoryMarker(bare) ||
      /^\*?(?:from|to|cc|sent|date|subject|von|an|gesendet|betreff|de|à|objet|envoyé)\s*:/iu.test(bare) ||
      bare.split('(').length > bare.split(')').length ||
      bare.split('<').length > bare.split('>').length ||
      middle.every((line) => LINK_LINE.test(line));
    if (!wraps) return index;
    for (let offset = 1; offset <= length; offset++) kinds[index + offset] = 'quoted';
    return index + length;
  }
  return index;
}
