import type { HtmlReply } from '../../core/inbound/extract-reply.ts';
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
// Short, case-sensitive pieces of the markers above: a fast first look at every HTML mail.
const MARKER_PIECES = /_quote|RplyFwd|cite-prefix|appendonsend|OLK_SRC|border-top/;
const RULE_OR_QUOTE = /<(?:blockquote|hr)\b/i;
const TAG = /<(\/?)([a-zA-Z][\w:-]*)\b((?:[^>"']|"[^"]*"|'[^']*')*)>/g;
const VOID = new Set(['br', 'hr', 'img', 'meta', 'link', 'input', 'col', 'area', 'base', 'wbr', 'source']);
// The text after an <hr> that makes it Outlook's or Yahoo's separator: a quoted header block.
const HEADERS_AFTER_RULE = /^\s*(?:from|date|sent|to|von|de|da|van|fra|från|od|от|gesendet|envoyé)\s*:/i;

/** Hostile input limit: past this many tags the scan stops and the plain text is used. */
const MAX_TAGS = 200_000;

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
  if (!RULE_OR_QUOTE.test(html) && !MARKER_PIECES.test(html)) return null;
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

function findCuts(html: string): Cut[] {
  const holders: Cut[] = [];
  const plainQuotes: Cut[] = [];
  const open: { name: string; start: number; marker: string | null; plain: boolean }[] = [];
  let tags = 0;
  for (const match of html.matchAll(TAG)) {
    if (++tags > MAX_TAGS) return [];
    const [whole, closing, rawName = '', attributes = ''] = match;
    const name = rawName.toLowerCase();
    const start = match.index;
    if (closing) {
      const at = findOpen(open, name);
      if (at < 0) continue;
      const element = open[at];
      open.length = at;
      if (element?.marker && !open.some((o) => o.marker)) {
        const cut = { start: element.start, end: start + whole.length, marker: element.marker };
        (element.plain ? plainQuotes : holders).push(cut);
      }
      continue;
    }
    const starter = STARTERS.find((s) => s.test.test(attributes));
    const ruleStarter = name === 'hr' && HEADERS_AFTER_RULE.test(textAfter(html, start + whole.length));
    // A reply header with nothing above it heads a forward, not the quote of a reply.
    if ((starter || ruleStarter) && !open.some((o) => o.marker) && textBefore(html, start)) {
      return [...holders, { start, end: html.length, marker: starter?.marker ?? 'hr' }];
    }
    if (VOID.has(name) || whole.endsWith('/>')) continue;
    const cite = name === 'blockquote' && CITE.test(attributes);
    const plain = name === 'blockquote' && !cite;
    const marker = cite ? 'blockquote-cite' : plain ? 'blockquote' : (HOLDERS.find((h) => h.test.test(attributes))?.marker ?? null);
    open.push({ name, start, marker, plain });
  }
  if (holders.length > 0) return holders;
  const last = plainQuotes.at(-1);
  return last ? [last] : [];
}

function findOpen(open: readonly { name: string }[], name: string): number {
  for (let index = open.length - 1; index >= 0 && index >= open.length - 64; index--) if (open[index]?.name === name) return index;
  return -1;
}

function textBefore(html: string, end: number): boolean {
  const body = html.slice(0, end);
  const from = body.search(/<body\b/i);
  return /[\p{L}\p{N}]/u.test(body.slice(Math.max(0, from)).replace(/<(style|script|head|title)\b[\s\S]*?<\/\1\s*>/gi, ' ').replace(/<[^>]*>/g, ' ').replace(/&nbsp;|&#160;/gi, ' '));
}

function textAfter(html: string, from: number): string {
  return html.slice(from, from + 400).replace(/<[^>]*>/g, ' ').replace(/&nbsp;/g, ' ');
}
