import { describe, expect, it } from 'vitest';
import { MemoryOutboundMessages } from '../../../../functions/adapters/memory/memory-outbound-messages.ts';
import { MemoryProcessingLedger } from '../../../../functions/adapters/memory/memory-processing-ledger.ts';
import { MemorySuppressionList } from '../../../../functions/adapters/memory/memory-suppression-list.ts';
import { MemoryWindowCounter } from '../../../../functions/adapters/memory/memory-window-counter.ts';
import { ValidationError } from '../../../../functions/core/errors.ts';
import { FEEDBACK_FINAL_STATES, type FeedbackRecord } from '../../../../functions/core/model/feedback-record.ts';
import { processFeedback, type ProcessFeedbackDeps } from '../../../../functions/core/outbound/feedback/process-feedback.ts';
import { parseSesFeedback } from '../../../../functions/core/outbound/feedback/ses-event.ts';
import { TestClock } from '../../../support/clock.ts';
import { sentMessage } from '../../../support/outbound.ts';
import { sesEventText } from '../../../support/ses-events.ts';

async function deps(): Promise<ProcessFeedbackDeps> {
  const messages = new MemoryOutboundMessages();
  await messages.put(sentMessage());
  return {
    messages,
    suppression: new MemorySuppressionList(),
    failures: new MemoryWindowCounter(),
    clock: new TestClock(new Date('2026-12-01T12:00:00.000Z')),
    ledger: new MemoryProcessingLedger<FeedbackRecord>((r) => r.key, { finalStates: FEEDBACK_FINAL_STATES, firstState: 'received' }),
    leaseMs: 60_000,
  };
}

const bounce = () => {
  const f = parseSesFeedback(sesEventText('bounce-permanent.json'));
  if (!f) throw new Error('no feedback');
  return f;
};

describe('processFeedback', () => {
  it('applies a report once and calls the repeat a duplicate', async () => {
    // Arrange
    const d = await deps();
    // Act
    const first = await processFeedback(d, bounce());
    const second = await processFeedback(d, bounce());
    // Assert
    expect(first).toMatchObject({
      kind: 'processed',
      record: { state: 'applied', messageId: 'out-1', conversationId: 'conv-1', suppressed: ['carla@customer.example'] },
      outcome: { kind: 'applied' },
    });
    expect(second).toMatchObject({ kind: 'duplicate', record: { state: 'applied' } });
  });

  it('records a report about no message of ours as ignored, with why', async () => {
    const d = await deps();
    const result = await processFeedback(d, { ...bounce(), key: 'other', target: { kind: 'ses', sesMessageId: 'not-ours' } });
    expect(result).toMatchObject({ kind: 'processed', record: { state: 'ignored', note: 'no message of ours has SES id not-ours' } });
  });

  it('fails the record for good on a permanent error instead of retrying it', async () => {
    const d = await deps();
    const broken = {
      ...d,
      messages: {
        ...d.messages,
        findBySesMessageId: async () => {
          throw new ValidationError('stored message does not parse');
        },
      },
    } as ProcessFeedbackDeps;
    const result = await processFeedback(broken, bounce());
    expect(result).toMatchObject({ kind: 'failed', record: { state: 'failed', error: { code: 'validation', reason: 'stored message does not parse' } } });
  });
});
