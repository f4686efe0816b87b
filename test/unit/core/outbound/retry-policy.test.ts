import { describe, expect, it } from 'vitest';
import { DependencyError, PolicyError, TransportError } from '../../../../functions/core/errors.ts';
import { DEFAULT_RETRY_POLICY, retryDecision } from '../../../../functions/core/outbound/send/retry-policy.ts';

const policy = { maxAttempts: 5, baseMs: 1000, maxMs: 5000 };
const transient = new TransportError('451 try later', { permanent: false, status: '451' });

describe('retryDecision', () => {
  it('never retries a permanent failure, refused credentials or a blocked host', () => {
    // Arrange
    const errors = [
      new TransportError('550 user unknown', { permanent: true, status: '550' }),
      new DependencyError('credentials', 'refused'),
      new PolicyError('blocked-host', 'host 10.0.0.1 is a private network address'),
    ];
    // Act
    const decisions = errors.map((e) => retryDecision(e, 1, () => 0.5, policy));
    // Assert
    expect(decisions).toEqual([
      { retry: false, reason: 'transport-permanent: 550 user unknown' },
      { retry: false, reason: 'credentials: refused' },
      { retry: false, reason: 'blocked-host: host 10.0.0.1 is a private network address' },
    ]);
  });

  it('backs off exponentially with equal jitter, capped, until the last attempt', () => {
    // Act
    const low = [1, 2, 3, 4].map((n) => retryDecision(transient, n, () => 0, policy));
    const high = [1, 2, 3, 4].map((n) => retryDecision(transient, n, () => 0.999999, policy));
    const last = retryDecision(transient, 5, () => 0, policy);
    // Assert
    expect(low.map((d) => (d.retry ? d.delayMs : null))).toEqual([500, 1000, 2000, 2500]);
    expect(high.map((d) => (d.retry ? d.delayMs : null))).toEqual([1000, 2000, 4000, 5000]);
    expect(last).toEqual({ retry: false, reason: 'gave up after 5 attempts: transport-transient: 451 try later' });
  });

  it('retries errors it does not know (nothing is lost), and KMS or token endpoint outages', () => {
    expect(retryDecision(new Error('boom'), 1, () => 0, policy)).toMatchObject({ retry: true, reason: 'unexpected-error: boom' });
    expect(retryDecision(new DependencyError('dependency-unavailable', 'KMS throttled'), 1, () => 0, policy).retry).toBe(true);
    expect(retryDecision(transient, 1, () => 0).retry && DEFAULT_RETRY_POLICY.baseMs).toBe(60_000);
  });
});
