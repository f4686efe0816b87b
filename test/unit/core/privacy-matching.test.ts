import { describe, expect, it } from 'vitest';
import { ERASED_ADDRESS, ERASED_NAME, decodeEncodedWords, encodeWord, subjectMatcher } from '../../../functions/core/governance/address-match.ts';

const alice = subjectMatcher({ address: 'Alice.Example@Customer.Example' });

describe('finding an address', () => {
  it.each([
    ['as written', 'write to alice.example@customer.example today'],
    ['in upper case', 'ALICE.EXAMPLE@CUSTOMER.EXAMPLE'],
    ['in angle brackets after a display name', 'Alice Example <alice.example@customer.example>'],
    ['at the end of a sentence', 'mail alice.example@customer.example.'],
    ['URL-encoded in a mailto link', '<a href="mailto:alice.example%40customer.example">'],
    ['as an HTML character reference', 'alice.example&#64;customer.example and alice.example&#x40;customer.example'],
    ['in a URL parameter', 'https://x.example/unsubscribe?email=alice.example@customer.example&x=1'],
    ['inside a JSON string', '{"address":"alice.example@customer.example"}'],
  ])('finds it %s', (_how, text) => {
    expect(alice.mentions(text)).toBe(true);
  });

  it.each([
    ['with a longer local part', 'malice.example@customer.example'],
    ['with a sub-address', 'b+alice.example@customer.example'],
    ['with a dotted prefix', 'x.alice.example@customer.example'],
    ['under a longer domain', 'alice.example@customer.example.org'],
    ['under a domain that continues', 'alice.example@customer.examples'],
    ['as another address altogether', 'bob@customer.example'],
  ])('does not take an address %s for it', (_how, text) => {
    expect(alice.mentions(text)).toBe(false);
  });

  it('finds it inside RFC 2047 encoded words, B and Q, split over adjacent words', () => {
    // Arrange
    const b = `From: ${encodeWord('Alice <alice.example@customer.example>')} <x@y.example>`;
    const q = 'Subject: =?ISO-8859-1?Q?Re=3A_Frage_von_alice=2Eexample=40customer=2Eexample?=';
    const split = 'Subject: =?UTF-8?Q?alice=2Eexample?= =?UTF-8?Q?=40customer=2Eexample?=';
    // Act + Assert
    expect(alice.mentions(b)).toBe(true);
    expect(alice.mentions(q)).toBe(true);
    expect(decodeEncodedWords(split)).toBe('Subject: alice.example@customer.example');
    expect(alice.mentions(split)).toBe(true);
  });

  it('leaves an encoded word it cannot decode as written', () => {
    expect(decodeEncodedWords('=?x-no-such-charset?B?YWJj?=')).toBe('=?x-no-such-charset?B?YWJj?=');
  });

  it('knows the address in any case and with brackets', () => {
    expect(alice.isAddress(' <ALICE.example@customer.EXAMPLE> ')).toBe(true);
    expect(alice.isAddress('alice.example@customer.example.org')).toBe(false);
  });

  it('takes a while to match nothing in long hostile text (linear patterns)', () => {
    // Arrange: many near misses
    const hostile = `${'alice.example@customer.exampl'.repeat(20_000)}${'=?UTF-8?B?'.repeat(5_000)}`;
    const started = performance.now();
    // Act
    const found = alice.mentions(hostile);
    // Assert
    expect(found).toBe(false);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('redacting an address', () => {
  it('replaces every form with the erased address, and nothing of the text around it', () => {
    // Arrange
    const text = 'Hi ALICE.EXAMPLE@customer.example, see mailto:alice.example%40customer.example; malice.example@customer.example stays.';
    // Act
    const out = alice.redact(text);
    // Assert
    expect(out).toBe(`Hi ${ERASED_ADDRESS}, see mailto:${ERASED_ADDRESS}; malice.example@customer.example stays.`);
    expect(alice.mentions(out)).toBe(false);
  });

  it('re-encodes an encoded word that named the address, and leaves the others byte for byte', () => {
    // Arrange
    const other = '=?ISO-8859-1?Q?Gr=FC=DFe?=';
    const header = `Subject: ${other} ${encodeWord('from alice.example@customer.example')}`;
    // Act
    const out = alice.redact(header);
    // Assert
    expect(out.startsWith(`Subject: ${other} =?UTF-8?B?`)).toBe(true);
    expect(decodeEncodedWords(out)).toContain(`from ${ERASED_ADDRESS}`);
    expect(alice.mentions(out)).toBe(false);
  });

  it('replaces display names it learned, as whole words only, and Message-IDs it knows', () => {
    // Arrange
    const m = alice.with({ names: ['Alice Example', 'Al'], messageIds: ['<q1.4711@mail.customer.example>'] });
    const text = 'On Monday Alice Example <alice.example@customer.example> wrote (In-Reply-To: <Q1.4711@mail.customer.example>): Alice Examples and Al stay';
    // Act
    const out = m.redact(text);
    // Assert: "Al" is too short to redact on its own; "Alice Examples" is another word
    expect(out).toBe(`On Monday ${ERASED_NAME} <${ERASED_ADDRESS}> wrote (In-Reply-To: <${ERASED_ADDRESS}>): Alice Examples and Al stay`);
    expect(m.isMessageId('q1.4711@mail.customer.example')).toBe(true);
    expect(m.terms.names).toEqual(['Alice Example']);
  });
});
