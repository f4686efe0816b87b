import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EldLanguageDetector } from '../../../functions/adapters/eld-language-detector.ts';
import { decideMessage } from '../../../functions/core/inbound/decide-message.ts';
import { InMemoryThreading } from '../../../functions/cli/in-memory-threading.ts';
import { channelSettings, parsedMessage } from '../../support/factories.ts';

const FIXTURE = join(import.meta.dirname, '../../fixtures/language/short-mails.json');
const { samples } = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { samples: { lang: string; text: string }[] };

describe('EldLanguageDetector', () => {
  const detector = new EldLanguageDetector();

  it.each([
    ['de', 'Hallo, die Rechnung fehlt noch. Bitte schicken Sie sie erneut.'],
    ['fr', "Bonjour, je n'ai toujours pas reçu ma commande. Pouvez-vous vérifier ?"],
    ['en', 'Hi, the package arrived damaged. Can you send a replacement?'],
  ])('names %s for a short mail in it', async (language, text) => {
    // Act
    const guess = await detector.detect(text);
    // Assert
    expect(guess).toEqual({ language, reason: 'detected' });
  });

  it('names the language of every short contact-center mail of the fixture', async () => {
    // Act
    const wrong = [];
    for (const s of samples) {
      const { language } = await detector.detect(s.text);
      if (language !== s.lang) wrong.push(`${s.lang} → ${language}: ${s.text}`);
    }
    // Assert
    expect(samples.length).toBeGreaterThan(50);
    expect(wrong).toEqual([]);
  });

  it('gives no language for a text with fewer than four letters, without loading eld for it', async () => {
    // Act
    const guesses = await Promise.all(['', '   ', '42', 'ok', '1234 5678 !!', '👍'].map((t) => detector.detect(t)));
    // Assert
    expect(guesses.every((g) => g.language === null && g.reason === 'too-short')).toBe(true);
  });

  it('gives no language when none stands out: a single short word, a number with a unit, a mix', async () => {
    // Act
    const guesses = await Promise.all(['Passt.', 'Merci.', 'Hello', '8.45am-1pm', 'OK danke merci thanks'].map((t) => detector.detect(t)));
    // Assert
    expect(guesses.map((g) => g.language)).toEqual([null, null, null, null, null]);
    expect(guesses.every((g) => g.reason !== 'detected')).toBe(true);
  });
});

describe('the inbound decision with the real detector', () => {
  const decide = (text: string) =>
    decideMessage(
      { lookup: new InMemoryThreading({ ids: { next: () => 'id-1' } }), language: new EldLanguageDetector() },
      { message: parsedMessage({ text }), channel: channelSettings() },
    );

  it('reads the new text only: a German answer above a long English quote is German', async () => {
    // Arrange
    const quote = Array.from({ length: 12 }, () => '> Thank you for contacting our support team, we will get back to you as soon as possible.').join('\n');
    const text = `Vielen Dank, aber das Paket ist immer noch nicht angekommen.\n\nAm 12.03.2024 um 10:15 schrieb Support <support@example.com>:\n${quote}\n`;
    // Act
    const decision = await decide(text);
    // Assert
    expect(decision.reply.quoted).toContain('Thank you for contacting');
    expect(decision.language).toBe('de');
  });

  it('leaves the signature out: an English answer with a long German sign-off is English', async () => {
    // Arrange
    const text = [
      'Hello, the invoice number is missing on the last bill. Could you send a corrected copy please?',
      '',
      '-- ',
      'Mit freundlichen Grüßen aus der Buchhaltung',
      'Geschäftsführerin der Beispiel GmbH, Hauptstraße 1, eingetragen beim Amtsgericht München',
      '',
    ].join('\n');
    // Act
    const decision = await decide(text);
    // Assert
    expect(decision.reply.signature).toContain('Mit freundlichen Grüßen');
    expect(decision.language).toBe('en');
  });
});
