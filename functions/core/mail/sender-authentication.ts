import type { ReceiptVerdicts } from '../model/classification.ts';
import { headerValues, type Header, type MailAddress } from '../model/message.ts';

/*
 * Whether the From address of a mail is proven, from what the receiving side checked. A From
 * header alone proves nothing; a ticket number or reply token in a mail joins a conversation only
 * from an authenticated participant (docs/threading.md).
 *
 * The proof is DMARC's (RFC 7489): a pass of DMARC itself, or, for a domain that publishes no
 * DMARC record (`dmarc=GRAY`), an SPF or DKIM pass for a domain aligned with the From domain.
 * SES reports the verdicts but not the domains they passed for, so alignment is read from what
 * no sender can fake after the fact: the envelope sender SES received (`mail.source`, the domain
 * SPF checked) and the `d=` of every DKIM-Signature (a DKIM pass counts only when each signature
 * names an aligned domain, since the verdict does not say which one passed).
 * Authentication-Results headers are not read: the sender writes any it likes, and the one SES
 * prepends cannot be told from a forged one by its position alone in every path.
 */

/** Whether the From address is proven, and how (or why not), for the decision's reasons. */
export interface SenderAuthentication {
  readonly authenticated: boolean;
  /** e.g. `dmarc=pass`, `spf=pass aligned (bounce.example.com)`, `dmarc=gray, spf=fail, dkim=gray: nothing aligned passed`. */
  readonly reason: string;
}

export interface SenderAuthenticationInput {
  readonly from: MailAddress | null;
  readonly headers: readonly Header[];
  /**
   * The receiving side's verdicts. Undefined, or reporting none of SPF, DKIM and DMARC, when no
   * receiving side judged the mail (a file fed to `postroom thread`, a dry run given only a spam
   * verdict): the sender then counts as authenticated, as such a tool shows what the mail would do
   * had it passed. SES reports all three for every mail it receives.
   */
  readonly verdicts: ReceiptVerdicts | undefined;
  /** The SMTP envelope sender (`''` for the null sender); undefined when unknown. */
  readonly envelopeSender?: string | undefined;
}

const AUTHENTICATION_CHECKS = ['dmarc', 'spf', 'dkim'] as const;

/** Tag of a mail whose From address the verdicts do not prove. */
export const TAG_UNAUTHENTICATED = 'unauthenticated-sender';

/** Decides whether the From address of a mail is proven; see the rules above. */
export function authenticateSender(input: SenderAuthenticationInput): SenderAuthentication {
  const { verdicts } = input;
  if (verdicts === undefined || AUTHENTICATION_CHECKS.every((check) => verdicts[`${check}Verdict`] === undefined)) {
    return { authenticated: true, reason: 'no authentication verdicts (not judged)' };
  }
  const fromDomain = domainOf(input.from?.address ?? '');
  if (fromDomain === null) return { authenticated: false, reason: 'no From domain' };
  if (verdicts.dmarcVerdict === 'PASS') return { authenticated: true, reason: 'dmarc=pass' };
  // The From domain's owner published a policy and the mail failed it: an aligned pass cannot exist.
  if (verdicts.dmarcVerdict === 'FAIL') return { authenticated: false, reason: 'dmarc=fail' };
  const envelope = domainOf(input.envelopeSender ?? '');
  if (verdicts.spfVerdict === 'PASS' && envelope !== null && aligned(envelope, fromDomain)) {
    return { authenticated: true, reason: `spf=pass aligned (${envelope})` };
  }
  const signers = dkimDomains(input.headers);
  if (verdicts.dkimVerdict === 'PASS' && signers.length > 0 && signers.every((d) => aligned(d, fromDomain))) {
    return { authenticated: true, reason: `dkim=pass aligned (${signers.join(', ')})` };
  }
  const seen = AUTHENTICATION_CHECKS.map((check) => `${check}=${(verdicts[`${check}Verdict`] ?? 'none').toLowerCase()}`);
  return { authenticated: false, reason: `${seen.join(', ')}: no pass aligned with ${fromDomain}` };
}

/**
 * Relaxed alignment (RFC 7489 §3.1), without the public suffix list: the same domain, or one a
 * subdomain of the other. It misses two sibling subdomains of one organization (a mail then
 * counts as unauthenticated, the safe side); it would only wrongly align a domain with a public
 * suffix of its own, for which no SPF or DKIM pass exists.
 */
export function aligned(a: string, b: string): boolean {
  return a === b || a.endsWith(`.${b}`) || b.endsWith(`.${a}`);
}

/** The lowercase domain of an address, or null when it has none. */
function domainOf(address: string): string | null {
  const at = address.lastIndexOf('@');
  const domain =
    at < 0
      ? ''
      : address
          .slice(at + 1)
          .trim()
          .toLowerCase()
          .replace(/\.$/u, '');
  return domain.includes('.') ? domain : null;
}

/** Signatures read at most; a mail carries one or two. */
const MAX_SIGNATURES = 8;

/** The `d=` domains of the DKIM-Signature headers, lowercase; an unreadable signature gives `''` (aligned with nothing). */
function dkimDomains(headers: readonly Header[]): string[] {
  const values = headerValues(headers, 'dkim-signature');
  // Past the limit nothing is read: an unread signature might be the one that passed.
  if (values.length > MAX_SIGNATURES) return [''];
  return values.map((value) => {
    const tag = value.split(';').find((t) => t.trim().toLowerCase().startsWith('d='));
    return tag ? tag.trim().slice(2).trim().toLowerCase().replace(/\.$/u, '') : '';
  });
}
