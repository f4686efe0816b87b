import { ValidationError, type ValidationIssue } from '../../errors.ts';

/**
 * Deepest element nesting accepted in HTML people write (a reply, a signature, a template). Mail
 * layouts nest tables a dozen levels deep; hundreds of levels is an attack on the parser, the
 * sanitizer and the text converter, whose work or recursion grows with the depth.
 */
export const MAX_HTML_DEPTH = 200;

const VOID = new Set([
  'area',
  'base',
  'basefont',
  'br',
  'col',
  'command',
  'embed',
  'frame',
  'hr',
  'img',
  'input',
  'isindex',
  'keygen',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);
// Opening one of these closes the open element on top when it is one of the set (`<li>` after `<li>`), as HTML parsers do.
const P = ['p'];
const IMPLIES_CLOSE = new Map<string, readonly string[]>([
  ['tr', ['tr', 'th', 'td']],
  ['th', ['th']],
  ['td', ['thead', 'th', 'td']],
  ['li', ['li']],
  ['option', ['option']],
  ['optgroup', ['optgroup', 'option']],
  ['dd', ['dd', 'dt']],
  ['dt', ['dd', 'dt']],
  ['rt', ['rt', 'rp']],
  ['rp', ['rt', 'rp']],
  ['tbody', ['thead', 'tbody']],
  ['tfoot', ['thead', 'tbody']],
  ...[
    'p',
    'h1',
    'h2',
    'h3',
    'h4',
    'h5',
    'h6',
    'address',
    'article',
    'aside',
    'blockquote',
    'details',
    'div',
    'dl',
    'fieldset',
    'figcaption',
    'figure',
    'footer',
    'form',
    'header',
    'hr',
    'main',
    'nav',
    'ol',
    'pre',
    'section',
    'table',
    'ul',
  ].map((tag): [string, readonly string[]] => [tag, P]),
]);
// Their content is text up to their end tag: tags inside open nothing.
const RAW_TEXT = new Set(['script', 'style', 'title', 'textarea', 'xmp']);
// Inside these, `<x/>` closes itself; elsewhere HTML ignores the slash and `<div/>` opens a div.
const FOREIGN = new Set(['svg', 'math']);

const isAlpha = (code: number): boolean => (code >= 97 && code <= 122) || (code >= 65 && code <= 90);
const isNameChar = (code: number): boolean => isAlpha(code) || (code >= 48 && code <= 57) || code === 45 || code === 58;

/**
 * How deep the elements of `html` nest, read in one pass the way an HTML parser builds its tree
 * (a stack of open elements: void elements open nothing, `<li>` after an open `<li>` closes it,
 * an end tag closes up to its element; comments, doctypes and the text of `script`, `style`,
 * `title`, `textarea` open nothing). No regular expression: linear in the length; the stack is
 * never deeper than `stopAbove + 1` (counting stops there), and an end tag of an element that is
 * not open costs nothing.
 */
export function htmlDepth(html: string, stopAbove = MAX_HTML_DEPTH): number {
  const lower = html.toLowerCase();
  const stack: string[] = [];
  const open = new Map<string, number>(); // how many of each name the stack holds: an end tag of none costs nothing
  let foreign = 0;
  let deepest = 0;
  const push = (name: string): void => {
    stack.push(name);
    open.set(name, (open.get(name) ?? 0) + 1);
    if (FOREIGN.has(name)) foreign++;
  };
  const pop = (): void => {
    const name = stack.pop() ?? '';
    open.set(name, (open.get(name) ?? 1) - 1);
    if (FOREIGN.has(name)) foreign--;
  };
  let i = lower.indexOf('<');
  while (i >= 0) {
    if (lower.startsWith('<!--', i)) {
      const end = lower.indexOf('-->', i + 4);
      if (end < 0) break;
      i = lower.indexOf('<', end + 3);
      continue;
    }
    const closing = lower.charCodeAt(i + 1) === 47;
    const nameStart = i + (closing ? 2 : 1);
    if (!isAlpha(lower.charCodeAt(nameStart)) && !(lower.charCodeAt(i + 1) === 33 || lower.charCodeAt(i + 1) === 63 || closing)) {
      i = lower.indexOf('<', i + 1); // a `<` in text: `a < b`
      continue;
    }
    let nameEnd = nameStart;
    while (nameEnd < lower.length && isNameChar(lower.charCodeAt(nameEnd))) nameEnd++;
    const gt = lower.indexOf('>', nameEnd);
    if (gt < 0) break;
    const name = lower.slice(nameStart, nameEnd);
    let next = gt + 1;
    if (name === '' || VOID.has(name)) {
      // `<!doctype …>`, `<?…>`, `</ >`, a void element: no level.
    } else if (closing) {
      const at = (open.get(name) ?? 0) > 0 ? stack.lastIndexOf(name) : -1;
      while (at >= 0 && stack.length > at) pop();
    } else {
      const closes = IMPLIES_CLOSE.get(name);
      while (closes && stack.length > 0 && closes.includes(stack.at(-1) ?? '')) pop();
      if (!(foreign > 0 && lower.charCodeAt(gt - 1) === 47)) {
        push(name);
        deepest = Math.max(deepest, stack.length);
        if (deepest > stopAbove) return deepest;
      }
      if (RAW_TEXT.has(name)) {
        const end = lower.indexOf(`</${name}`, next);
        next = end < 0 ? lower.length : end;
      }
    }
    i = lower.indexOf('<', next);
  }
  return deepest;
}

/** The issue of HTML nested deeper than `max` (`MAX_HTML_DEPTH`), naming the field; empty when it is not. */
export function checkHtmlDepth(html: string, path: string, max = MAX_HTML_DEPTH): ValidationIssue[] {
  if (htmlDepth(html, max) <= max) return [];
  return [{ path, message: `HTML nested more than ${max} elements deep; flatten it` }];
}

/** Throws a `ValidationError` naming `path` when `html` nests deeper than `max`. */
export function assertHtmlDepth(html: string, path: string, max = MAX_HTML_DEPTH): void {
  const issues = checkHtmlDepth(html, path, max);
  if (issues.length > 0) throw new ValidationError(`${path}: ${issues[0]?.message ?? ''}`, issues);
}
