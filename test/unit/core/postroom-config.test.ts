import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PostroomConfigSchema } from '../../../functions/core/model/postroom-config.ts';

const example: unknown = JSON.parse(readFileSync(join(import.meta.dirname, '../../../postroom.config.json'), 'utf8'));

describe('PostroomConfigSchema', () => {
  it('accepts the documented example and fills defaults', () => {
    const config = PostroomConfigSchema.parse(example);
    expect(config.skills.map((s) => s.name)).toEqual(['support', 'billing', 'spam-review']);
    expect(config.channels[1]).toMatchObject({ id: 'billing', threading: 'prefer-in-reply-to', spamPolicy: 'tag' });
  });

  it('accepts skills given as names', () => {
    const config = PostroomConfigSchema.parse({
      domains: ['example.com'],
      skills: ['support'],
      channels: [{ id: 's', address: 'support@example.com', defaultSkill: 'support' }],
    });
    expect(config.skills).toEqual([{ name: 'support', description: '' }]);
    expect(config.receiving).toEqual({ scanEnabled: true, requireTls: true, reservedConcurrency: 20 });
  });

  it('lists every cross-reference problem: unknown skills, foreign domains, duplicates', () => {
    const result = PostroomConfigSchema.safeParse({
      domains: ['example.com'],
      skills: ['support', 'support'],
      channels: [
        { id: 'a', address: 'a@example.com', defaultSkill: 'nope', routing: [{ name: 'r', skill: 'gone' }] },
        { id: 'a', address: 'a@elsewhere.org', defaultSkill: 'support' },
      ],
    });
    const messages = result.error?.issues.map((i) => i.message) ?? [];
    expect(messages).toEqual(
      expect.arrayContaining([
        'skill support is listed twice',
        'channel id a is used twice',
        'channel a uses unknown skill nope',
        'channel a uses unknown skill gone',
        'a@elsewhere.org is not in a configured domain',
      ]),
    );
  });

  it('rejects skill names that only dashes tell apart (their stack output ids would collide)', () => {
    // Arrange
    const config = { domains: ['example.com'], skills: ['a-b', 'ab', 'a-b-c'], channels: [{ id: 's', address: 'support@example.com', defaultSkill: 'ab' }] };
    // Act
    const result = PostroomConfigSchema.safeParse(config);
    // Assert
    expect(result.error?.issues.map((i) => i.message)).toEqual(['skills a-b, ab differ only in dashes; their resource ids would collide']);
  });
});

describe('PostroomConfigSchema outbound', () => {
  it('allows no private network by default, and takes CIDR blocks only', () => {
    // Arrange
    const base = { domains: ['example.com'], skills: ['support'], channels: [{ id: 's', address: 's@example.com', defaultSkill: 'support' }] };
    // Act
    const defaults = PostroomConfigSchema.parse(base);
    const relay = PostroomConfigSchema.parse({ ...base, outbound: { allowedPrivateCidrs: ['10.20.0.0/16'] } });
    const wrong = PostroomConfigSchema.safeParse({ ...base, outbound: { allowedPrivateCidrs: ['smtp.internal'] } });
    // Assert
    expect(defaults.outbound.allowedPrivateCidrs).toEqual([]);
    expect(relay.outbound.allowedPrivateCidrs).toEqual(['10.20.0.0/16']);
    expect(wrong.error?.issues[0]?.path).toEqual(['outbound', 'allowedPrivateCidrs', 0]);
  });
});
