/**
 * Line-level recognizers for quoted history and signatures in plain-text replies, as the
 * common mail clients write them (Gmail, Outlook desktop/web/mobile, Apple Mail, Thunderbird,
 * iOS/Android mail) in English, German, French, Spanish and Dutch.
 */

const QUOTED_LINE = /^[ \t]*>/;

// "On <date>, <name> <addr> wrote:" and its translations. The verb may be followed by the
// name (German "schrieb Max <max@x>:", Dutch "schreef Jan:") and the colon may be spaced
// (French "a écrit :").
const ATTRIBUTION_START = /^[ \t]*(?:On|Am|Le|El|Op)\s/;
const ATTRIBUTION = /^[ \t]*(?:On|Am|Le|El|Op)\s[\s\S]{1,400}?(?:wrote|schrieb|a\s+écrit|escribió|schreef)(?:\s[^\n]{0,200})?\s*:\s*$/i;

const ORIGINAL_MESSAGE =
  /^[ \t]*-{2,}\s*(?:original message|ursprüngliche nachricht|originalnachricht|message d'origine|mensaje original|oorspronkelijk bericht|forwarded message|weitergeleitete nachricht|message transféré|mensaje reenviado|doorgestuurd bericht)\s*-{2,}[ \t]*$/i;

const FORWARD_INTRO = /^[ \t]*(?:begin forwarded message|anfang der weitergeleiteten nachricht|début du message réexpédié|inicio del mensaje reenviado|begin doorgestuurd bericht)\s*:[ \t]*$/i;

const SEPARATOR = /^[ \t]*_{10,}[ \t]*$/;

// Outlook's header block: "From:" then, within a few lines, "Sent:"/"Date:" and "To:"/"Subject:".
// Bold markers (*From:*) appear when HTML was converted to text.
const BLOCK_FROM = /^[ \t]*\*?(?:from|von|de|van)\s*:\*?[ \t]*\S/i;
const BLOCK_DATE = /^[ \t]*\*?(?:sent|date|gesendet|datum|envoyé|enviado|fecha|verzonden|verstuurd)\s*:/i;
const BLOCK_OTHER = /^[ \t]*\*?(?:to|an|à|a|para|aan|subject|betreff|objet|asunto|onderwerp|cc)\s*:/i;

const SIGNATURE_DELIMITER = /^-- ?$/;
const MOBILE_FOOTER =
  /^[ \t]*(?:sent from (?:my )?\S.{0,50}|get outlook for (?:ios|android)[^\n]{0,80}|von meinem \S.{0,40} gesendet|gesendet von (?:meinem )?\S.{0,40}|envoyé de mon \S.{0,40}|enviado desde mi \S.{0,40}|verzonden (?:vanaf|met) (?:mijn )?\S.{0,40}|verstuurd vanaf mijn \S.{0,40})[ \t]*$/i;

/** A `>`-quoted line. */
export function isQuotedLine(line: string): boolean {
  return QUOTED_LINE.test(line);
}

/**
 * Number of lines (1–3) of an attribution line starting at `index` ("On ... wrote:", also
 * wrapped by the sender's client), or 0.
 */
export function attributionLength(lines: readonly string[], index: number): number {
  const first = lines[index] ?? '';
  if (!ATTRIBUTION_START.test(first)) return 0;
  let joined = first;
  for (let length = 1; length <= 3; length++) {
    if (ATTRIBUTION.test(joined)) return length;
    const next = lines[index + length];
    if (next === undefined || next.trim() === '' || isQuotedLine(next)) return 0;
    joined = `${joined} ${next.trim()}`;
  }
  return 0;
}

/** An Outlook-style header block ("From: ... Sent: ... To: ...") starts at `index`. */
function isHeaderBlock(lines: readonly string[], index: number): boolean {
  if (!BLOCK_FROM.test(lines[index] ?? '')) return false;
  const window = lines.slice(index + 1, index + 7);
  return window.some((line) => BLOCK_DATE.test(line)) && window.some((line) => BLOCK_OTHER.test(line));
}

/**
 * True when everything from `index` on is quoted history that is not `>`-prefixed: an
 * "Original Message" or forward marker, an Outlook separator followed by a header block, or
 * a header block itself.
 */
export function startsUnprefixedHistory(lines: readonly string[], index: number): boolean {
  const line = lines[index] ?? '';
  if (ORIGINAL_MESSAGE.test(line) || FORWARD_INTRO.test(line)) return true;
  if (SEPARATOR.test(line)) {
    // Outlook puts at most a blank line or two between the rule and the header block; a bound
    // keeps hostile runs of separators and blank lines linear.
    let next = index + 1;
    while ((lines[next] ?? '').trim() === '' && next < lines.length && next <= index + 3) next++;
    return isHeaderBlock(lines, next);
  }
  return isHeaderBlock(lines, index);
}

/** A signature delimiter line (RFC 3676 "-- ", also without the trailing space). */
export function isSignatureDelimiter(line: string): boolean {
  return SIGNATURE_DELIMITER.test(line);
}

/** A mobile client's footer ("Sent from my iPhone", "Get Outlook for Android", ...). */
export function isMobileFooter(line: string): boolean {
  return MOBILE_FOOTER.test(line);
}
