import { describe, expect, it } from 'vitest';
import { MailparserMimeParser } from '../../../functions/adapters/mailparser-mime-parser.ts';
import { ValidationError } from '../../../functions/core/errors.ts';
import { DEFAULT_PARSE_LIMITS, resolveParseLimits } from '../../../functions/core/model/parse-limits.ts';

describe('parse limits', () => {
  it('applies given limits over the defaults', () => {
    // Act
    const limits = resolveParseLimits({ maxBytes: 1024 });
    // Assert
    expect(limits).toEqual({ ...DEFAULT_PARSE_LIMITS, maxBytes: 1024 });
  });

  it.each([
    ['undefined', { maxBytes: undefined }],
    ['NaN', { maxDepth: Number.NaN }],
    ['zero', { maxParts: 0 }],
    ['negative', { maxDepth: -1 }],
    ['a fraction', { maxReferences: 2.5 }],
    ['Infinity', { maxHeaderBytes: Number.POSITIVE_INFINITY }],
  ])('never lets %s switch a limit off: it is a ValidationError naming the field', (_label, overrides) => {
    // Act
    const act = () => resolveParseLimits(overrides as never);
    // Assert
    expect(act).toThrow(ValidationError);
    expect(act).toThrow(new RegExp(Object.keys(overrides)[0] ?? 'none'));
  });

  it('makes the parser refuse an invalid limit before reading the mail', async () => {
    // Act
    const parsed = new MailparserMimeParser().parse(Buffer.from('From: a@b.example\r\n\r\nhi'), { maxBytes: Number.NaN });
    // Assert
    await expect(parsed).rejects.toBeInstanceOf(ValidationError);
  });
});
