import type { DeliveryRecipient } from '../../model/classification.ts';
import { addressIn, addressesIn } from './fields.ts';
import { isPermanent, statusFromDiagnostic } from '../../mail/smtp-status.ts';

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
    const block = blockOf(lines, address, unique);
    const status = (block && statusFromDiagnostic(block, null)) ?? noticeStatus;
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
    for (const hit of [opening?.[1], rcpt?.[1]]) {
      const address = hit ? addressIn(hit) : null;
      if (address) found.push(address);
    }
  }
  return found;
}

function dropHeaderLines(notice: string): string {
  return notice
    .split(/\r?\n/)
    .filter((l) => !HEADER_LINE.test(l) && !/message-id|envelope|mail from/i.test(l))
    .join('\n');
}

/** The lines from the recipient's first mention up to the next recipient (at most a few). */
function blockOf(lines: readonly string[], address: string, all: readonly string[]): string | null {
  const start = lines.findIndex((l) => l.toLowerCase().includes(address));
  if (start < 0) return null;
  const others = all.filter((a) => a !== address);
  const block = [lines[start] ?? ''];
  for (const line of lines.slice(start + 1, start + 1 + BLOCK_LINES)) {
    const lower = line.toLowerCase();
    if (others.some((a) => lower.includes(a))) break;
    block.push(line);
  }
  return block.join('\n');
}

function diagnosticOf(block: string, address: string): string | null {
  const text = block
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && l.toLowerCase().replace(/[<>:"']/g, '').trim() !== address)
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
  return text === '' ? null : text.slice(0, 500);
}
