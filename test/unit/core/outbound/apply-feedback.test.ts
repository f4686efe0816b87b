import { describe, expect, it } from 'vitest';
import { MemoryOutboundMessages } from '../../../../functions/adapters/memory/memory-outbound-messages.ts';
import { MemorySuppressionList } from '../../../../functions/adapters/memory/memory-suppression-list.ts';
import { MemoryWindowCounter } from '../../../../functions/adapters/memory/memory-window-counter.ts';
import { BusyError } from '../../../../functions/core/errors.ts';
import type { DeliveryFeedback, RecipientUpdate } from '../../../../functions/core/model/delivery-feedback.ts';
import { applyFeedback, type ApplyFeedbackDeps } from '../../../../functions/core/outbound/feedback/apply-feedback.ts';
import { parseSesFeedback } from '../../../../functions/core/outbound/feedback/ses-event.ts';
import { TestClock } from '../../../support/clock.ts';
import { SES_ID, sentMessage } from '../../../support/outbound.ts';
import { sesEventText } from '../../../support/ses-events.ts';

async function setup(message = sentMessage()) {
  const messages = new MemoryOutboundMessages();
  await messages.put(message);
  const deps: ApplyFeedbackDeps = {
    messages,
    suppression: new MemorySuppressionList(),
    failures: new MemoryWindowCounter(),
    clock: new TestClock(new Date('2026-12-01T12:00:00.000Z')),
  };
  return { deps, messages, suppression: deps.suppression as MemorySuppressionList };
}

const ses = (name: string): DeliveryFeedback => {
  const feedback = parseSesFeedback(sesEventText(name));
  if (!feedback) throw new Error(`${name} carries no feedback`);
  return feedback;
};

function softBounce(at: string, key: string, address = 'dan@customer.example'): DeliveryFeedback {
  const update: RecipientUpdate = {
    address,
    status: 'bounced',
    smtpStatus: '4.2.2',
    detail: 'mailbox full',
    at,
    signal: { kind: 'bounce', permanent: false, subType: 'MailboxFull' },
  };
  return { key, kind: 'bounce', target: { kind: 'ses', sesMessageId: SES_ID }, updates: [update], sentAt: at, at };
}

