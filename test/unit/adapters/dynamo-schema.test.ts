import { describe, expect, it } from 'vitest';
import { INBOUND_WRITE_KEY_PREFIXES, MAX_KEYED_ID_BYTES, itemKeys } from '../../../functions/adapters/dynamo-schema.ts';

describe('item keys', () => {
  it('puts every item the inbound function writes under a prefix its IAM LeadingKeys condition allows, and channel settings under none', () => {
    // Arrange
    const long = 'x'.repeat(MAX_KEYED_ID_BYTES + 1);
    const written = [
      itemKeys.conversation('c'),
      itemKeys.message('s', 'c', 't', 'm'),
      itemKeys.message('s', null, 't', 'm'),
      itemKeys.claim('s', 'a@b'),
      itemKeys.claim('s', long),
      itemKeys.ticket('s', '1'),
      itemKeys.replyToken('s', 'tok'),
      itemKeys.counter('s'),
      itemKeys.inbound('ses', 's'),
      itemKeys.failed('ses', null),
    ];
    const allowed = (pk: string): boolean => INBOUND_WRITE_KEY_PREFIXES.some((p) => pk.startsWith(p));
    // Assert
    expect(written.filter((k) => !allowed(k.pk))).toEqual([]);
    expect(allowed(itemKeys.channel('s').pk)).toBe(false);
  });

  it('keys a Message-ID by its hash only past the byte limit (UTF-8 bytes, not characters)', () => {
    const fits = 'a'.repeat(MAX_KEYED_ID_BYTES);
    const multibyte = '€'.repeat(100); // 300 bytes in 100 characters
    expect(itemKeys.claim('s', fits).pk).toBe(`MSGID#s#${fits}`);
    expect(itemKeys.claim('s', multibyte).pk).toMatch(/^MSGIDH#s#[0-9a-f]{64}$/);
    expect(itemKeys.claim('s', multibyte)).toEqual(itemKeys.claim('s', multibyte));
  });
});
