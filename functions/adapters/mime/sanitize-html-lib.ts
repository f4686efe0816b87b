import type SanitizeHtml from 'sanitize-html';

/*
 * sanitize-html (with postcss and htmlparser2) is loaded on first use, not at import: the inbound
 * function's cold start does not pay for it, and a mail without HTML never loads it.
 */
let loaded: typeof SanitizeHtml | undefined;

/** Loads sanitize-html once; call (and await) before `sanitizeHtmlLib`. */
export async function loadSanitizeHtml(): Promise<typeof SanitizeHtml> {
  loaded ??= (await import('sanitize-html')).default;
  return loaded;
}

/** The loaded library; a `TypeError` when `loadSanitizeHtml` was not awaited first (a bug, not bad input). */
export function sanitizeHtmlLib(): typeof SanitizeHtml {
  if (!loaded) throw new TypeError('sanitize-html used before loadSanitizeHtml()');
  return loaded;
}
