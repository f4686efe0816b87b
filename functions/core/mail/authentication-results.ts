import type { ReceiptVerdicts } from '../model/classification.ts';
import { headerValues, type Header } from '../model/message.ts';

/*
 * The verdicts of mail read from a mailbox (IMAP, POP3, Graph), where no SES receipt reports
 * them: the mailbox provider checked SPF, DKIM and DMARC when the mail arrived and wrote its
 * results into an Authentication-Results header (RFC 8601), on top of any the mail carried. So
 * only the topmost header counts, and only when the source says whose it is (its authserv-id, or
 * `*` for a provider that always writes one): a server that writes none would leave a header the
 * sender wrote on top.
 *
 * Microsoft 365 writes `spf=pass (…) smtp.mailfrom=example.com; dkim=pass (…) header.d=example.com;
 * dmarc=pass action=none header.from=example.com`, Gmail `mx.google.com; dkim=pass header.i=@…;
 * spf=pass (…) smtp.mailfrom=…; dmarc=pass (p=NONE …) header.from=…`. A mail without a trusted
 * header was judged by nobody we can see: SPF, DKIM and DMARC count as unproven (`GRAY`), so a
 * ticket number or reply token in it joins nothing on its own (docs/threading.md).
 */

export interface MailboxVerdicts {
  readonly verdicts: ReceiptVerdicts;
  /** The envelope sender SPF checked (`smtp.mailfrom`), when the header names it: the alignment check reads it. */
  readonly envelopeSender?: string;
}

const METHODS = ['spf', 'dkim', 'dmarc'] as const;
type Method = (typeof METHODS)[number];
/** Longest header value read: providers' headers are a few hundred bytes, a forged one may be anything. */
const MAX_VALUE = 8192;

const UNPROVEN: MailboxVerdicts = { verdicts: { spfVerdict: 'GRAY', dkimVerdict: 'GRAY', dmarcVerdict: 'GRAY' } };

/**
 * The verdicts the topmost Authentication-Results header gives, GRAY for each check it does not
 * report; all GRAY unless that header is one the source trusts (`trusted`: its authserv-id, or
 * `*` for the topmost whatever its id; null believes none).
 */
export function mailboxVerdicts(headers: readonly Header[], trusted: string | null): MailboxVerdicts {
  const top = headerValues(headers, 'authentication-results')[0];
  if (trusted === null || top === undefined) return UNPROVEN;
  if (trusted !== '*' && authservIdOf(top)?.toLowerCase() !== trusted.toLowerCase()) return UNPROVEN;
  const results = new Map<Method, string[]>();
  let mailFrom: string | undefined;
  for (const clause of (top ?? '').slice(0, MAX_VALUE).split(';')) {
    const text = withoutComments(clause).trim();
    const method = /^(spf|dkim|dmarc)\s*=\s*([a-z]+)/i.exec(text);
    if (!method) continue;
    const name = (method[1] ?? '').toLowerCase() as Method;
    results.set(name, [...(results.get(name) ?? []), (method[2] ?? '').toLowerCase()]);
    if (name === 'spf') mailFrom ??= /\bsmtp\.mailfrom\s*=\s*([^\s;]+)/i.exec(text)?.[1];
  }
  const verdict = (method: Method) => verdictOf(results.get(method) ?? []);
  const verdicts: ReceiptVerdicts = { spfVerdict: verdict('spf'), dkimVerdict: verdict('dkim'), dmarcVerdict: verdict('dmarc') };
  return { verdicts, ...(mailFrom ? { envelopeSender: mailFrom.includes('@') ? mailFrom : `postmaster@${mailFrom}` } : {}) };
}

/** The authserv-id a header starts with (`mx.google.com; …`), or null when it starts with a result (Microsoft 365's). */
function authservIdOf(value: string): string | null {
  const first = withoutComments(value.slice(0, MAX_VALUE).split(';')[0] ?? '').trim();
  if (first === '' || first.includes('=')) return null;
  return first.split(/\s/)[0] ?? null;
}

/** One result per signature for DKIM: any pass is a pass, as SES reports it. */
function verdictOf(results: readonly string[]): NonNullable<ReceiptVerdicts['spfVerdict']> {
  if (results.includes('pass')) return 'PASS';
  if (results.some((r) => r === 'fail' || r === 'softfail' || r === 'hardfail')) return 'FAIL';
  if (results.some((r) => r === 'temperror' || r === 'permerror')) return 'PROCESSING_FAILED';
  return 'GRAY';
}

/** The clause without `(comments)`: one pass, nesting counted, so a comment cannot fake a result. */
function withoutComments(text: string): string {
  let depth = 0;
  let out = '';
  for (const ch of text) {
    if (ch === '(') depth += 1;
    else if (ch === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0) out += ch;
  }
  return out;
}
