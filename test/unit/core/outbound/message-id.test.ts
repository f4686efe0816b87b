import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../functions/core/errors.ts';
import { domainOf, newMessageId, replyTokenAddress } from '../../../../functions/core/outbound/compose/message-id.ts';

const ids = (value: string) => ({ next: () => value });

describe('newMessageId', () => {
  it('puts the generated id on the channel domain', () => {
    expect(newMessageId(ids('0b9c-42'), 'Example.COM')).toBe('0b9c-42@example.com');
  });

  it('refuses a generator value that cannot be an id', () => {
    expect(() => newMessageId(ids('a b'), 'example.com')).toThrow(ValidationError);
  });
});

describe('replyTokenAddress', () => {
  it('adds the token as a +tag of the channel address, lowercase', () => {
    expect(replyTokenAddress('support@example.com', 'AbC-123')).toBe('support+abc-123@example.com');
  });

  it('refuses a token that is not URL-safe or a local part over 64 characters', () => {
    expect(() => replyTokenAddress('support@example.com', 'a@b')).toThrow(ValidationError);
    expect(() => replyTokenAddress(`${'s'.repeat(30)}@example.com`, 'x'.repeat(40))).toThrow(/over 64/);
  });
});

describe('domainOf', () => {
  it('returns the lowercase domain and refuses a string without one', () => {
    expect(domainOf('a@Mail.Example.com')).toBe('mail.example.com');
    expect(() => domainOf('nodomain')).toThrow(ValidationError);
  });
});
