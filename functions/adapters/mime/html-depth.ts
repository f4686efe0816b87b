/**
 * A bound on how deep HTML nests, applied before anything builds or walks a tree of it.
 *
 * htmlparser2 (under sanitize-html, which the text conversion and the sanitizer run on) keeps
 * its open elements in an array it grows at the front, so each element costs as much as the
 * depth: 150,000 nested `<div>` took 32 s. Mail that nests deeper than a person's client ever
 * writes is hostile or broken; its deeper elements lose their tags (their text stays), and the
 * depth stays bounded for every later step.
 *
 * The scan is one pass of `indexOf` over the markup, counting open elements as an HTML parser
 * does: void elements (`<br>`, `<img>`) open nothing; a block closes an open `<p>`, and `<li>`,
 * `<dt>`/`<dd>`, `<tr>`, `<td>`/`<th>` and `<option>` close the open one of their kind (so
 * unclosed paragraphs and items do not add up); a close tag closes its element and everything
 * opened inside it; comments, declarations and the raw text of `<script>`, `<style>`,
 * `<textarea>`, `<title>` and `<xmp>` are skipped. `<div/>` opens a `div`, as in HTML (a parser
 * ignores the slash, and after `<style/>` reads no raw text), except in SVG and MathML, where it
 * closes itself. A `>` inside a quoted attribute value ends the tag early, which only shortens
 * what the scan reads as its attributes.
 */

const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'keygen', 'link', 'meta', 'param', 'source', 'track', 'wbr']);
const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title', 'xmp']);
// The open elements that an element of this name closes when it opens (HTML's implied end
// tags): a block closes the paragraph it would sit in, an item the item before it. Never more
// than htmlparser2 closes, so the depth counted here is never less than the one it builds.
const BLOCKS = [
  'address',
  'article',
  'aside',
  'blockquote',
  'div',
  'dl',
  'fieldset',
  'footer',
  'form',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hr',
  'main',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'table',
  'ul',
];
const CLOSES: Readonly<Record<string, readonly string[]>> = {
  ...Object.fromEntries(BLOCKS.map((name) => [name, ['p']])),
  li: ['li'],
  dt: ['dt', 'dd'],
  dd: ['dt', 'dd'],
  tr: ['tr', 'td', 'th'],
  td: ['td', 'th'],
  th: ['th'],
  tbody: ['tbody'],
  tfoot: ['tbody'],
  option: ['option'],
  optgroup: ['optgroup', 'option'],
};
// Inside these, `<x/>` closes itself (foreign content); inside the integration points HTML resumes.
const FOREIGN = new Set(['svg', 'math']);
const INTEGRATION = new Set(['mi', 'mo', 'mn', 'ms', 'mtext', 'annotation-xml', 'foreignobject', 'desc', 'title']);
// A tag name: a letter, then anything up to a space, `/` or `>`; longer names are no HTML element.
const MAX_NAME = 128;

export interface BoundedHtml {
  readonly html: string;
  /** True when elements deeper than the bound lost their tags. */
  readonly flattened: boolean;
}

interface Open {
  readonly name: string;
  /** Its tags are removed: it opened deeper than the bound. */
  readonly dropped: boolean;
  /** Inside it, `<x/>` closes itself. */
  readonly foreign: boolean;
}

/** `html` with every element nested deeper than `maxDepth` replaced by its content. */
export function boundHtmlDepth(html: string, maxDepth: number): BoundedHtml {
  const open: Open[] = [];
  const counts = new Map<string, number>();
  // Start and end of each tag to remove, in pairs.
  const removed: number[] = [];
  const push = (name: string, dropped: boolean): void => {
    const foreign = FOREIGN.has(name) || (!INTEGRATION.has(name) && (open[open.length - 1]?.foreign ?? false));
    open.push({ name, dropped, foreign });
    counts.set(name, (counts.get(name) ?? 0) + 1);
  };
  const pop = (): Open | undefined => {
    const element = open.pop();
    if (element) counts.set(element.name, (counts.get(element.name) ?? 1) - 1);
    return element;
  };
  let at = html.indexOf('<');
  while (at !== -1 && at < html.length - 1) {
    const next = html[at + 1];
    if (next === '!' || next === '?') {
      const end = html.startsWith('<!--', at) ? html.indexOf('-->', at + 4) : html.indexOf('>', at + 2);
      if (end === -1) break;
      at = html.indexOf('<', end + 1);
      continue;
    }
    const closing = next === '/';
    const name = tagName(html, at + (closing ? 2 : 1));
    if (name === null) {
      at = html.indexOf('<', at + 1);
      continue;
    }
    // Everything up to this `>` is the tag, and the scan goes on after it: each character is read once.
    const end = html.indexOf('>', at + 1);
    if (end === -1) break;
    if (closing) {
      // A close tag with nothing of its name open is ignored by parsers, and so it is here.
      if ((counts.get(name) ?? 0) > 0) {
        let element = pop();
        while (element && element.name !== name) element = pop();
        if (element?.dropped) removed.push(at, end + 1);
      }
      at = html.indexOf('<', end + 1);
      continue;
    }
    const slash = html[end - 1] === '/';
    if (slash && open[open.length - 1]?.foreign) {
      at = html.indexOf('<', end + 1);
      continue;
    }
    if (RAW_TEXT.has(name) && !slash) {
      // Raw text holds no elements; its close tag is ignored below (none of its name is open).
      const close = rawTextEnd(html, name, end + 1);
      if (close === -1) break;
      at = close;
      continue;
    }
    const implied = CLOSES[name];
    while (implied && open.length > 0 && implied.includes(open[open.length - 1]?.name ?? '')) pop();
    // Void elements nest nothing and keep their tags (a `<br>` still breaks the line).
    if (!VOID.has(name)) {
      const dropped = open.length >= maxDepth;
      push(name, dropped);
      if (dropped) removed.push(at, end + 1);
    }
    at = html.indexOf('<', end + 1);
  }
  if (removed.length === 0) return { html, flattened: false };
  const kept: string[] = [];
  let from = 0;
  for (let index = 0; index < removed.length; index += 2) {
    kept.push(html.slice(from, removed[index]));
    from = removed[index + 1] as number;
  }
  kept.push(html.slice(from));
  return { html: kept.join(''), flattened: true };
}

/** The lowercase tag name that starts at `from`, or null when no letter starts one there. */
function tagName(html: string, from: number): string | null {
  const first = html.charCodeAt(from) | 0x20;
  if (first < 0x61 || first > 0x7a) return null;
  let end = from + 1;
  const limit = Math.min(html.length, from + MAX_NAME);
  while (end < limit) {
    const code = html.charCodeAt(end);
    // Space, tab, line feed, form feed, carriage return, `/`, `>`.
    if (code === 0x20 || (code >= 0x09 && code <= 0x0d) || code === 0x2f || code === 0x3e) break;
    end++;
  }
  return html.slice(from, end).toLowerCase();
}

/** Where the close tag of a raw-text element starts (`</style`), or -1. */
function rawTextEnd(html: string, name: string, from: number): number {
  for (let at = html.indexOf('</', from); at !== -1; at = html.indexOf('</', at + 2)) {
    if (html.slice(at + 2, at + 2 + name.length).toLowerCase() === name) return at;
  }
  return -1;
}
