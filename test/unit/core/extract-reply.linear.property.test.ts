import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extractReply } from '../../../functions/core/inbound/extract-reply.ts';
import { growth, LINEAR_BOUND } from '../../support/growth.ts';

// Pieces of the lines that made the reply patterns backtrack: quote arrows before `<<`,
// addresses before `(:`, attribution words, rules, dashes and runs of spaces.
const ATOMS = [
  '>',
  '<',
  '<<',
  '@',
  'a@',
  '(',
  ')',
  ':',
  '(:',
  '-',
  ' -',
  '--',
  '=',
  '_',
  '*',
  ' ',
  '\t',
  'a',
  '1',
  '.',
  ',',
  '"',
  '：',
  'On ',
  'wrote',
  '12:30 ',
];
const PREFIXES = ['', '> ', 'On ', '12:30 ', '2014-03-20 8:48 ', 'From: ', '-- ', '-----', '---- On ', 'Sent from my ', 'http://x', 'Danke!'];
const SUFFIXES = ['', ':', '(:', '<<', '<<x', '>', '>:', ' wrote:', ' wrote', '-----', 'x', ' a@b.example:'];

/** A line shape: a prefix, a unit repeated `scale` times, a suffix. */
const shape = fc.record({
  prefix: fc.constantFrom(...PREFIXES),
  unit: fc.array(fc.constantFrom(...ATOMS), { minLength: 1, maxLength: 3 }).map((atoms) => atoms.join('')),
  suffix: fc.constantFrom(...SUFFIXES),
});
type Shape = { prefix: string; unit: string; suffix: string };

const line = (s: Shape, repeat: number): string => `${s.prefix}${s.unit.repeat(Math.max(1, repeat))}${s.suffix}`;
const text = (lines: string[]): string => `Hello,\n${lines.join('\n')}\n> quoted\nBye`;
const run = (input: string) => extractReply(input);

describe('reply extraction on pathological input grows linearly', () => {
  it('finds a quadratic pattern with the same measurement (the check can fail)', async () => {
    // Arrange: the quote-banner pattern that was replaced
    const banner = /^[ \t]*>{2,}.*<{2,}[ \t]*$/u;
    const make = (scale: number) => `${'>'.repeat(scale)}<<x`;

    // Act: the highest of up to three measurements (a busy machine can slow the small input most)
    let highest = 0;
    for (let attempt = 0; attempt < 3 && highest <= LINEAR_BOUND; attempt++) {
      highest = Math.max(highest, (await growth(make, (input) => banner.test(input), 1500, { rounds: 3, attempts: 1 })).ratio);
    }

    // Assert
    expect(highest).toBeGreaterThan(LINEAR_BOUND);
  });

  it('as lines grow from about 60 to 240 characters (the attribution patterns read lines up to 500)', async () => {
    await fc.assert(
      fc.asyncProperty(shape, async (s) => {
        const repeat = (scale: number) => Math.ceil(scale / s.unit.length);
        const measured = await growth((scale) => text(Array.from({ length: 300 }, () => line(s, repeat(scale)))), run, 60);
        expect(measured.ratio, JSON.stringify({ ...s, ...measured })).toBeLessThan(LINEAR_BOUND);
      }),
      { numRuns: 25 },
    );
  });

  it('as lines grow from 1,000 to 4,000 characters (the parser cuts longer ones)', async () => {
    await fc.assert(
      fc.asyncProperty(shape, async (s) => {
        const repeat = (scale: number) => Math.ceil(scale / s.unit.length);
        const measured = await growth((scale) => text(Array.from({ length: 20 }, () => line(s, repeat(scale)))), run, 1000);
        expect(measured.ratio, JSON.stringify({ ...s, ...measured })).toBeLessThan(LINEAR_BOUND);
      }),
      { numRuns: 15 },
    );
  });

  it('as the number of lines grows from 150 to 600, mixed with blank and quoted lines', async () => {
    await fc.assert(
      fc.asyncProperty(shape, shape, async (a, b) => {
        const block = [line(a, 200 / a.unit.length), '', line(b, 100 / b.unit.length), `> ${line(a, 40 / a.unit.length)}`];
        const measured = await growth((scale) => text(Array.from({ length: scale }, (_, index) => block[index % block.length] ?? '')), run, 150);
        expect(measured.ratio, JSON.stringify({ a, b, ...measured })).toBeLessThan(LINEAR_BOUND);
      }),
      { numRuns: 15 },
    );
  });
});
