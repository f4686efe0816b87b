import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError, HeaderInjectionError } from '../../../../functions/core/errors.ts';
import { assertSafeAddress, assertSafeDisplayName, assertSafeHeaderText } from '../../../../functions/core/outbound/compose/header-safety.ts';

const controlArb = fc
  .oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0x9f }), fc.constantFrom(0x2028, 0x2029))
  .map((c) => String.fromCodePoint(c));

/** Any text with at least one control character somewhere in it. */
const injectedArb = fc.tuple(fc.string({ maxLength: 40 }), controlArb, fc.string({ maxLength: 40 })).map(([a, c, b]) => a + c + b);

describe('header safety (properties)', () => {
  it('no value with a control character passes as subject, display name or address', () => {
    fc.assert(
      fc.property(injectedArb, (value) => {
        // Act / Assert
        for (const check of [assertSafeHeaderText, assertSafeDisplayName, assertSafeAddress]) {
          expect(() => check('field', value)).toThrow(HeaderInjectionError);
        }
      }),
    );
  });

  it('a passing address is one plain address: one @, no structure characters', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 30 }), fc.emailAddress()), (value) => {
        // Act
        let passed = true;
        try {
          assertSafeAddress('to', value);
        } catch (error) {
          expect(error).toBeInstanceOf(AppError);
          passed = false;
        }

        // Assert
        if (passed) {
          expect(value.split('@')).toHaveLength(2);
          expect(value).not.toMatch(/[\s<>()[\],;:"\\]/u);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('printable text without control characters passes as header text', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 200 }).filter((s) => !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u.test(s)),
        (value) => {
          expect(() => assertSafeHeaderText('subject', value)).not.toThrow();
        },
      ),
    );
  });
});
