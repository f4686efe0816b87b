import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MailparserMimeParser } from '../../../functions/adapters/mailparser-mime-parser.ts';
import { customerAddress } from '../../../functions/core/mail/participants.ts';

describe('a mail whose From has no address', () => {
  it('parses From "name" <> as no From, so the customer is taken from Reply-To', async () => {
    // Arrange
    const raw = readFileSync(new URL('../../fixtures/mail/parse/empty-from-falls-back-to-reply-to.eml', import.meta.url));

    // Act
    const message = await new MailparserMimeParser().parse(raw);

    // Assert
    expect(message.from?.address ?? null).toBeNull();
    expect(customerAddress(message)).toEqual({ address: 'customer@customer.example', name: 'Shop Customer' });
  });
});
