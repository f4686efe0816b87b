import { describe, expect, it } from 'vitest';
import { formatComposeRows, measureCompose } from '../../../bench/compose.ts';

describe('measureCompose', () => {
  it('times our compose and the bare nodemailer compose of the same mail', async () => {
    // Act
    const rows = await measureCompose({ quick: true, kinds: ['text-reply', 'html-reply-20k'] });

    // Assert
    expect(rows.map((r) => r.kind)).toEqual(['text-reply', 'html-reply-20k']);
    for (const r of rows) {
      expect(r.bytes).toBeGreaterThan(1000);
      expect(r.rounds).toBe(30);
      expect(r.composeMs).toBeGreaterThan(0);
      expect(r.bareMs).toBeGreaterThan(0);
      expect(r.ratio).toBeCloseTo(r.composeMs / r.bareMs, 1);
    }
    expect(formatComposeRows(rows).split('\n')[1]).toMatch(/^text-reply\s+\d+/);
  });
});
