import { describe, expect, it } from 'vitest';
import { MemorySuppressionList } from '../../../../functions/adapters/memory/memory-suppression-list.ts';
import { PolicyError } from '../../../../functions/core/errors.ts';
import { checkNotSuppressed, describeSuppression } from '../../../../functions/core/outbound/send/suppression-check.ts';
import {
  classifyComplaint,
  classifyFailure,
  classifySesBounce,
  repeatedTransient,
  SUPPRESSING_CODES,
} from '../../../../functions/core/outbound/feedback/suppression-policy.ts';

const permanent = (status: string | null, diagnostic: string | null = null) => classifyFailure({ status, permanent: true, diagnostic });

describe('classifyFailure: the RFC 3463 table', () => {
  it.each([
    ['5.1.1', 'mailbox does not exist'],
    ['5.1.2', 'domain does not exist'],
    ['5.1.3', 'syntax'],
    ['5.1.4', 'ambiguous'],
    ['5.1.6', 'moved'],
    ['5.1.10', 'null MX'],
    ['5.2.1', 'disabled'],
    ['5.4.4', 'no mail route'],
    ['5.7.17', 'owner has changed'],
    ['5.7.18', 'domain owner'],
  ])('suppresses %s for good (%s)', (status, words) => {
    // Act
    const verdict = permanent(status);
    // Assert
    expect(verdict.action).toBe('suppress');
    expect(verdict.rule).toContain(status);
    expect(verdict.rule).toContain(words);
  });

  it.each(['5.2.2', '5.7.1', '5.4.1', '5.0.0', '5.7.0', '5.3.0'])('only counts %s: permanent, but not a dead address', (status) => {
    expect(permanent(status).action).toBe('count');
  });

  it.each(['5.1.7', '5.1.8', '5.2.3', '5.3.4', '5.5.1', '5.6.0', '5.7.8', '5.7.13', '5.7.26', '5.7.20'])(
    "neither suppresses nor counts %s: ours or the message's fault",
    (status) => {
      expect(permanent(status).action).toBe('none');
    },
  );

  it('counts every transient failure, whatever its code, and a 4.x.x inside a permanent report', () => {
    expect(classifyFailure({ status: '5.1.1', permanent: false, diagnostic: null }).action).toBe('count');
    expect(classifyFailure({ status: '4.2.2', permanent: false, diagnostic: null })).toEqual({ action: 'count', rule: 'transient failure 4.2.2' });
    expect(permanent('4.4.1').action).toBe('count');
  });

  it('reads the code from the diagnostic when the status is missing, and the bare reply code when there is none', () => {
    expect(permanent(null, 'smtp; 550 5.1.1 <carla@x>: Recipient address rejected').action).toBe('suppress');
    expect(permanent(null, '551 User not local; please try <carla@elsewhere>').rule).toContain('551');
    expect(permanent(null, '553 mailbox name not allowed').action).toBe('suppress');
    expect(permanent(null, '556 domain does not accept mail').action).toBe('suppress');
    expect(permanent(null, '550 rejected because of spam').action).toBe('count');
    expect(permanent(null, null)).toEqual({ action: 'count', rule: 'permanent failure without a status' });
  });

  it('documents every suppressing code', () => {
    expect(Object.entries(SUPPRESSING_CODES).every(([code, why]) => /^5\.\d+\.\d+$/.test(code) && why.length > 10)).toBe(true);
  });
});

describe('SES bounces and complaints', () => {
  it('suppresses SES sub-types that say SES will not deliver, whatever the status', () => {
    const report = { status: '5.0.0', permanent: true, diagnostic: null };
    expect(classifySesBounce('OnAccountSuppressionList', report).action).toBe('suppress');
    expect(classifySesBounce('Suppressed', report).action).toBe('suppress');
    expect(classifySesBounce('NoEmail', report).action).toBe('suppress');
    expect(classifySesBounce('General', report).action).toBe('count');
    expect(classifySesBounce('MailboxFull', { status: '4.2.2', permanent: false, diagnostic: null }).action).toBe('count');
  });

  it('suppresses on every complaint type but not-spam', () => {
    expect(classifyComplaint('abuse')).toEqual({ action: 'suppress', rule: 'complaint: abuse' });
    expect(classifyComplaint(null)).toEqual({ action: 'suppress', rule: 'complaint: unknown' });
    expect(classifyComplaint('Not-Spam').action).toBe('none');
  });

  it('suppresses soft failures from the third within the window', () => {
    expect([1, 2, 3, 4].map((n) => repeatedTransient(n))).toEqual([false, false, true, true]);
    expect(repeatedTransient(2, { failures: 2, windowMs: 1 })).toBe(true);
  });
});

describe('checkNotSuppressed', () => {
  it('refuses naming address, reason, date and detail; the account list counts for every channel', async () => {
    // Arrange
    const list = new MemorySuppressionList();
    await list.put({
      address: 'carla@x.example',
      scope: { kind: 'channel', channelId: 'support' },
      reason: 'bounce',
      detail: '5.1.1 bad destination mailbox',
      messageId: 'out-1',
      since: '2026-12-01T10:00:05.000Z',
    });
    await list.put({
      address: 'dan@x.example',
      scope: { kind: 'account' },
      reason: 'complaint',
      detail: 'complaint: abuse',
      messageId: null,
      since: '2026-11-30T09:00:00.000Z',
    });

    // Act
    const refused = await checkNotSuppressed(list, 'support', ['Carla@X.example', 'eve@x.example', 'dan@x.example']).catch((e: unknown) => e);
    const otherChannel = await checkNotSuppressed(list, 'sales', ['carla@x.example']);

    // Assert
    expect(refused).toBeInstanceOf(PolicyError);
    expect((refused as PolicyError).code).toBe('suppressed');
    expect((refused as PolicyError).message).toBe(
      'carla@x.example is suppressed since 2026-12-01 (bounce: 5.1.1 bad destination mailbox); dan@x.example is suppressed since 2026-11-30 (complaint: complaint: abuse, account-wide)',
    );
    expect(otherChannel).toBeUndefined();
  });

  it('passes when nobody is suppressed', async () => {
    await expect(checkNotSuppressed(new MemorySuppressionList(), 'support', ['a@b.example', ' '])).resolves.toBeUndefined();
    expect(
      describeSuppression({ address: 'a@b', scope: { kind: 'account' }, reason: 'manual', detail: null, messageId: null, since: '2026-01-02T00:00:00Z' }),
    ).toBe('a@b is suppressed since 2026-01-02 (manual, account-wide)');
  });
});
