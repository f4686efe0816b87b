/**
 * Hostile HTML for the browser test (`browser-html.test.ts`). Each payload, if any of it survived
 * sanitizing, either runs script that calls `__xss('<id>')` (or opens a dialog), or makes the
 * browser ask the trap server (`trap`, an HTTP server on 127.0.0.1 the test starts) for
 * `/<id>…`, so an attempt is seen and named.
 *
 * The one request a rendering may make by policy: `trackerImage(trap)`, a plain `<img src>` of an
 * absolute http(s) URL, which the HTML sent to customers keeps (a logo on the company's site).
 * Mail shown to agents holds it back (`data-remote-src`).
 */
export interface XssPayload {
  readonly id: string;
  /** What it tries. */
  readonly tries: string;
  readonly html: string;
  /**
   * Why the payload does nothing in today's Chromium as written (it aims at a sanitizer's parser
   * or at old engines); absent for one that runs or fetches when left unsanitized.
   */
  readonly inert?: string;
}

/** The URL of the remote image that outbound HTML (templates, signatures, replies) may load by policy. */
export function trackerImage(trap: string): string {
  return `${trap}/img-remote-tracker.png`;
}

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** The payloads, their remote URLs on `trap` (`http://127.0.0.1:<port>`). */
export function xssPayloads(trap: string): readonly XssPayload[] {
  const hostPort = trap.replace(/^https?:/, '');
  const call = (id: string): string => `__xss('${id}')`;
  const list: XssPayload[] = [
    // Script elements
    { id: 'script-tag', tries: 'an inline script', html: `<p>Hello</p><script>${call('script-tag')}</script>` },
    { id: 'script-src-remote', tries: 'a remote script', html: `<script src="${trap}/script-src-remote.js"></script><p>x</p>` },
    { id: 'script-uppercase', tries: 'mixed-case script tags', html: `<ScRiPt>${call('script-uppercase')}</sCrIpT>` },
    {
      id: 'script-null-byte',
      tries: 'a NUL byte inside the tag name',
      html: `<scr\u0000ipt>${call('script-null-byte')}</scr\u0000ipt><script\u0000>${call('script-null-byte')}</script>`,
      inert: 'the parser turns NUL into U+FFFD: the tags name no script (aims at sanitizers that drop NUL first)',
    },
    // Event handlers
    { id: 'img-onerror', tries: 'an image error handler', html: `<img src="x" onerror="${call('img-onerror')}">` },
    {
      id: 'img-onerror-entities',
      tries: 'a handler written with character references',
      html: `<img src=x onerror="&#95;&#95;xss&#40;'img-onerror-entities'&#41;">`,
    },
    { id: 'img-onerror-mixed-case', tries: 'an unquoted mixed-case handler', html: `<IMG SRC=x OnErRoR=${call('img-onerror-mixed-case')}>` },
    { id: 'img-onerror-slash', tries: 'a slash instead of a space before the handler', html: `<img/src="x"/onerror="${call('img-onerror-slash')}">` },
    { id: 'svg-onload', tries: 'an SVG load handler', html: `<svg onload="${call('svg-onload')}"><circle r="4"></circle></svg>` },
    { id: 'svg-script', tries: 'a script inside SVG', html: `<svg><script>${call('svg-script')}</script></svg>` },
    {
      id: 'svg-animate-onbegin',
      tries: 'an SVG animation handler',
      html: `<svg><animate attributeName="x" dur="1s" onbegin="${call('svg-animate-onbegin')}"></animate></svg>`,
    },
    { id: 'body-onload', tries: 'a body load handler', html: `<body onload="${call('body-onload')}"><p>hi</p></body>` },
    {
      id: 'details-ontoggle',
      tries: 'an open details element’s toggle handler',
      html: `<details open ontoggle="${call('details-ontoggle')}"><summary>more</summary>x</details>`,
    },
    { id: 'input-autofocus', tries: 'an autofocused input’s focus handler', html: `<input autofocus onfocus="${call('input-autofocus')}">` },
    { id: 'marquee-onstart', tries: 'a marquee start handler', html: `<marquee onstart="${call('marquee-onstart')}">news</marquee>` },
    { id: 'audio-onerror', tries: 'a media error handler', html: `<audio src="x" onerror="${call('audio-onerror')}"></audio>` },
    {
      id: 'frameset-onload',
      tries: 'a frameset with a handler and a remote frame',
      html: `<frameset onload="${call('frameset-onload')}"><frame src="${trap}/frameset-onload"></frameset>`,
    },
    // Script URLs
    { id: 'a-javascript', tries: 'a javascript: link', html: `<a href="javascript:${call('a-javascript')}">open</a>` },
    {
      id: 'a-javascript-entity-colon',
      tries: 'javascript&#58; (an encoded colon)',
      html: `<a href="javascript&#58;${call('a-javascript-entity-colon')}">open</a>`,
    },
    {
      id: 'a-javascript-whitespace',
      tries: 'tab and newline references inside the scheme',
      html: `<a href="jav&#x09;as&#x0A;cript:${call('a-javascript-whitespace')}">open</a>`,
    },
    {
      id: 'a-javascript-leading-control',
      tries: 'a control character before the scheme',
      html: `<a href="&#x01; JaVaScRiPt:${call('a-javascript-leading-control')}">open</a>`,
    },
    { id: 'a-vbscript', tries: 'a vbscript: link', html: `<a href="vbscript:msgbox('a-vbscript')">open</a>` },
    {
      id: 'a-data-html',
      tries: 'a data:text/html link',
      html: `<a href="data:text/html;base64,${base64(`<script>${call('a-data-html')}</script>`)}">open</a>`,
    },
    {
      id: 'svg-a-javascript',
      tries: 'an SVG link with a javascript: xlink:href',
      html: `<svg><a xlink:href="javascript:${call('svg-a-javascript')}"><text x="0" y="15">x</text></a></svg>`,
    },
    {
      id: 'meta-refresh-javascript',
      tries: 'a refresh to a javascript: URL',
      html: `<meta http-equiv="refresh" content="0;url=javascript:${call('meta-refresh-javascript')}">`,
    },
    // Frames and plugins
    { id: 'iframe-remote', tries: 'a remote frame', html: `<iframe src="${trap}/iframe-remote.html"></iframe>` },
    { id: 'iframe-javascript', tries: 'a frame with a javascript: source', html: `<iframe src="javascript:parent.${call('iframe-javascript')}"></iframe>` },
    {
      id: 'iframe-data-html',
      tries: 'a frame with a data:text/html source',
      html: `<iframe src="data:text/html,&lt;script&gt;${call('iframe-data-html')}&lt;/script&gt;"></iframe>`,
    },
    { id: 'iframe-srcdoc', tries: 'a srcdoc frame', html: `<iframe srcdoc="&lt;img src=x onerror=&quot;parent.${call('iframe-srcdoc')}&quot;&gt;"></iframe>` },
    { id: 'object-remote', tries: 'a remote object', html: `<object data="${trap}/object-remote.swf" type="application/x-shockwave-flash"></object>` },
    {
      id: 'object-data-html',
      tries: 'an object with a data:text/html document',
      html: `<object data="data:text/html;base64,${base64(`<script>${call('object-data-html')}</script>`)}"></object>`,
    },
    { id: 'embed-remote', tries: 'a remote embed', html: `<embed src="${trap}/embed-remote.svg" type="image/svg+xml">` },
    // Navigation and forms
    {
      id: 'base-href',
      tries: 'a base URL that would pull relative URLs to the trap',
      html: `<base href="${trap}/base-href/"><a href="relative-link">relative</a><img src="relative.png" alt="r">`,
    },
    { id: 'meta-refresh', tries: 'a refresh to a remote page', html: `<meta http-equiv="refresh" content="0;url=${trap}/meta-refresh">` },
    {
      id: 'form-action',
      tries: 'a form posting to a remote host',
      html: `<form action="${trap}/form-action" method="post"><input name="q" value="1"><button type="submit">Send</button></form>`,
    },
    {
      id: 'button-formaction',
      tries: 'a button with a javascript: formaction',
      html: `<form><button formaction="javascript:${call('button-formaction')}">Go</button></form>`,
    },
    { id: 'input-image', tries: 'an image input', html: `<input type="image" src="${trap}/input-image.png" alt="go">` },
    // Styles
    { id: 'link-stylesheet', tries: 'a remote stylesheet', html: `<link rel="stylesheet" href="${trap}/link-stylesheet.css"><p>x</p>` },
    { id: 'link-prefetch', tries: 'a prefetch hint', html: `<link rel="prefetch" href="${trap}/link-prefetch"><p>x</p>` },
    { id: 'style-import', tries: 'an @import in a style element', html: `<style>@import url("${trap}/style-import.css");</style><p>x</p>` },
    {
      id: 'style-block-background',
      tries: 'a background URL in a style element',
      html: `<style>p{background:url(${trap}/style-block-background.png)}</style><p>styled</p>`,
    },
    {
      id: 'css-inline-background-url',
      tries: 'an inline background URL',
      html: `<div style="background:url(${trap}/css-inline-background-url.png);width:20px;height:20px">x</div>`,
    },
    {
      id: 'css-inline-escaped-url',
      tries: 'a CSS escape spelling url(',
      html: `<div style="background-image:\\75 rl(${trap}/css-inline-escaped-url.png);width:20px;height:20px">x</div>`,
    },
    {
      id: 'css-image-set',
      tries: 'image-set()',
      html: `<div style="background-image:image-set('${trap}/css-image-set.png' 1x);width:20px;height:20px">x</div>`,
    },
    {
      id: 'css-expression',
      tries: 'an old IE expression()',
      html: `<div style="width:expression(${call('css-expression')})">x</div>`,
      inert: 'expression() ran only in old Internet Explorer; Chromium drops the declaration',
    },
    {
      id: 'css-behavior-binding',
      tries: 'behavior and -moz-binding',
      html: `<div style="behavior:url(${trap}/behavior.htc);-moz-binding:url(${trap}/binding.xml#x)">x</div>`,
      inert: 'behavior and -moz-binding belong to old Internet Explorer and Firefox',
    },
    {
      id: 'css-comment-split',
      tries: 'a comment splitting url(',
      html: `<div style="background:u/**/rl(${trap}/css-comment-split.png);width:20px;height:20px">x</div>`,
      inert: "a comment inside a function name breaks it in today's engines",
    },
    {
      id: 'css-position-overlay',
      tries: 'a fixed overlay over the page that shows the mail',
      html: `<a href="${trap}/css-position-overlay" style="position:fixed;top:0;left:0;width:100%;height:100%">overlay</a>`,
    },
    // Remote media
    { id: 'img-srcset', tries: 'a srcset', html: `<img srcset="${trap}/img-srcset.png 1x" alt="s">` },
    {
      id: 'img-remote-tracker',
      tries: 'a remote image (a tracking pixel in mail; a logo in a template)',
      html: `<img src="${trackerImage(trap)}" alt="logo" width="1" height="1">`,
    },
    { id: 'img-protocol-relative', tries: 'a protocol-relative image', html: `<img src="${hostPort}/img-protocol-relative.png" alt="p">` },
    {
      id: 'svg-image-remote',
      tries: 'a remote SVG image',
      html: `<svg width="10" height="10"><image href="${trap}/svg-image-remote.png" width="10" height="10"></image></svg>`,
    },
    { id: 'video-poster', tries: 'a video poster and source', html: `<video poster="${trap}/video-poster.png" src="${trap}/video-poster.mp4"></video>` },
    {
      id: 'table-background',
      tries: 'background attributes',
      html: `<table background="${trap}/table-background.png"><tr><td background="${trap}/table-background-cell.png">cell</td></tr></table>`,
    },
    // Parser differentials (mutation XSS) and broken markup
    {
      id: 'mxss-noscript',
      tries: 'noscript parsed differently with script off and on',
      html: `<noscript><p title="</noscript><img src=x onerror=${call('mxss-noscript')}>"></p></noscript>`,
    },
    {
      id: 'mxss-math-style',
      tries: 'MathML/HTML namespace confusion around style',
      html: `<math><mtext><table><mglyph><style><!--</style><img title="--&gt;&lt;/mglyph&gt;&lt;img src=x onerror=${call('mxss-math-style')}&gt;">`,
    },
    {
      id: 'mxss-svg-style',
      tries: 'an SVG style element re-parsed as HTML',
      html: `<svg></p><style><a id="</style><img src=x onerror=${call('mxss-svg-style')}>">`,
    },
    {
      id: 'template-content',
      tries: 'a template element’s inert content',
      html: `<template><img src=x onerror="${call('template-content')}"></template><p>x</p>`,
    },
    { id: 'xmp-breakout', tries: 'an attribute that closes xmp', html: `<xmp><p title="</xmp><img src=x onerror=${call('xmp-breakout')}>"></xmp>` },
    {
      id: 'textarea-breakout',
      tries: 'an attribute that closes textarea',
      html: `<textarea><p title="</textarea><img src=x onerror=${call('textarea-breakout')}>"></textarea>`,
    },
    { id: 'comment-breakout', tries: 'a comment ended inside an attribute', html: `<!--<img src="--><img src=x onerror=${call('comment-breakout')}//">` },
    { id: 'cdata-svg', tries: 'a CDATA section in SVG', html: `<svg><![CDATA[><img src=x onerror=${call('cdata-svg')}>]]></svg>` },
    {
      id: 'unclosed-img',
      tries: 'a tag left open at the end',
      html: `<p>before</p><img src=x onerror="${call('unclosed-img')}"`,
      inert: 'a tag still open at the end of the document is dropped; inside a template the markup after it closes it',
    },
    {
      id: 'unclosed-quote',
      tries: 'an attribute quote left open',
      html: `<img src="x" alt="<script>${call('unclosed-quote')}</script>`,
      inert: 'an attribute still open at the end of the document drops its tag; inside a template the markup after it closes it',
    },
    { id: 'broken-nesting', tries: 'misnested tags', html: `<b><i><img src=x onerror=${call('broken-nesting')}></b></i><p><div></p></div>` },
    {
      id: 'double-encoded',
      tries: 'markup escaped once and twice',
      html: `&lt;script&gt;${call('double-encoded')}&lt;/script&gt; &amp;lt;img src=x onerror=${call('double-encoded')}&amp;gt;`,
      inert: 'escaped markup is text unless a sanitizer decodes it twice',
    },
    {
      id: 'utf7',
      tries: 'a UTF-7 charset declaration',
      html: `<meta charset="UTF-7">+ADw-script+AD4-${call('utf7')}+ADw-/script+AD4-`,
      inert: 'no current browser decodes UTF-7',
    },
  ];
  const ids = list.map((p) => p.id);
  const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (repeated.length > 0) throw new Error(`payload ids repeat: ${repeated.join(', ')}`);
  return list;
}

