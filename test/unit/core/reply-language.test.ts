import { describe, expect, it } from 'vitest';
import { decideMessage } from '../../../functions/core/inbound/decide-message.ts';
import { MAX_LANGUAGE_SCAN_CHARS, replyLanguage } from '../../../functions/core/inbound/reply-language.ts';
import { routedMessageOf, storedMessageOf } from '../../../functions/core/inbound/message-forms.ts';
import { InMemoryThreading } from '../../../functions/cli/in-memory-threading.ts';
import type { LanguageDetector, LanguageGuess } from '../../../functions/core/ports/language.ts';
import { channelSettings, parsedMessage } from '../../support/factories.ts';

/** A detector that answers `answer` and remembers what it was asked. */
function fakeDetector(answer: LanguageGuess): LanguageDetector & { readonly asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    detect: async (text) => {
      asked.push(text);
      return answer;
    },
  };
}

describe('replyLanguage', () => {
  it('passes the detector at most the first 2,000 characters of the new text', async () => {
    // Arrange
    const detector = fakeDetector({ language: 'de', reason: 'detected' });
    // Act
    const language = await replyLanguage(detector, 'Hallo '.repeat(100_000));
    // Assert
    expect(language).toBe('de');
    expect(detector.asked[0]?.length).toBe(MAX_LANGUAGE_SCAN_CHARS);
  });

  it('is null when the detector is unsure, answers something that is no ISO 639-1 code, or is missing', async () => {
    // Act
    const unsure = await replyLanguage(fakeDetector({ language: null, reason: 'unsure' }), 'Hallo');
    const notIso = await Promise.all(['deu', 'DE', 'zz', 'de-AT'].map((code) => replyLanguage(fakeDetector({ language: code, reason: 'detected' }), 'x')));
    const none = await replyLanguage(undefined, 'Hallo zusammen');
    // Assert
    expect(unsure).toBeNull();
    expect(notIso).toEqual([null, null, null, null]);
    expect(none).toBeNull();
  });
});

describe('decideMessage: language', () => {
  const record = {
    sesMessageId: 'ses-1',
    channelId: 'support',
    messageId: 'm-1',
    state: 'received' as const,
    leaseUntil: null,
    attempts: 1,
    candidate: { conversationId: 'c-1', ticketNumber: null, replyToken: null },
    conversationId: null,
    disposition: null,
    lane: null,
    tags: [],
    routed: null,
    acknowledgement: null,
    error: null,
    updatedAt: '2026-12-07T10:00:00.000Z',
    mail: { sesMessageId: 'ses-1', rawKey: 'inbound/raw/ses-1', recipients: ['support@example.com'], verdicts: {}, receivedAt: '2026-12-07T10:00:00.000Z' },
  };

  it('asks the detector about the new text only, routes by the answer, and carries it on the stored message and the pointer', async () => {
    // Arrange
    const detector = fakeDetector({ language: 'fr', reason: 'detected' });
    const channel = channelSettings({ routing: [{ name: 'french', skill: 'fr-desk', when: { languages: ['fr'] } }] });
    const message = parsedMessage({
      text: 'Bonjour, où est mon colis ?\n\nLe 12 mars 2024, Support <support@example.com> a écrit :\n> Your parcel left our warehouse.\n',
    });
    // Act
    const decision = await decideMessage({ lookup: new InMemoryThreading({ ids: { next: () => 'c-1' } }), language: detector }, { message, channel });
    const conversation = { id: 'c-1', ticketNumber: '0000013', created: true, lastAgent: null } as never;
    const stored = storedMessageOf(record, channel, decision, conversation);
    const routed = routedMessageOf(record, channel, decision, conversation);
    // Assert
    expect(detector.asked).toEqual(['Bonjour, où est mon colis ?']);
    expect(decision.language).toBe('fr');
    expect(decision.route).toMatchObject({ skill: 'fr-desk', rule: 'french' });
    expect(stored.language).toBe('fr');
    expect(routed?.language).toBe('fr');
  });

  it('has no language without a detector: a languages rule then matches nothing', async () => {
    // Arrange
    const channel = channelSettings({ routing: [{ name: 'german', skill: 'de-desk', when: { languages: ['de'] } }] });
    // Act
    const decision = await decideMessage(
      { lookup: new InMemoryThreading({ ids: { next: () => 'c-1' } }) },
      { message: parsedMessage({ text: 'Hallo, wo bleibt mein Paket?' }), channel },
    );
    // Assert
    expect(decision.language).toBeNull();
    expect(decision.route?.rule).toBe('default');
  });
});
