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
const HOLDERS: readonly { readonly marker: string; readonly test: RegExp }[] = [
  { marker: 'gmail_quote', test: /\bclass\s*=\s*["']?[^"'>]*\bgmail_quote\b/i },
  { marker: 'yahoo_quoted', test: /\b(?:class|id)\s*=\s*["']?[^"'>]*\byahoo_quoted\b/i },
  { marker: 'moz-cite-prefix', test: /\bclass\s*=\s*["']?[^"'>]*\bmoz-cite-prefix\b/i },
];
const CITE = /\btype\s*=\s*["']?cite\b/i;
const STARTERS: readonly { readonly marker: string; readonly test: RegExp }[] = [
  { marker: 'divRplyFwdMsg', test: /\bid\s*=\s*["']?(?:divRplyFwdMsg|x_divRplyFwdMsg|appendonsend)\b/i },
  { marker: 'OLK_SRC_BODY_SECTION', test: /\bid\s*=\s*["']?OLK_SRC_BODY_SECTION\b/i },
  { marker: 'outlook-border-top', test: /\bstyle\s*=\s*["'][^"']*border:\s*none;\s*border-top:\s*solid\s+#[0-9a-f]{6}\s+1\.0pt/i },
  { marker: 'hr-stopSpelling', test: /\bid\s*=\s*["']?stopSpelling\b/i },
];
// Short pieces of the markers above, and the elements that can hold a quote: one pass over
// every HTML mail decides whether the tag scan runs at all.
const FIRST_LOOK = /_quote|RplyFwd|cite-prefix|appendonsend|OLK_SRC|border-top|<(?:blockquote|hr)\b/i;
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
  if (!FIRST_LOOK.test(html)) return null;
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
    const starter = STARTERS.find((s) => s.test.test(attributes));
    // The text after an <hr> that makes it Outlook's or Yahoo's separator: a quoted header block.
    const ruleStarter = name === 'hr' && opensWithHeaderKey(textAfter(html, end));
    // A reply header with nothing above it heads a forward, not the quote of a reply.
    if ((starter || ruleStarter) && marked === 0 && seen(start)) {
      return [...holders, { start, end: html.length, marker: starter?.marker ?? 'hr' }];
    }
    if (VOID.has(name) || selfClosing) continue;
    const cite = name === 'blockquote' && CITE.test(attributes);
    const plain = name === 'blockquote' && !cite;
    const marker = cite ? 'blockquote-cite' : plain ? 'blockquote' : (HOLDERS.find((h) => h.test.test(attributes))?.marker ?? null);
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

/** Whether there is text (a letter or digit outside tags) before a position; positions only grow. */
function textSeen(html: string): (position: number) => boolean {
  const from = Math.max(0, html.search(/<body\b/i));
  let checked = from;
  let found = false;
  return (position) => {
    if (!found && position > checked) {
      const slice = html.slice(checked, position).replace(/<(style|script|head|title)\b[\s\S]*?<\/\1\s*>/gi, ' ').replace(/<[^>]*>/g, ' ').replace(/&nbsp;|&#160;/gi, ' ');
      found = /[\p{L}\p{N}]/u.test(slice);
      checked = position;
    }
    return found;
  };
}

function findOpen(open: readonly { name: string }[], name: string): number {
  for (let index = open.length - 1; index >= 0 && index >= open.length - 64; index--) if (open[index]?.name === name) return index;
  return -1;
}

function textAfter(html: string, from: number): string {
  return html.slice(from, from + 400).replace(/<[^>]*>/g, ' ').replace(/&nbsp;/g, ' ');
}
