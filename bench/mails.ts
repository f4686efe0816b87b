/**
 * Reproducible benchmark mail: the same seed gives the same bytes, so runs on different
 * machines parse the same input. Attachment bytes are pseudo-random (they stand for compressed
 * files such as PDFs or ZIPs, which do not compress further in transit).
 */

/** The benchmark's mail shapes, smallest first. */
export const MAIL_KINDS = ['reply-5k', 'newsletter-60k', 'attachments-2m', 'attachment-25m', 'attachment-40m'] as const;
export type MailKind = (typeof MAIL_KINDS)[number];

const KB = 1024;
const MB = 1024 * 1024;

/** Size each generated mail aims at (raw bytes, headers included); the 40 MB one stays under SES's 40 MiB cap. */
export const TARGET_BYTES: Readonly<Record<MailKind, number>> = {
  'reply-5k': 5 * KB,
  'newsletter-60k': 60 * KB,
  'attachments-2m': 2 * MB,
  'attachment-25m': 25 * MB,
  'attachment-40m': 40 * MB - 4 * KB,
};

export interface MailOptions {
  /** Message-ID without angle brackets. */
  readonly messageId?: string;
  /** Parent Message-ID (no brackets); a reply gets In-Reply-To and References, else none. */
  readonly inReplyTo?: string | null;
  readonly subject?: string;
  readonly from?: string;
  readonly to?: string;
  readonly seed?: number;
}

const CRLF = '\r\n';
const WORDS = (
  'the printer on the second floor stopped again after the update and the invoice for march ' +
  'still shows the old address please check whether the order was shipped we tried a restart ' +
  'and the cable but nothing changed thanks for the quick answer yesterday it helped a lot'
).split(' ');

/** Mulberry32: small, fast, seedable; good enough for filler bytes and words. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sentence(random: () => number, words = 12): string {
  const picked = Array.from({ length: words }, () => WORDS[Math.floor(random() * WORDS.length)] ?? 'mail');
  const text = picked.join(' ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

function headers(kind: MailKind, options: MailOptions, contentType: string, extra: string[] = []): string {
  const id = options.messageId ?? `${kind}@customer.example`;
  const lines = [
    `From: Anna Customer <${options.from ?? 'anna@customer.example'}>`,
    `To: Example Support <${options.to ?? 'support@example.com'}>`,
    `Subject: ${options.subject ?? (options.inReplyTo ? 'Re: Printer broken' : `Benchmark ${kind}`)}`,
    'Date: Tue, 03 Nov 2026 09:15:00 +0100',
    `Message-ID: <${id}>`,
    ...(options.inReplyTo ? [`In-Reply-To: <${options.inReplyTo}>`, `References: <${options.inReplyTo}>`] : []),
    'MIME-Version: 1.0',
    ...extra,
    `Content-Type: ${contentType}`,
  ];
  return lines.join(CRLF) + CRLF;
}

/** A plain reply: two lines of new text, a signature, and quoted history up to the target size. */
function plainReply(options: MailOptions, target: number, random: () => number): string {
  const head = headers('reply-5k', options, 'text/plain; charset=utf-8', ['Content-Transfer-Encoding: 8bit']);
  const body = [
    sentence(random),
    sentence(random),
    '',
    '-- ',
    'Anna Customer',
    '',
    'On Mon, 2 Nov 2026 at 17:02, Example Support <support@example.com> wrote:',
  ];
  let text = head + CRLF + body.join(CRLF) + CRLF;
  while (text.length < target - 80) text += `> ${sentence(random, 10)}${CRLF}`;
  return text;
}

/** Quoted-printable for ASCII text: `=` escaped, lines soft-broken at 76 characters. */
export function quotedPrintable(text: string): string {
  const out: string[] = [];
  for (const line of text.replace(/=/g, '=3D').split('\n')) {
    let rest = line;
    while (rest.length > 75) {
      // Never split an =XX escape across a soft break.
      let cut = 75;
      const escapeAt = rest.lastIndexOf('=', cut);
      if (escapeAt > cut - 3) cut = escapeAt;
      out.push(`${rest.slice(0, cut)}=`);
      rest = rest.slice(cut);
    }
    out.push(rest);
  }
  return out.join(CRLF);
}

