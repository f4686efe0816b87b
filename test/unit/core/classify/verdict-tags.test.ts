import { describe, expect, it } from 'vitest';
import { verdictTags } from '../../../../functions/core/inbound/verdict-tags.ts';

describe('verdictTags', () => {
  it('adds nothing without verdicts or when everything passed', () => {
    // Arrange + Act + Assert
    expect(verdictTags(undefined)).toEqual([]);
    expect(verdictTags({ spamVerdict: 'PASS', virusVerdict: 'PASS', spfVerdict: 'DISABLED', dkimVerdict: 'PASS', dmarcVerdict: 'PASS' })).toEqual([]);
  });

  it('names every failed check and the DMARC policy', () => {
    // Arrange
    const verdicts = {
      spamVerdict: 'FAIL',
      virusVerdict: 'FAIL',
      spfVerdict: 'FAIL',
      dkimVerdict: 'FAIL',
      dmarcVerdict: 'FAIL',
      dmarcPolicy: 'REJECT',
    } as const;

    // Act
    const tags = verdictTags(verdicts);

    // Assert
    expect(tags).toEqual(['spam', 'virus', 'spf-fail', 'dkim-fail', 'dmarc-fail', 'dmarc-policy-reject', 'spoofing-suspected']);
  });

  it('separates gray results, processing failures and a DMARC none policy', () => {
    // Arrange
    const verdicts = { spamVerdict: 'GRAY', virusVerdict: 'PROCESSING_FAILED', dmarcVerdict: 'FAIL', dmarcPolicy: 'NONE' } as const;

    // Act
    const tags = verdictTags(verdicts);

    // Assert
    expect(tags).toEqual(['spam-gray', 'virus-processing-failed', 'dmarc-fail', 'verdict-processing-failed', 'dmarc-policy-none']);
  });
});
