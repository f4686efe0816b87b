import type { ReceiptVerdicts } from '../model/classification.ts';

/**
 * Tags derived from SES receipt verdicts (IN-3). Only findings become tags; PASS and
 * DISABLED (the check was not run) add nothing.
 *
 * | tag | meaning |
 * |---|---|
 * | `spam` | spamVerdict FAIL: SES judged the mail spam |
 * | `spam-gray` | spamVerdict GRAY: SES could not decide |
 * | `virus` | virusVerdict FAIL: the mail carries a virus (quarantine, never route) |
 * | `virus-gray` | virusVerdict GRAY: the scan was inconclusive |
 * | `spf-fail` / `spf-gray` | SPF failed / returned no usable result |
 * | `dkim-fail` / `dkim-gray` | DKIM failed / no usable signature result |
 * | `dmarc-fail` / `dmarc-gray` | DMARC failed (a spoofing signal) / no usable result |
 * | `dmarc-policy-none` / `-quarantine` / `-reject` | the failing domain's published policy |
 * | `spoofing-suspected` | DMARC failed under a quarantine or reject policy |
 * | `<check>-processing-failed` | SES could not run that check (e.g. `spam-processing-failed`) |
 * | `verdict-processing-failed` | at least one check could not be run |
 */
export function verdictTags(v: ReceiptVerdicts | undefined): string[] {
  if (v === undefined) return [];
  const tags: string[] = [];
  const checks = [
    ['spam', v.spamVerdict],
    ['virus', v.virusVerdict],
    ['spf', v.spfVerdict],
    ['dkim', v.dkimVerdict],
    ['dmarc', v.dmarcVerdict],
  ] as const;
  for (const [check, status] of checks) {
    if (status === 'FAIL') tags.push(check === 'spam' || check === 'virus' ? check : `${check}-fail`);
    else if (status === 'GRAY') tags.push(`${check}-gray`);
    else if (status === 'PROCESSING_FAILED') tags.push(`${check}-processing-failed`);
  }
  if (checks.some(([, status]) => status === 'PROCESSING_FAILED')) tags.push('verdict-processing-failed');
  if (v.dmarcVerdict === 'FAIL' && v.dmarcPolicy !== undefined) {
    tags.push(`dmarc-policy-${v.dmarcPolicy.toLowerCase()}`);
    if (v.dmarcPolicy !== 'NONE') tags.push('spoofing-suspected');
  }
  return tags;
}
