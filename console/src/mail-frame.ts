import { h } from './dom.ts';
import { frameDocument } from './frame-document.ts';

/*
 * Mail HTML (already sanitized by the API: no script, no handler, no remote source) is shown in
 * an iframe that could not run script even if some got through: `sandbox` without
 * `allow-scripts` (and without `allow-same-origin`, so the frame is an opaque origin that cannot
 * reach the console or its token), its document given as `srcdoc` with a Content-Security-Policy
 * of its own as the first element: no script, no fetch, no frames, images only from `data:`. A
 * `srcdoc` document also inherits the console page's policy, so both apply.
 *
 * Remote images: the sanitizer keeps them as `data-remote-src` (opening a mail confirms nothing
 * to a tracker). Only when the agent asks are they copied back to `src`, with `http:`/`https:`
 * added to the frame's `img-src`.
 */

/** The mail's HTML in an inert document: nothing loads, nothing runs. */
function parse(html: string): Document {
  return new DOMParser().parseFromString(`<!doctype html><body>${html}`, 'text/html');
}

function remoteSource(value: string | null): string | null {
  const src = (value ?? '').trim();
  if (/^https?:\/\//i.test(src)) return src;
  if (src.startsWith('//')) return `https:${src}`;
  return null;
}

/** How many images the mail would load from elsewhere. */
export function remoteImageCount(html: string): number {
  return [...parse(html).querySelectorAll('img[data-remote-src]')].filter((img) => remoteSource(img.getAttribute('data-remote-src')) !== null).length;
}

/** The HTML with its held-back remote images given back their `src`. */
export function withRemoteImages(html: string): string {
  const doc = parse(html);
  for (const img of doc.querySelectorAll('img[data-remote-src]')) {
    const src = remoteSource(img.getAttribute('data-remote-src'));
    if (src) img.setAttribute('src', src);
  }
  return doc.body.innerHTML;
}

/**
 * The iframe for one HTML body. Links may open beside the console (`allow-popups`, escaping the
 * sandbox so the page opened works normally); nothing else is allowed.
 */
export function mailFrame(html: string, title: string, remoteImages = false): HTMLIFrameElement {
  const frame = h('iframe', {
    class: 'mail-frame',
    title,
    sandbox: 'allow-popups allow-popups-to-escape-sandbox',
    referrerpolicy: 'no-referrer',
  });
  frame.srcdoc = frameDocument(remoteImages ? withRemoteImages(html) : html, remoteImages);
  return frame;
}
