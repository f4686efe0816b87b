import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MailparserMimeParser } from '../../../functions/adapters/mailparser-mime-parser.ts';
import { MailParseError } from '../../../functions/core/errors.ts';
import { ParsedMessageSchema } from '../../../functions/core/model/message.ts';

const directory = new URL('../../fixtures/mail/parse/', import.meta.url);
const fixtures = readdirSync(directory)
  .filter((name) => name.endsWith('.eml') && name !== 'many-parts.eml')
  .map((name) => readFileSync(new URL(name, directory)));
const parser = new MailparserMimeParser();

/** Either a schema-valid message or a MailParseError; anything else fails the property. */
async function parsesOrRejectsCleanly(raw: Uint8Array): Promise<void> {
  const outcome = await parser.parse(raw).then(
    (message) => ({ message }),
    (error: unknown) => ({ error }),
  );
  if ('error' in outcome) {
    expect(outcome.error).toBeInstanceOf(MailParseError);
  } else {
    expect(ParsedMessageSchema.safeParse(outcome.message).success).toBe(true);
  }
}

type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; at: number; byte: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'duplicate'; at: number; length: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc.constantFrom(
        ...['\r\n\r\n', '--', '=?utf-8?b?', '\r\n ', ':', '\x00', 'Content-Type: multipart/mixed; boundary=x\r\n', '--x\r\n'].map((s) => Buffer.from(s)),
      ),
    ),
  }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 400 }) }),
);

function mutate(source: Buffer, mutations: readonly Mutation[]): Buffer {
  let bytes = source;
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % (bytes.length + 1);
    if (m.kind === 'truncate') bytes = bytes.subarray(0, at);
    else if (m.kind === 'flip') bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([m.byte]), bytes.subarray(at + 1)]);
    else if (m.kind === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]);
    else bytes = Buffer.concat([bytes.subarray(0, at + m.length), bytes.subarray(at, at + m.length), bytes.subarray(at + m.length)]);
  }
  return bytes;
}

describe('MailparserMimeParser on mangled input', () => {
  it('resolves to a valid ParsedMessage or rejects with MailParseError for random bytes', async () => {
    // Arrange
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 3000 }),
      fc.string({ maxLength: 2000 }).map((s) => Buffer.from(s)),
    );

    // Act, Assert
    await fc.assert(fc.asyncProperty(input, parsesOrRejectsCleanly), { numRuns: 150 });
  });

  it('resolves to a valid ParsedMessage or rejects with MailParseError for mutated fixtures', async () => {
    // Arrange
    const input = fc
      .tuple(fc.integer({ min: 0, max: fixtures.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 6 }))
      .map(([index, mutations]) => mutate(fixtures[index] ?? Buffer.alloc(0), mutations));

    // Act, Assert
    await fc.assert(fc.asyncProperty(input, parsesOrRejectsCleanly), { numRuns: 300 });
  });
});
