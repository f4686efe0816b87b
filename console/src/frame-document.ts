/*
 * The document a mail frame shows (`mail-frame.ts`), as text: its own Content-Security-Policy
 * first, then base styles, then the mail's (sanitized) HTML. No DOM needed, so the policy is
 * checked by a unit test as well as in the browser.
 */

const FRAME_STYLE =
  'body{font:14px/1.45 system-ui,sans-serif;margin:8px;color:#1d2330;overflow-wrap:anywhere}img{max-width:100%;height:auto}' +
  'blockquote{margin:0 0 0 .5em;padding-left:.75em;border-left:3px solid #c9ced6;color:#4b5563}';

/** The frame's own policy: nothing but inline styles and `data:` images (and remote images when asked). */
export function framePolicy(remoteImages: boolean): string {
  return [
    "default-src 'none'",
    `img-src data:${remoteImages ? ' http: https:' : ''}`,
    "style-src 'unsafe-inline'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** The whole `srcdoc` document: the policy first, then the mail. */
export function frameDocument(body: string, remoteImages: boolean): string {
  const policy = framePolicy(remoteImages).replace(/"/g, '&quot;');
  return (
    `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="${policy}"><meta charset="utf-8">` +
    `<meta name="referrer" content="no-referrer"><style>${FRAME_STYLE}</style></head><body>${body}</body></html>`
  );
}
