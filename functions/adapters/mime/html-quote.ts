import type { HtmlReply } from '../../core/inbound/extract-reply.ts';
import { opensWithHeaderKey } from '../../core/inbound/reply-markers.ts';
import { htmlToText } from './html-to-text.ts';

/**
 * The quote markup of the common mail clients, found with a linear tag scan (no DOM: this runs
 * on every inbound HTML mail, within the core/parser time budget).
 *
 * Elements that hold the quote are removed with their content; elements that start it remove
 * everything from them to the end (the quoted mail follows them as siblings).
 */
// Each marker is an attribute's value: the attributes of a tag are read once, in one pass (a
// pattern such as `class\s*=\s*["']?[^"'>]*\bgmail_quote` retried at every `class` of a long
// tag and backtracked over its value).
interface Marker {
  readonly marker: string;
  readonly attributes: readonly string[];
  readonly test: RegExp;
}
const HOLDERS: readonly Marker[] = [
  { marker: 'gmail_quote', attributes: ['class'], test: /\bgmail_quote\b/i },
  { marker: 'yahoo_quoted', attributes: ['class', 'id'], test: /\byahoo_quoted\b/i },
  { marker: 'moz-cite-prefix', attributes: ['class'], test: /\bmoz-cite-prefix\b/i },
];
const CITE: Marker = { marker: 'blockquote-cite', attributes: ['type'], test: /^cite\b/i };
const STARTERS: readonly Marker[] = [
  { marker: 'divRplyFwdMsg', attributes: ['id'], test: /^(?:divRplyFwdMsg|x_divRplyFwdMsg|appendonsend)\b/i },
  { marker: 'OLK_SRC_BODY_SECTION', attributes: ['id'], test: /^OLK_SRC_BODY_SECTION\b/i },
  { marker: 'outlook-border-top', attributes: ['style'], test: /border:\s*none;\s*border-top:\s*solid\s+#[0-9a-f]{6}\s+1\.0pt/i },
  { marker: 'hr-stopSpelling', attributes: ['id'], test: /^stopSpelling\b/i },
];
// A tag whose attributes hold none of these holds no marker: most tags are passed by this test.
const MARKER_WORDS = /quote|cite|RplyFwd|appendonsend|OLK_SRC|border-top|stopSpelling/i;
// Short pieces of the markers above, and the elements that can hold a quote: a few scans over
// every HTML mail decide whether the tag scan runs at all. One pattern per piece: in V8 the seven
// in turn take two thirds of the time of one case-insensitive alternation (40 KB newsletter HTML).
const FIRST_LOOK = [/_quote/i, /RplyFwd/i, /cite-prefix/i, /appendonsend/i, /OLK_SRC/i, /border-top/i, /<(?:blockquote|hr)\b/i];
const TAG_HEAD = /^(\/?)([a-zA-Z][\w:-]*)/;
const VOID = new Set(['br', 'hr', 'img', 'meta', 'link', 'input', 'col', 'area', 'base', 'wbr', 'source']);

/** Hostile input limits: past these the scan stops and the plain text is used. */
const MAX_TAGS = 200_000;
const MAX_OPEN = 10_000;
const MAX_TAG_CHARS = 4_000;

interface Cut {
  readonly start: number;
  readonly end: number;
  readonly marker: string;
}

/**
 * The HTML with the client's quote cut, as text for the reply split, or null when the HTML
 * marks no quote. Gmail, Yahoo and Thunderbird quote holders and Apple Mail's
 * `<blockquote type="cite">` are removed (all top-level cite blockquotes; else the last
 * top-level plain blockquote, as talon does); Outlook's reply header (`divRplyFwdMsg`, its
 * border-top div, `OLK_SRC_BODY_SECTION`) and an `<hr>` followed by a header block cut all
 * that follows.
 */
export function htmlReplyOf(html: string): HtmlReply | null {
  // Most HTML (newsletters, notifications) has none of these: plain substring scans first.
  if (!FIRST_LOOK.some((piece) => piece.test(html))) return null;
  const cuts = findCuts(html);
  if (cuts.length === 0) return null;
  let kept = '';
  let at = 0;
  for (const cut of cuts) {
    if (cut.start < at) continue;
    kept += html.slice(at, cut.start);
    at = cut.end;
  }
  kept += html.slice(at);
  return { text: htmlToText(kept), marker: [...new Set(cuts.map((c) => c.marker))].join('+') };
}

interface OpenElement {
  readonly name: string;
  readonly start: number;
  readonly marker: string | null;
  readonly plain: boolean;
}

function findCuts(html: string): Cut[] {
  const holders: Cut[] = [];
  const plainQuotes: Cut[] = [];
  const open: OpenElement[] = [];
  let marked = 0; // open elements that hold a quote: inside one, nothing else counts
  const seen = textSeen(html);
  let tags = 0;
  for (const tag of scanTags(html)) {
    if (++tags > MAX_TAGS || open.length > MAX_OPEN) return [];
    const { start, end, closing, name, attributes, selfClosing } = tag;
    if (closing) {
      const at = findOpen(open, name);
      if (at < 0) continue;
      const element = open[at];
      for (let index = at; index < open.length; index++) if (open[index]?.marker) marked--;
      open.length = at;
      if (element?.marker && marked === 0) (element.plain ? plainQuotes : holders).push({ start: element.start, end, marker: element.marker });
      continue;
    }
    const values = MARKER_WORDS.test(attributes) ? attributeValues(attributes) : null;
    const starter = values && STARTERS.find((s) => marks(values, s));
    // The text after an <hr> that makes it Outlook's or Yahoo's separator: a quoted header block.
    const ruleStarter = name === 'hr' && opensWithHeaderKey(textAfter(html, end));
    // A reply header with nothing above it heads a forward, not the quote of a reply.
    if ((starter || ruleStarter) && marked === 0 && seen(start)) {
      return [...holders, { start, end: html.length, marker: starter?.marker ?? 'hr' }];
    }
    if (VOID.has(name) || selfClosing) continue;
    const cite = name === 'blockquote' && values !== null && marks(values, CITE);
    const plain = name === 'blockquote' && !cite;
    const marker = cite ? CITE.marker : plain ? 'blockquote' : ((values && HOLDERS.find((h) => marks(values, h))?.marker) ?? null);
    if (marker) marked++;
    open.push({ name, start, marker, plain });
  }
  if (holders.length > 0) return holders;
  const last = plainQuotes.at(-1);
  return last ? [last] : [];
}

/**
 * The tags of `html`, in order: each `<` up to the next `>` is one tag (a `>` inside a quoted
 * attribute value ends it early, which only shortens its attributes). Linear: scanning
 * resumes after the `>`.
 */
function* scanTags(html: string): Generator<{ start: number; end: number; closing: boolean; name: string; attributes: string; selfClosing: boolean }> {
  let at = html.indexOf('<');
  while (at !== -1) {
    const close = html.indexOf('>', at + 1);
    if (close === -1) return;
    const head = TAG_HEAD.exec(html.slice(at + 1, Math.min(close, at + 1 + MAX_TAG_CHARS)));
    if (head) {
      const [whole, slash, name = ''] = head;
      const attributes = html.slice(at + 1 + whole.length, Math.min(close, at + 1 + MAX_TAG_CHARS));
      yield { start: at, end: close + 1, closing: slash === '/', name: name.toLowerCase(), attributes, selfClosing: html[close - 1] === '/' };
    }
    at = html.indexOf('<', close + 1);
  }
}

function marks(values: ReadonlyMap<string, string>, marker: Marker): boolean {
  return marker.attributes.some((name) => marker.test.test(values.get(name) ?? ''));
}

const isSpace = (char: string | undefined): boolean => char === ' ' || char === '\t' || char === '\n' || char === '\r' || char === '\f';

/**
 * The attributes of a tag (what follows its name), lowercase name to value; the first of a
 * name wins, as in a browser. One pass: a quoted value is found with `indexOf`.
 */
function attributeValues(source: string): Map<string, string> {
  const values = new Map<string, string>();
  const length = source.length;
  let at = 0;
  while (at < length) {
    while (at < length && (isSpace(source[at]) || source[at] === '/')) at++;
    let end = at;
    while (end < length && !isSpace(source[end]) && source[end] !== '=' && source[end] !== '/') end++;
    // A stray `=` names nothing: skip it.
    if (end === at) {
      at++;
      continue;
    }
    const name = source.slice(at, end).toLowerCase();
    at = end;
    while (at < length && isSpace(source[at])) at++;
    let value = '';
    if (source[at] === '=') {
      at++;
      while (at < length && isSpace(source[at])) at++;
      const quote = source[at];
      if (quote === '"' || quote === "'") {
        const close = source.indexOf(quote, at + 1);
        const stop = close === -1 ? length : close;
        value = source.slice(at + 1, stop);
        at = stop + 1;
      } else {
        let stop = at;
        while (stop < length && !isSpace(source[stop])) stop++;
        value = source.slice(at, stop);
        at = stop;
      }
    }
    if (!values.has(name)) values.set(name, value);
  }
  return values;
}

const RAW_TEXT_OPEN = /^<(style|script|head|title)\b/i;

/**
 * Whether there is text (a letter or digit outside tags, `&nbsp;` aside) before a position;
 * positions only grow. One scan from `<body>` on, resumed where the last call stopped: tags
 * are passed with `indexOf('>')`, and `<style>`, `<script>`, `<head>` and `<title>` up to their
 * close tag, whose next position per name is remembered (a run of unclosed `<style>` costs one
 * search, not one per tag).
 */
function textSeen(html: string): (position: number) => boolean {
  let at = Math.max(0, html.search(/<body\b/i));
  let found = false;
  const closes = new Map<string, number>();
  const closeAfter = (name: string, from: number): number => {
    const known = closes.get(name);
    if (known !== undefined && known >= from) return known;
    const next = closeTagAt(html, name, from);
    closes.set(name, next);
    return next;
  };
  const letters = (from: number, to: number): boolean => /[\p{L}\p{N}]/u.test(html.slice(from, to).replace(/&nbsp;|&#160;/gi, ' '));
  return (position) => {
    while (!found && at < position) {
      const open = html.indexOf('<', at);
      const textEnd = open === -1 || open > position ? position : open;
      found = letters(at, textEnd);
      if (found || textEnd === position) {
        at = textEnd;
        break;
      }
      const raw = RAW_TEXT_OPEN.exec(html.slice(open, open + 8))?.[1]?.toLowerCase();
      const close = raw === undefined ? -1 : closeAfter(raw, open);
      const tagEnd = html.indexOf('>', close !== -1 && close < position ? close : open + 1);
      // A tag that does not end before the position is text, as an unclosed `<` is.
      if (tagEnd === -1 || tagEnd >= position) {
        found = letters(open, position);
        at = position;
        break;
      }
      at = tagEnd + 1;
    }
    return found;
  };
}

/** Where the next `</name` starts at or after `from`, or `Infinity`. */
function closeTagAt(html: string, name: string, from: number): number {
  for (let at = html.indexOf('</', from); at !== -1; at = html.indexOf('</', at + 2)) {
    if (html.slice(at + 2, at + 2 + name.length).toLowerCase() === name) return at;
  }
  return Number.POSITIVE_INFINITY;
}

function findOpen(open: readonly { name: string }[], name: string): number {
  for (let index = open.length - 1; index >= 0 && index >= open.length - 64; index--) if (open[index]?.name === name) return index;
  return -1;
}

function textAfter(html: string, from: number): string {
  // `[^<>]`: an unclosed `<` is passed at the next `<`, not searched past to the end each time.
  return html
    .slice(from, from + 400)
    .replace(/<[^<>]*>/g, ' ')
    .replace(/&nbsp;/g, ' ');
}
