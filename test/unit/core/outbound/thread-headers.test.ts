import { describe, expect, it } from 'vitest';
import { MAX_REFERENCES, MAX_REFERENCES_CHARS, threadHeaders } from '../../../../functions/core/outbound/compose/thread-headers.ts';

const OWN = 'own-1@example.com';

describe('threadHeaders', () => {
  it('answers the customer message: In-Reply-To is it, References its chain, our id, then it', () => {
    // Arrange
    const answered = {
      messageId: 'c2@customer.example',
      inReplyTo: 'ses-1@eu-west-1.amazonses.com',
      references: ['c1@customer.example', 'ses-1@eu-west-1.amazonses.com'],
    };

    // Act
    const headers = threadHeaders({ answered, ownMessageId: OWN });

    // Assert
    expect(headers.inReplyTo).toBe('c2@customer.example');
    expect(headers.references).toEqual(['c1@customer.example', 'ses-1@eu-west-1.amazonses.com', OWN, 'c2@customer.example']);
  });

  it('uses the single In-Reply-To of a parent without References (RFC 5322 §3.6.4)', () => {
    const headers = threadHeaders({ answered: { messageId: 'c2@x.example', inReplyTo: 'c1@x.example', references: [] }, ownMessageId: OWN });
    expect(headers.references).toEqual(['c1@x.example', OWN, 'c2@x.example']);
  });

  it('adds our earlier ids that the chain lost, deduplicated, brackets removed', () => {
    const headers = threadHeaders({
      answered: { messageId: 'c2@x.example', inReplyTo: null, references: ['c1@x.example', 'c1@x.example'] },
      ownMessageId: `<${OWN}>`,
      previousSentIds: ['<old@example.com>', 'c1@x.example', 'old-ses@email.amazonses.com'],
    });
    expect(headers.references).toEqual(['c1@x.example', 'old@example.com', 'old-ses@email.amazonses.com', OWN, 'c2@x.example']);
  });

  it('drops unusable ids and answers a message without a Message-ID with no In-Reply-To', () => {
    const headers = threadHeaders({
      answered: { messageId: 'no at sign', inReplyTo: null, references: ['a>b@x.example', 'ok@x.example', 'a@b@c', 'ü@x.example'] },
      ownMessageId: OWN,
    });
    expect(headers.inReplyTo).toBeNull();
    expect(headers.references).toEqual(['ok@x.example', OWN]);
    expect(headers.unusable).toBe(4);
  });

  it('caps a long chain, keeping the first, the most recent, ours and the parent', () => {
    // Arrange
    const refs = Array.from({ length: 500 }, (_, i) => `m${i}@x.example`);

    // Act
    const headers = threadHeaders({ answered: { messageId: 'parent@x.example', inReplyTo: null, references: refs }, ownMessageId: OWN });

    // Assert
    expect(headers.references.length).toBeLessThanOrEqual(MAX_REFERENCES);
    expect(headers.references[0]).toBe('m0@x.example');
    expect(headers.references.slice(-3)).toEqual(['m499@x.example', OWN, 'parent@x.example']);
    expect(headers.trimmed).toBe(500 - headers.references.length + 2);
  });

  it('stays within the character budget when ids are long', () => {
    const refs = Array.from({ length: 15 }, (_, i) => `${'x'.repeat(150)}${i}@x.example`);
    const headers = threadHeaders({ answered: { messageId: 'parent@x.example', inReplyTo: null, references: refs }, ownMessageId: OWN });
    expect(headers.references.map((id) => `<${id}>`).join(' ').length).toBeLessThanOrEqual(MAX_REFERENCES_CHARS);
    expect(headers.references[0]).toBe(refs[0]);
  });

  it('starts a thread with our id alone', () => {
    expect(threadHeaders({ answered: null, ownMessageId: OWN })).toEqual({ inReplyTo: null, references: [OWN], trimmed: 0, unusable: 0 });
  });
});
