import { renderSubject } from '../../mail/ticket-number.ts';
import type { TicketFormat } from '../../model/channel.ts';

/*
 * Reply and forward prefixes that mail clients put in front of a subject, by language. Forward
 * prefixes collapse too: an answer to a forwarded question is a reply. Single letters (Italian
 * `R:`/`I:`) are left out, they are too often the start of a real subject.
 */
const PREFIXES = [
  // reply
  're',
  'aw',
  'antw',
  'antwort',
  'sv',
  'vs',
  'ref',
  'réf',
  'rif',
  'odp',
  'res',
  'ynt',
  'vá',
  'atb',
  'απ',
  'σχετ',
  'отв',
  'ответ',
  'на',
  'השב',
  'رد',
  '回复',
  '回覆',
  '答复',
  '答覆',
  '返信',
  '회신',
  '답장',
  // forward
  'fwd',
  'fw',
  'wg',
  'tr',
  'rv',
  'enc',
  'doorst',
  'vl',
  'vb',
  'pd',
  'ilt',
  'i̇lt',
  'πρθ',
  'пересл',
  'העבר',
  '转发',
  '轉寄',
  '轉發',
  '転送',
  '전달',
];

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

// One prefix: the word, an optional counter (`Re[2]:`, `Re(3):`, `Re^2:`), optional spaces
// before the colon (French typography), an ASCII or full-width colon.
const PREFIX = new RegExp(
  `^(?:${[...PREFIXES]
    .sort((a, b) => b.length - a.length)
    .map(escapeRegExp)
    .join('|')})\\s*(?:\\[\\d{1,3}\\]|\\(\\d{1,3}\\)|\\^\\d{1,3})?\\s*[:：]\\s*`,
  'iu',
);

/** Longest part of the customer's subject kept: the reply's header stays within one line. */
const MAX_SUBJECT = 900;

const DELIMITERS = { none: ['', ''], brackets: ['[', ']'], braces: ['{', '}'] } as const;

/**
 * Removes every occurrence of this ticket in this format, with the boundaries the ticket module
 * uses: without delimiters the hook must not be glued to a letter or digit (`Order#…`).
 */
function stripTicket(subject: string, ticket: string, format: TicketFormat): string {
  const [open, close] = DELIMITERS[format.delimiter];
  const token = escapeRegExp(`${open}${format.hook}${ticket}${close}`);
  const pattern = format.delimiter === 'none' ? `(?<![\\p{L}\\p{N}\\p{M}])${token}(?![\\p{L}\\p{N}\\p{M}])` : token;
  return subject.replace(new RegExp(pattern, 'giu'), ' ');
}

/** Control characters and runs of whitespace become one space. */
function normalize(subject: string): string {
  return subject.replace(/[\s\u0000-\u001f\u007f-\u009f\u2028\u2029]+/gu, ' ').trim();
}

/** The subject without its chain of reply and forward prefixes (`Re: AW: Fwd: Printer` → `Printer`). */
export function stripReplyPrefixes(subject: string): string {
  let rest = normalize(subject);
  for (let i = 0; i < 100; i++) {
    const m = PREFIX.exec(rest);
    if (!m) break;
    rest = rest.slice(m[0].length);
  }
  return rest;
}

/** Cuts at a code point boundary, so no half surrogate pair reaches the header. */
function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  return (/[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut).trimEnd();
}

/**
 * The subject of a reply: one `Re: `, then the customer's subject without its prefix chain, with
 * the conversation's ticket number placed once per the channel's format (`Re: Printer [#1234567]`,
 * `Re: [#1234567] Printer`, or no number when hidden). A ticket of ours already in the subject is
 * moved, not repeated; other numbers of the channel's format are stale and removed (see
 * `renderSubject`). The customer's subject is data we answer, not input we refuse: control
 * characters in it become spaces.
 */
export function replySubject(original: string, ticket: string, format: TicketFormat): string {
  return prefixedSubject('Re:', original, ticket, format);
}

/** The subject of a forward: `Fwd: ` and the forwarded subject, the ticket number placed as in a reply. */
export function forwardSubject(original: string, ticket: string, format: TicketFormat): string {
  return prefixedSubject('Fwd:', original, ticket, format);
}

function prefixedSubject(prefix: 'Re:' | 'Fwd:', original: string, ticket: string, format: TicketFormat): string {
  const subject = normalize(original);
  // renderSubject drops stale numbers; then ours comes out too, so that prefixes on both sides
  // of a number at the start (`Re: [#…] AW: x`) form one chain, and goes back in its place.
  const cleaned = format.placement === 'hidden' ? subject : normalize(stripTicket(renderSubject(subject, ticket, format), ticket, format));
  const core = truncate(stripReplyPrefixes(cleaned), MAX_SUBJECT);
  const placed = normalize(renderSubject(core, ticket, format));
  return placed === '' ? prefix : `${prefix} ${placed}`;
}

/** The subject of a new outbound mail: the agent's subject with the ticket number placed per the format. */
export function newMailSubject(subject: string, ticket: string, format: TicketFormat): string {
  return renderSubject(subject.trim(), ticket, format);
}
