import { describe, expect, it } from 'vitest';
import { bareMessageId, subjectMatcher } from '../../../functions/core/governance/address-match.ts';
import { type ErasureDeps, type ErasureTally, eraseFinding } from '../../../functions/core/governance/erase-subject.ts';
import type { Finding } from '../../../functions/core/ports/privacy.ts';

const ALICE = 'alice@customer.example';

/** An erasure whose every write is recorded; nothing else is reachable. */
function world(held: readonly string[]) {
  const calls: string[] = [];
  const eraser = new Proxy({}, { get: (_t, name) => async () => void calls.push(String(name)) });
  const deps = { eraser } as unknown as ErasureDeps;
  const tally: ErasureTally = { counts: {}, held: new Set(held), configuration: new Set(), done: new Set(), matcher: subjectMatcher({ address: ALICE }) };
  return { calls, deps, tally };
}

describe('erasure and a legal hold outside the conversation item', () => {
  it('keeps a claim and a record of a held conversation, and works those of any other', async () => {
    // Arrange
    const w = world(['held-1']);
    const claim = (conversationId: string): Finding => ({
      kind: 'keyed',
      what: 'Message-ID claim',
      ref: { pk: `MSGID#support#${conversationId}@x`, sk: 'MSGID' },
      item: { conversationId },
      conversationId,
    });
    const record = (conversationId: string): Finding => ({
      kind: 'record',
      what: 'send record',
      ref: { pk: `OUTBOUND#${conversationId}`, sk: 'OUTBOUND' },
      item: { to: ALICE },
      conversationId,
    });
    // Act
    for (const finding of [claim('held-1'), record('held-1'), claim('open-2'), record('open-2')]) await eraseFinding(w.deps, w.tally, finding);
    // Assert
    expect(w.calls).toEqual(['deleteItem', 'replaceItem']);
  });
});

describe('bareMessageId', () => {
  it('takes off the brackets and the space around and inside them, and nothing else', () => {
    expect(bareMessageId('  < a.b@c.example >  ')).toBe('a.b@c.example');
    expect(bareMessageId('a.b@c.example')).toBe('a.b@c.example');
    expect(bareMessageId('<>')).toBe('');
    expect(bareMessageId(`a${' '.repeat(50_000)}b`)).toBe(`a${' '.repeat(50_000)}b`);
  });
});
