import type { DeliveryRecipient } from '../../model/classification.ts';
import { addressIn, addressesIn } from './fields.ts';
import { detailFromPhrase, enhancedCode, isPermanent, statusFromDiagnostic } from '../../mail/smtp-status.ts';

// Hostile input limits: the notice part of a bounce is short; a returned copy can be huge.
const MAX_NOTICE_CHARS = 20_000;
const MAX_RECIPIENTS = 100;
const BLOCK_LINES = 8;

// Where the returned copy of the original message starts (Sendmail, Postfix, Exim, qmail,
// Notes, Exchange, OpenSMTPD, DragonFly ...). Recipients are only looked for above it.
const RETURNED_COPY =
  /^[ \t]*(?:-{2,}[ \t]*(?:(?:the )?original message|this is a copy of|below this line|unsent message|returned message|message header|original message follows|forwarded message|headers of)|-{3,}[ \t]*Original message|(?:below is a copy of the original message|message headers follow|original message header)|original message:?[ \t]*$|(?:Return-Path|Received|DKIM-Signature|Message-I[dD]):[ \t])/im;

const HEADER_LINE = /^[ \t]*(?:from|reply-to|sender|return-path|to|cc|date|subject|message-id|references|in-reply-to|x-[\w-]+)\s*:/i;
// Local parts of the addresses a bounce is sent from, never failed recipients.
const SYSTEM_LOCAL = /^(?:mailer-?daemon|postmaster|post_master|mail\.delivery\.system|mdaemon|noreply|no-reply|root|abuse)@/i;

/** The part of a bounce body that talks about the failure, without the returned copy. */
export function noticeSection(text: string): string {
  const head = text.slice(0, MAX_NOTICE_CHARS);
  const cut = RETURNED_COPY.exec(head);
  return cut ? head.slice(0, cut.index) : head;
}

/**
 * Finds failed recipients in a non-standard (text) bounce and a status for each: an address
 * opening a line (qmail `<a@b>:`, Postfix, Exim, Gmail, Exchange, Notes) or named in a
 * transcript `RCPT TO:<a@b>` is preferred; any other address of the notice is the fallback.
 * `exclude` holds addresses that are not recipients (the bounce's own To/From, our channels).
 */
export function textBounceRecipients(text: string, hints: RecipientHints, defaultClass: '4' | '5'): DeliveryRecipient[] {
  const notice = noticeSection(text);
  const lines = notice.split(/\r?\n/);
  const { exclude } = hints;
  const wanted = (a: string | null): a is string => a !== null && !exclude.has(a);
  const loose = (a: string | null): a is string => wanted(a) && !SYSTEM_LOCAL.test(a);

  const unique = [
    ...new Set(
      firstNonEmpty([
        () => hints.failedRecipients.filter(wanted),
        () => explicitRecipients(lines).filter(wanted),
        () => addressesIn(dropHeaderLines(notice)).filter(loose),
        () => screenNames(lines, hints.senderDomain),
        // Last resort: the intended recipients named by the returned copy of the message.
        () => [...hints.copyRecipients, ...copyRecipients(text.slice(notice.length))].filter(wanted),
        // A self-addressed message bounces to its own sender (also anonymized samples).
        () => explicitRecipients(lines).filter((a) => !hints.own.has(a)),
      ]),
    ),
  ].slice(0, MAX_RECIPIENTS);
  const noticeStatus = statusFromDiagnostic(notice, defaultClass);
  return unique.map((address) => {
    const blocks = blocksOf(lines, address, unique);
    // A mention with an enhanced code says most, then one with a reply code.
    const block = blocks.find((b) => enhancedCode(b) !== null) ?? blocks.find((b) => statusFromDiagnostic(b, null) !== null) ?? blocks[0] ?? null;
    const worded = blocks.map((b) => detailFromPhrase(b)).find((d) => d !== null);
    const stated = block === null ? null : statusFromDiagnostic(block, null);
    const status = stated ?? (worded && noticeStatus ? `${noticeStatus[0]}.${worded}` : noticeStatus);
    const action = status?.startsWith('4.') && defaultClass === '4' ? 'delayed' : 'failed';
    return {
      address,
      status,
      action,
      permanent: action === 'failed' && isPermanent(status, action),
      diagnostic: diagnosticOf(block ?? notice, address),
    };
  });
}