describe('applyFeedback', () => {
  it('ties an SES bounce to the exact message and conversation, marks the recipient and suppresses the address', async () => {
    // Arrange
    const { deps, messages, suppression } = await setup();

    // Act
    const outcome = await applyFeedback(deps, ses('bounce-permanent.json'));

    // Assert
    expect(outcome).toMatchObject({ kind: 'applied', messageId: 'out-1', conversationId: 'conv-1', channelId: 'support', status: 'bounced', unmatched: [] });
    const stored = messages.get('out-1');
    expect(stored?.recipients).toEqual([
      { address: 'carla@customer.example', status: 'bounced', smtpStatus: '5.1.1', detail: 'smtp; 550 5.1.1 user unknown', at: '2026-12-01T10:00:05.669Z' },
      expect.objectContaining({ address: 'dan@customer.example', status: 'sent' }),
    ]);
    expect(stored?.status).toBe('bounced');
    expect(stored?.statusReason).toBe('bounced: carla@customer.example 5.1.1 smtp; 550 5.1.1 user unknown');
    expect(await suppression.find('support', 'carla@customer.example')).toEqual({
      address: 'carla@customer.example',
      scope: { kind: 'channel', channelId: 'support' },
      reason: 'bounce',
      detail: '5.1.1 bad destination mailbox address: the mailbox does not exist (smtp; 550 5.1.1 user unknown)',
      messageId: 'out-1',
      since: '2026-12-01T10:00:05.669Z',
    });
    expect(await suppression.find('sales', 'carla@customer.example')).toBeNull();
  });

  it('is idempotent: the same event again changes nothing', async () => {
    // Arrange
    const { deps, messages } = await setup();
    await applyFeedback(deps, ses('bounce-permanent.json'));
    const before = messages.get('out-1');

    // Act
    const again = await applyFeedback(deps, ses('bounce-permanent.json'));

    // Assert
    expect(again).toMatchObject({ kind: 'unchanged', changed: [], suppressed: [] });
    expect(messages.get('out-1')).toEqual(before);
  });

  it('shows the latest state per recipient whatever the arrival order, never regressing a delivery to delayed', async () => {
    // Arrange
    const { deps, messages } = await setup();

    // Act: the delivery (10:00:03) arrives, then an older-looking delay report for dan (10:15), then the complaint
    await applyFeedback(deps, ses('delivery.json'));
    await applyFeedback(deps, ses('delivery-delay.json'));
    const afterDelay = messages.get('out-1')?.recipients.map((r) => r.status);
    await applyFeedback(deps, ses('complaint.json'));

    // Assert
    expect(afterDelay).toEqual(['delivered', 'delivered']);
    expect(messages.get('out-1')?.recipients.map((r) => [r.address, r.status])).toEqual([
      ['carla@customer.example', 'complained'],
      ['dan@customer.example', 'delivered'],
    ]);
    expect(messages.get('out-1')?.status).toBe('complained');
  });

  it('moves a delayed recipient on to delivered, and shows the message delayed while one recipient is', async () => {
    const { deps, messages } = await setup();
    await applyFeedback(deps, { ...ses('delivery-delay.json') });
    expect(messages.get('out-1')?.status).toBe('delayed');
    const later = ses('delivery.json');
    await applyFeedback(deps, { ...later, updates: later.updates.map((u) => ({ ...u, at: '2026-12-01T11:00:00.000Z' })) });
    expect(messages.get('out-1')?.status).toBe('delivered');
  });

  it('suppresses on a complaint with the feedback type', async () => {
    const { deps, suppression } = await setup();
    const outcome = await applyFeedback(deps, ses('complaint.json'));
    expect(outcome).toMatchObject({
      suppressed: [expect.objectContaining({ address: 'carla@customer.example', reason: 'complaint', detail: 'complaint: abuse (feedback-type: abuse)' })],
    });
    expect(await suppression.find('support', 'carla@customer.example')).not.toBeNull();
  });

  it('does not suppress on one soft failure, but on the third within the window (repeated-transient)', async () => {
    // Arrange
    const { deps, suppression } = await setup();

    // Act
    const first = await applyFeedback(deps, softBounce('2026-11-22T10:00:00.000Z', 'k1'));
    await applyFeedback(deps, softBounce('2026-11-25T10:00:00.000Z', 'k2'));
    await applyFeedback(deps, softBounce('2026-11-25T10:00:00.000Z', 'k2')); // a repeat counts once
    const notYet = await suppression.find('support', 'dan@customer.example');
    const third = await applyFeedback(deps, softBounce('2026-11-28T10:00:00.000Z', 'k3'));

    // Assert
    expect(first).toMatchObject({ suppressed: [] });
    expect(notYet).toBeNull();
    expect(third).toMatchObject({
      suppressed: [expect.objectContaining({ reason: 'repeated-transient', detail: '3 soft failures within 7 days; last: transient failure 4.2.2' })],
    });
  });

  it('lets soft failures outside the window go', async () => {
    const { deps, suppression } = await setup();
    for (const [at, key] of [
      ['2026-11-01T00:00:00.000Z', 'a'],
      ['2026-11-10T00:00:00.000Z', 'b'],
      ['2026-11-20T00:00:00.000Z', 'c'],
    ] as const)
      await applyFeedback(deps, softBounce(at, key));
    expect(await suppression.find('support', 'dan@customer.example')).toBeNull();
  });

  it('suppresses account-wide when asked, and keeps an existing entry as it is', async () => {
    // Arrange
    const { deps, suppression } = await setup();
    await suppression.put({
      address: 'carla@customer.example',
      scope: { kind: 'channel', channelId: 'support' },
      reason: 'manual',
      detail: 'asked',
      messageId: null,
      since: '2026-01-01T00:00:00.000Z',
    });

    // Act
    const outcome = await applyFeedback(deps, ses('bounce-permanent.json'), { scope: 'account' });

    // Assert
    expect(outcome).toMatchObject({ suppressed: [] });
    expect((await suppression.find('support', 'carla@customer.example'))?.reason).toBe('manual');
    const dan = softBounce('2026-12-01T11:00:00.000Z', 'hard');
    await applyFeedback(
      deps,
      { ...dan, updates: dan.updates.map((u) => ({ ...u, smtpStatus: '5.1.1', signal: { kind: 'bounce', permanent: true, subType: 'General' } })) },
      { scope: 'account' },
    );
    expect(await suppression.find('sales', 'dan@customer.example')).toMatchObject({ scope: { kind: 'account' } });
  });

  it('retries an SES event for a message not stored yet, and drops it once the grace is over', async () => {
    // Arrange
    const { deps } = await setup(sentMessage({ providerMessageId: 'someone-else' }));
    const fresh = ses('delivery.json');

    // Act
    const early = await applyFeedback({ ...deps, clock: new TestClock(new Date('2026-12-01T10:05:00.000Z')) }, fresh).catch((e: unknown) => e);
    const late = await applyFeedback(deps, fresh);

    // Assert
    expect(early).toBeInstanceOf(BusyError);
    expect(late).toEqual({ kind: 'unknown-message', reason: `no message of ours has SES id ${SES_ID}` });
  });

  it('ignores addresses that are no recipient of the message, and gives a nameless report to a single recipient', async () => {
    // Arrange
    const { deps, messages, suppression } = await setup();
    const stranger = softBounce('2026-12-01T11:00:00.000Z', 's', 'eve@elsewhere.example');
    const single = await setup(
      sentMessage({ messageId: 'out-2', providerMessageId: 'ses-2', threadIds: ['out-2@example.com'], to: [{ address: 'carla@customer.example', name: '' }] }),
    );
    const nameless: DeliveryFeedback = {
      key: 'report:support:arf-1',
      kind: 'complaint',
      target: { kind: 'internet', channelId: 'support', messageIds: ['unknown@x', '<out-2@example.com>'] },
      updates: [
        {
          address: null,
          status: 'complained',
          smtpStatus: null,
          detail: 'feedback-type: abuse',
          at: '2026-12-01T11:00:00.000Z',
          signal: { kind: 'complaint', feedbackType: 'abuse' },
        },
      ],
      sentAt: null,
      at: '2026-12-01T11:00:00.000Z',
    };

    // Act
    const ignored = await applyFeedback(deps, stranger);
    const attributed = await applyFeedback(single.deps, nameless);

    // Assert
    expect(ignored).toMatchObject({ kind: 'unchanged', unmatched: ['eve@elsewhere.example'] });
    expect(messages.get('out-1')?.status).toBe('sent');
    expect(await suppression.find('support', 'eve@elsewhere.example')).toBeNull();
    expect(attributed).toMatchObject({ kind: 'applied', messageId: 'out-2', status: 'complained' });
    expect(await single.suppression.find('support', 'carla@customer.example')).toMatchObject({ reason: 'complaint' });
  });

  it('says which ids it looked for when no message of the channel has them', async () => {
    const { deps } = await setup();
    const outcome = await applyFeedback(deps, {
      key: 'r',
      kind: 'bounce',
      target: { kind: 'internet', channelId: 'sales', messageIds: ['out-1.agent@example.com'] },
      updates: [],
      sentAt: null,
      at: '2026-12-01T11:00:00.000Z',
    });
    expect(outcome).toEqual({ kind: 'unknown-message', reason: 'no message of ours has Message-ID out-1.agent@example.com' });
  });

  it('merges again on a fresh read when another report wrote the message first', async () => {
    // Arrange: a lookup whose first conditional write loses the race to a concurrent delivery report
    const { deps, messages } = await setup();
    let raced = false;
    const racing = Object.create(messages) as MemoryOutboundMessages;
    racing.put = async (message, options) => {
      if (!raced && options?.expectedUpdatedAt) {
        raced = true;
        await applyFeedback(deps, ses('delivery.json'));
      }
      return messages.put(message, options);
    };

    // Act
    const outcome = await applyFeedback({ ...deps, messages: racing }, ses('bounce-permanent.json'));

    // Assert
    expect(outcome).toMatchObject({ kind: 'applied', status: 'bounced' });
    expect(messages.get('out-1')?.recipients.map((r) => r.status)).toEqual(['bounced', 'delivered']);
  });
});
