import { describe, expect, it } from 'vitest';
import { generateHostileMail, HOSTILE_KINDS, HOSTILE_SHAPES, HOSTILE_TARGET_BYTES } from '../../../bench/hostile-mails.ts';

describe('hostile benchmark mail', () => {
  it.each(HOSTILE_KINDS)('%s is about 1 MB, the same every time, with its kind in the subject', (kind) => {
    // Act
    const first = generateHostileMail(kind);
    const second = generateHostileMail(kind);

    // Assert
    expect(first.byteLength).toBeGreaterThan(0.85 * HOSTILE_TARGET_BYTES);
    expect(first.byteLength).toBeLessThan(1.05 * HOSTILE_TARGET_BYTES);
    expect(first.equals(second)).toBe(true);
    expect(first.toString('latin1', 0, 400)).toContain(`Subject: Hostile ${kind}\r\n`);
    expect(HOSTILE_SHAPES[kind].length).toBeGreaterThan(10);
  });
});