/** What the caller knows that helps find failed recipients in a text bounce. */
export interface RecipientHints {
  /** Addresses that are not failed recipients: the bounce's own To and From, our channels. */
  readonly exclude: ReadonlySet<string>;
  /** Our channel addresses. */
  readonly own: ReadonlySet<string>;
  /** X-Failed-Recipients (Exim), authoritative when present. */
  readonly failedRecipients: readonly string[];
  /** To/Cc of the enclosed original message, if any. */
  readonly copyRecipients: readonly string[];
  /** Domain of the bounce sender, for AOL-style bare screen names. */
  readonly senderDomain: string | null;
}

function firstNonEmpty(sources: readonly (() => string[])[]): string[] {
  for (const source of sources) {
    const found = source();
    if (found.length > 0) return found;
  }
  return [];
}

// AOL listed bare screen names, indented, under "the following recipients ...:".
function screenNames(lines: readonly string[], domain: string | null): string[] {
  if (domain === null) return [];
  const start = lines.findIndex((l) => /following recipients?\b.*:\s*$/i.test(l));
  if (start < 0) return [];
  const names: string[] = [];
  for (const line of lines.slice(start + 1, start + 1 + BLOCK_LINES)) {
    const name = /^[ \t]+([a-z0-9][\w.+-]{0,63})\s*$/i.exec(line)?.[1];
    if (name) names.push(`${name.toLowerCase()}@${domain}`);
  }
  return names;
}

function copyRecipients(copy: string): string[] {
  const head = copy.slice(0, 20_000);
  return [...head.matchAll(/^[ \t>]*(?:to|cc):[ \t]*(.+)$/gim)].flatMap((m) => addressesIn(m[1] ?? ''));
}

function explicitRecipients(lines: readonly string[]): string[] {
  const found: string[] = [];
  for (const line of lines) {
    if (HEADER_LINE.test(line)) continue;
    const opening = /^[\s>"'<*(]*(?:\d+\.\s*)?<?([^\s<>"'():;,]+@[^\s<>"'():;,]+)/.exec(line);
    const rcpt = /RCPT TO:\s*<?([^<>\s]+@[^<>\s]+?)>?(?:\s|$)/i.exec(line);
    // A line that lists several recipients ("a@x, b@y; c@z") names each of them.
    const listed = opening && ADDRESS_LIST.test(line) ? addressesIn(line) : [];
    for (const hit of [opening?.[1], rcpt?.[1], ...listed]) {
      const address = hit ? addressIn(hit) : null;
      if (address) found.push(address);
    }
  }
  return found;
}

// Two or more addresses, each pair parted by commas, semicolons or spaces (no '@' in a part,
// so the pattern cannot backtrack over a long line).
const ADDRESS_LIST = /^[\s>"'<*(]*<?[^\s<>"'():;,@]+@[^\s<>"'():;,@]+>?(?:[\s,;]+<?[^\s<>"'():;,@]+@[^\s<>"'():;,@]+>?)+[\s,;]*$/;

function dropHeaderLines(notice: string): string {
  return notice
    .split(/\r?\n/)
    .filter((l) => !HEADER_LINE.test(l) && !/message-id|envelope|mail from/i.test(l))
    .join('\n');
}

/**
 * For each mention of the recipient (Exchange names each one twice: in words, then with the
 * server's code), the lines from there up to the next recipient (at most a few). A line that
 * lists several recipients is no block of its own.
 */
function blocksOf(lines: readonly string[], address: string, all: readonly string[]): string[] {
  const others = all.filter((a) => a !== address);
  const blocks: string[] = [];
  lines.forEach((line, start) => {
    const lower = line.toLowerCase();
    if (!lower.includes(address) || blocks.length >= 4) return;
    const block = [line];
    if (!others.some((a) => lower.includes(a))) {
      for (const next of lines.slice(start + 1, start + 1 + BLOCK_LINES)) {
        const nextLower = next.toLowerCase();
        if (others.some((a) => nextLower.includes(a)) || nextLower.includes(address)) break;
        block.push(next);
      }
    }
    blocks.push(block.join('\n'));
  });
  return blocks;
}

function diagnosticOf(block: string, address: string): string | null {
  const text = block
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(
      (l) =>
        l !== '' &&
        l
          .toLowerCase()
          .replace(/[<>:"']/g, '')
          .trim() !== address,
    )
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
  return text === '' ? null : text.slice(0, 500);
}
