import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { recordAcknowledgement, recordFeedbackOutcome } from '../../../functions/runtime/observability.ts';

/** Metrics whose EMF lines (written to stdout) the test reads. */
function capture(): { metrics: Metrics; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  const metrics = new Metrics({ namespace: 'Postroom', serviceName: 'test' });
  return {
    metrics,
    lines: () =>
      out
        .join('')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('feedback and acknowledgement metrics', () => {
  it('counts bounced and complained recipients and suppressions of one report', () => {
    // Arrange
    const { metrics, lines } = capture();
    const recipient = (status: 'bounced' | 'complained' | 'delivered') => ({ address: `${status}@x`, status, smtpStatus: null, detail: null, at: 't' });
    const entry = { address: 'bounced@x', scope: { kind: 'account' as const }, reason: 'bounce' as const, detail: null, messageId: null, since: 't' };
    // Act
    recordFeedbackOutcome(metrics, {
      kind: 'applied',
      messageId: 'm',
      conversationId: 'c',
      channelId: 's',
      status: 'bounced',
      changed: [recipient('bounced'), recipient('complained'), recipient('delivered')],
      suppressed: [entry],
      unmatched: [],
    });
    metrics.publishStoredMetrics();
    // Assert
    expect(lines()[0]).toMatchObject({ bounced: 1, complained: 1, suppressed: 1 });
  });

  it('counts an acknowledgement sent, and one skipped with its reason as the dimension; a mail joining a conversation counts nowhere', () => {
    const { metrics, lines } = capture();
    recordAcknowledgement(metrics, { skipped: 'window', job: null });
    recordAcknowledgement(metrics, { skipped: 'not-new-conversation', job: null });
    recordAcknowledgement(metrics, { skipped: null, job: { schemaVersion: 1, channelId: 's', conversationId: 'c', messageId: 'm', createdAt: 't' } });
    metrics.publishStoredMetrics();
    expect(lines()).toEqual([expect.objectContaining({ acknowledgementSkipped: 1, reason: 'window' }), expect.objectContaining({ acknowledgementSent: 1 })]);
  });
});