function article(random: () => number, n: number): { html: string; text: string } {
  const title = sentence(random, 5).slice(0, -1);
  const body = `${sentence(random, 18)} ${sentence(random, 14)}`;
  const html =
    `<tr><td style="padding:12px 24px;font-family:Arial,sans-serif;color:#333333">\n` +
    `<h2 style="font-size:18px;margin:0 0 8px 0;color:#0a4d8c">${title}</h2>\n` +
    `<img src="https://news.example.org/img/${n}.png" width="552" height="200" alt="${title}">\n` +
    `<p style="font-size:14px;line-height:20px;margin:0 0 8px 0">${body}</p>\n` +
    `<a href="https://news.example.org/a/${n}?utm_source=mail&amp;utm_medium=news" style="color:#0a4d8c">Read more</a>\n` +
    `</td></tr>\n`;
  return { html, text: `${title}\n\n${body}\nRead more: https://news.example.org/a/${n}\n\n` };
}

/** A newsletter: multipart/alternative, text and table-layout HTML, both quoted-printable. */
function newsletter(options: MailOptions, target: number, random: () => number): string {
  const boundary = 'bench-alt-0001';
  const head = headers('newsletter-60k', { ...options, from: options.from ?? 'news@news.example.org' }, `multipart/alternative; boundary="${boundary}"`, [
    'List-Unsubscribe: <https://news.example.org/unsubscribe?u=1>',
    'List-Id: Example News <news.example.org>',
  ]);
  const parts = (html: string, text: string): string =>
    [
      head,
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      quotedPrintable(text),
      `--${boundary}`,
      'Content-Type: text/html; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      quotedPrintable(
        `<!DOCTYPE html><html><head><style>td{font-family:Arial}</style></head><body>\n<table width="600" align="center" cellpadding="0" cellspacing="0" border="0">\n${html}</table></body></html>`,
      ),
      `--${boundary}--`,
      '',
    ].join(CRLF);
  let html = '';
  let text = '';
  for (let n = 1; ; n++) {
    const next = article(random, n);
    if (parts(html + next.html, text + next.text).length > target) break;
    html += next.html;
    text += next.text;
  }
  return parts(html, text);
}

function base64Lines(bytes: number, random: () => number): string {
  const data = Buffer.allocUnsafe(bytes);
  for (let i = 0; i < bytes; i += 4) data.writeUInt32LE(Math.floor(random() * 4294967296), Math.min(i, bytes - 4));
  const encoded = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < encoded.length; i += 76) lines.push(encoded.slice(i, i + 76));
  return lines.join(CRLF);
}

/** multipart/mixed: a short text part, then attachments sharing the rest of the size by `shares`. */
function withAttachments(kind: MailKind, options: MailOptions, target: number, random: () => number, shares: readonly number[]): string {
  const boundary = 'bench-mixed-0001';
  const head = headers(kind, options, `multipart/mixed; boundary="${boundary}"`);
  const intro = [
    head,
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    `${sentence(random)} ${sentence(random)}`,
    'The files are attached.',
    '',
  ].join(CRLF);
  const partHead = (i: number) =>
    [
      `--${boundary}`,
      `Content-Type: application/pdf; name="document-${i + 1}.pdf"`,
      'Content-Transfer-Encoding: base64',
      `Content-Disposition: attachment; filename="document-${i + 1}.pdf"`,
      '',
      '',
    ].join(CRLF);
  const closing = `${CRLF}--${boundary}--${CRLF}`;
  const overhead = intro.length + shares.reduce((sum, _s, i) => sum + partHead(i).length + CRLF.length, 0) + closing.length;
  // 57 raw bytes make one 76-character base64 line plus CRLF.
  const rawBytes = (Math.max(0, target - overhead) / 78) * 57;
  const chunks = shares.map((share, i) => partHead(i) + base64Lines(Math.max(4, Math.floor((rawBytes * share) / 57) * 57), random));
  return intro + chunks.join(CRLF) + closing;
}

/** Generates one benchmark mail as raw MIME bytes. */
export function generateMail(kind: MailKind, options: MailOptions = {}): Buffer {
  const target = TARGET_BYTES[kind];
  const random = seededRandom(options.seed ?? 42);
  switch (kind) {
    case 'reply-5k':
      return Buffer.from(plainReply({ inReplyTo: 'first@customer.example', ...options }, target, random));
    case 'newsletter-60k':
      return Buffer.from(newsletter(options, target, random));
    case 'attachments-2m':
      return Buffer.from(withAttachments(kind, options, target, random, [0.6, 0.4]));
    case 'attachment-25m':
    case 'attachment-40m':
      return Buffer.from(withAttachments(kind, options, target, random, [1]));
  }
}
