import { describe, expect, it } from 'vitest';
import { HeaderInjectionError, ValidationError } from '../../../../functions/core/errors.ts';
import {
  assertSafeAddress,
  assertSafeDisplayName,
  assertSafeExtraHeader,
  assertSafeHeaderText,
} from '../../../../functions/core/outbound/compose/header-safety.ts';

function thrown(fn: () => void): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return null;
}

describe('header text', () => {
  it.each([
    ['CRLF', 'Hello\r\nBcc: victim@example.org'],
    ['bare LF', 'Hello\nX: y'],
    ['bare CR', 'Hello\rX: y'],
    ['NUL', 'Hello\u0000'],
    ['tab', 'Hello\tworld'],
    ['DEL', 'a\u007fb'],
    ['C1 NEL', 'a\u0085b'],
    ['line separator', 'a\u2028b'],
  ])('refuses %s with a HeaderInjectionError naming the field', (_name, value) => {
    // Act
    const error = thrown(() => assertSafeHeaderText('subject', value));

    // Assert
    expect(error).toBeInstanceOf(HeaderInjectionError);
    expect((error as HeaderInjectionError).field).toBe('subject');
    expect((error as HeaderInjectionError).message).toMatch(/^subject contains the control character U\+/);
  });

  it('accepts ordinary text in any script and refuses text longer than a header line', () => {
    expect(() => assertSafeHeaderText('subject', 'Drucker kaputt – 打印机坏了 🙁 [#1234567]')).not.toThrow();
    expect(thrown(() => assertSafeHeaderText('subject', 'x'.repeat(999)))).toBeInstanceOf(ValidationError);
  });
});

describe('display names', () => {
  it.each([
    ['an address in angle brackets', 'Support <support@bank.example>'],
    ['a closing bracket', 'a > b'],
    ['a list of addresses', 'Jane, evil@attacker.example'],
    ['a semicolon list', 'x@y.example; z'],
    ['a line break', 'Jane\r\nBcc: x@y.example'],
  ])('refuses %s', (_name, name) => {
    const error = thrown(() => assertSafeDisplayName('from.name', name));
    expect(error).toBeInstanceOf(HeaderInjectionError);
    expect((error as HeaderInjectionError).field).toBe('from.name');
  });

  it('refuses a display name over 200 characters as invalid, not as an injection', () => {
    const error = thrown(() => assertSafeDisplayName('from.name', 'n'.repeat(201)));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).not.toBeInstanceOf(HeaderInjectionError);
  });

  it.each(['Doe, Jane', 'Jane "JD" Doe', 'jane@example.org', 'Zoë Ångström', "O'Brien"])('accepts %s (the composer quotes it)', (name) => {
    expect(() => assertSafeDisplayName('from.name', name)).not.toThrow();
  });
});

describe('addresses', () => {
  it.each([
    ['two @', 'a@b@example.org'],
    ['a comment', 'jane(comment)@example.org'],
    ['a quoted local part', '"jane doe"@example.org'],
    ['a list', 'jane@example.org,evil@attacker.example'],
    ['angle brackets', '<jane@example.org>'],
    ['a domain literal', 'jane@[127.0.0.1]'],
    ['a space', 'jane @example.org'],
    ['a group', 'team:jane@example.org;'],
    ['a CRLF', 'jane@example.org\r\nBcc: x@y.example'],
  ])('refuses %s with a HeaderInjectionError', (_name, address) => {
    const error = thrown(() => assertSafeAddress('cc[0].address', address));
    expect(error).toBeInstanceOf(HeaderInjectionError);
    expect((error as HeaderInjectionError).field).toBe('cc[0].address');
  });

  it.each([
    ['no @', 'jane.example.org'],
    ['an empty local part', '@example.org'],
    ['a domain without a dot', 'jane@localhost'],
    ['a double dot', 'jane..doe@example.org'],
    ['a local part over 64', `${'a'.repeat(65)}@example.org`],
  ])('refuses %s with a ValidationError', (_name, address) => {
    expect(thrown(() => assertSafeAddress('to[0].address', address))).toBeInstanceOf(ValidationError);
  });

  it.each(['jane@example.org', 'jane.doe+tag@mail.example.co.uk', "o'brien@example.org", 'info@müller.example', 'a@example.xn--p1ai'])(
    'accepts %s',
    (address) => {
      expect(() => assertSafeAddress('to[0].address', address)).not.toThrow();
    },
  );
});

describe('extra headers', () => {
  it('accepts an auto-reply marker and refuses names the composer owns, bad names and unsafe values', () => {
    expect(() => assertSafeExtraHeader('Auto-Submitted', 'auto-replied')).not.toThrow();
    expect(thrown(() => assertSafeExtraHeader('Bcc', 'x@y.example'))).toBeInstanceOf(ValidationError);
    expect(thrown(() => assertSafeExtraHeader('X-Bad: y\r\nBcc', 'v'))).toBeInstanceOf(HeaderInjectionError);
    const error = thrown(() => assertSafeExtraHeader('X-Auto-Response-Suppress', 'All\r\nBcc: x@y.example'));
    expect((error as HeaderInjectionError).field).toBe('headers.X-Auto-Response-Suppress');
  });
});
