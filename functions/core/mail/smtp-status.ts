/**
 * Small pure rules about SMTP reply codes (RFC 5321 §4.2) and enhanced status codes
 * (RFC 3463), as found in DSNs and in the free text of non-standard bounces.
 */

// A dotted triple such as 5.1.1, not part of an IP address or a version number (1.2.5.1).
const ENHANCED = /(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)/g;
// A three digit reply code at a word edge: "550 ", "550-", "#550", "(550)".
const REPLY = /(?<![\d.])([245][0-5]\d)(?=[\s\-)#:]|$)/g;

/** Every RFC 3463 enhanced status code in `text`, in order. */
export function enhancedCodes(text: string): string[] {
  return [...text.matchAll(ENHANCED)].map((m) => `${m[1]}.${m[2]}.${m[3]}`);
}

/**
 * The most telling enhanced code in `text`: the first one that is not a bare `X.0.0`,
 * else the first one; null when there is none.
 */
export function enhancedCode(text: string): string | null {
  const codes = enhancedCodes(text);
  return codes.find((c) => !c.endsWith('.0.0')) ?? codes[0] ?? null;
}

/**
 * The first SMTP reply code in `text`. A 503 ("bad sequence of commands") is skipped when
 * another code exists: in a transcript it only echoes an earlier refusal.
 */
export function replyCode(text: string): string | null {
  const codes = [...text.matchAll(REPLY)].map((m) => m[1] as string);
  return codes.find((c) => c !== '503') ?? codes[0] ?? null;
}

// Diagnostic phrases that name a cause. The detail (subject.detail of RFC 3463 §3) is
// taken from here; the class (4 or 5) comes from the reply code or the context.
const PHRASES: readonly (readonly [RegExp, string])[] = [
  [
    /mailbox (?:is )?full|over ?quota|quota exceeded|exceeded (?:the )?storage|insufficient (?:disk )?space|mailbox size limit|too many messages|mailfolder is full|disk full/i,
    '2.2',
  ],
  [/message (?:is )?too (?:large|big)|message size exceeds|exceeds (?:the )?(?:maximum|size)|size limit/i, '3.4'],
  [
    /(?:host|domain) (?:not found|unknown|name lookup failed)|no such domain|unrouteable (?:mail )?domain|unroutable|no mx|nxdomain|couldn't find any host|host or domain name not found/i,
    '4.4',
  ],
  [/relay(?:ing)? (?:access )?(?:denied|not permitted|prohibited)|not (?:a|our) (?:gateway|relay)|not permitted to relay|rcpthosts|we do not relay/i, '7.1'],
  [/mailbox (?:is )?disabled|account (?:is |has been )?(?:disabled|deactivated|suspended|closed|locked|inactive)|deactivated|not active|inactive/i, '2.1'],
  [
    /(?:user|recipient|mailbox|address|account)s? (?:is )?(?:unknown|not found|does not exist|doesn't exist|not exist|nonexistent|unavailable|invalid|not listed)|no such (?:user|mailbox|recipient|address|account)|unknown (?:user|recipient|address|local part)|invalid (?:recipient|mailbox|address)|does not like recipient|no mailbox here|not a valid (?:mailbox|user)|user doesn't have|mailbox not found|addressee unknown|recipient rejected|bad destination mailbox|mailbox unavailable|no account by that name|not listed in|recipnotfound/i,
    '1.1',
  ],
  [/spam|blocked|blacklist|blocklist|policy|rejected|denied|refused|virus/i, '7.1'],
  [/(?:timed? ?out|expired|could not be delivered (?:with)?in|retry time|too long in queue|giving up)/i, '4.7'],
];

/** Subject.detail (e.g. `1.1`) suggested by the words of a diagnostic, or null. */
export function detailFromPhrase(text: string): string | null {
  for (const [pattern, detail] of PHRASES) if (pattern.test(text)) return detail;
  return null;
}

/**
 * Derives an enhanced status code from a diagnostic text: an enhanced code in it wins;
 * otherwise the class of the reply code (or `fallbackClass`) with the detail its words name.
 */
export function statusFromDiagnostic(text: string, fallbackClass: '4' | '5' | null): string | null {
  const enhanced = enhancedCode(text);
  const reply = replyCode(text);
  const cls = reply?.[0] === '4' || reply?.[0] === '5' ? reply[0] : fallbackClass;
  if (enhanced && (enhanced[0] !== '2' || cls === null)) {
    // A 5yz reply with a 4.x.x code (or the reverse) is contradictory; the reply wins the class.
    return cls && enhanced[0] !== cls && enhanced[0] !== '2' ? `${cls}${enhanced.slice(1)}` : enhanced;
  }
  if (cls === null) return null;
  const detail = detailFromPhrase(text);
  return `${cls}.${detail ?? '0.0'}`;
}

/** RFC 3463 §3.1: class 5 is a permanent failure; class 4 is persistent transient. */
export function isPermanent(status: string | null, action: string | null): boolean {
  if (status?.startsWith('5.')) return true;
  if (status?.startsWith('4.') || status?.startsWith('2.')) return false;
  return action === 'failed';
}
