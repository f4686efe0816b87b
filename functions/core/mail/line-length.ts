/** Text whose lines are at most a given length, and whether a line had to be cut for it. */
export interface LimitedLines {
  readonly text: string;
  readonly cut: boolean;
}

// A cut looks back this far for a space, so that words stay whole where the text has spaces.
const WORD_BREAK_LOOKBACK = 200;

/**
 * Cuts every line longer than `max` characters into lines of at most `max`: at the last space
 * within the last 200 characters before the limit (the space becomes the line break), else at
 * the limit itself, never inside a surrogate pair. Nothing else changes, so whatever reads the
 * text line by line (reply extraction, classification) reads lines of a bounded length and the
 * agent still sees all of it. One pass; the text comes back as it is when no line is too long.
 */
export function limitLineLength(text: string, max: number): LimitedLines {
  if (text.length <= max) return { text, cut: false };
  const pieces: string[] = [];
  let cut = false;
  let start = 0;
  while (start < text.length) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline;
    let from = start;
    while (end - from > max) {
      const at = breakAt(text, from, from + max);
      pieces.push(text.slice(from, at), '\n');
      from = text[at] === ' ' ? at + 1 : at;
      cut = true;
    }
    pieces.push(text.slice(from, newline === -1 ? end : end + 1));
    start = end + 1;
  }
  return cut ? { text: pieces.join(''), cut } : { text, cut };
}

/** Where to cut a line between `from` and `limit`: before the last space near the limit, else at it. */
function breakAt(text: string, from: number, limit: number): number {
  // A window, not `lastIndexOf(' ', limit)`: a line without spaces must not be searched back to its start at every cut.
  const window = Math.max(from + 1, limit - WORD_BREAK_LOOKBACK);
  const space = text.slice(window, limit + 1).lastIndexOf(' ');
  if (space !== -1) return window + space;
  const code = text.charCodeAt(limit - 1);
  // Not between the two halves of a surrogate pair (an emoji, a rare CJK character).
  return code >= 0xd800 && code <= 0xdbff && limit - 1 > from ? limit - 1 : limit;
}