/** A hostile HTML part whose markup only appears once the MIME layer is decoded (charset, transfer encoding). */
export interface EncodedPart {
  readonly id: string;
  readonly tries: string;
  /** The part's Content-Type and Content-Transfer-Encoding lines. */
  readonly headers: readonly string[];
  readonly body: string;
}

/** HTML parts hidden behind MIME encodings; each decodes to markup that calls `__xss('<id>')`. */
export function encodedParts(): readonly EncodedPart[] {
  const markup = (id: string) => `<p>hi</p><img src=x onerror="__xss('${id}')"><script>__xss('${id}')</script>`;
  const wrap = (text: string) => (text.match(/.{1,76}/g) ?? []).join('\r\n');
  return [
    {
      id: 'mime-utf7',
      tries: 'markup spelled in UTF-7, declared as the part’s charset',
      headers: ['Content-Type: text/html; charset=utf-7', 'Content-Transfer-Encoding: 7bit'],
      // UTF-7 for markup('mime-utf7').
      body: "+ADw-p+AD4-hi+ADw-/p+AD4APA-img src+AD0-x onerror+AD0AIgBfAF8-xss('mime-utf7')+ACIAPgA8-script+AD4AXwBf-xss('mime-utf7')+ADw-/script+AD4-",
    },
    {
      id: 'mime-utf16-base64',
      tries: 'markup in UTF-16LE, base64-encoded',
      headers: ['Content-Type: text/html; charset=utf-16le', 'Content-Transfer-Encoding: base64'],
      body: wrap(Buffer.from(markup('mime-utf16-base64'), 'utf16le').toString('base64')),
    },
    {
      id: 'mime-quoted-printable',
      tries: 'soft line breaks splitting the handler name and =3D for =',
      headers: ['Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable'],
      body: `<p>hi</p><img src=3Dx on=\r\nerror=3D"__xss('mime-quoted-printable')"><scr=\r\nipt>__xss('mime-quoted-printable')</script>`,
    },
  ];
}
