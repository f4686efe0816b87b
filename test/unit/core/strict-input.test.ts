import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../../../functions/core/errors.ts';
import { AcknowledgementSettingsSchema } from '../../../functions/core/model/acknowledgement-settings.ts';
import { ChannelSettingsSchema, RoutingRuleSchema } from '../../../functions/core/model/channel.ts';
import { headerSafeText, ID_PATTERN, IdSchema } from '../../../functions/core/model/fields.ts';
import { S3AttachmentRefSchema } from '../../../functions/core/model/outbound-mail.ts';
import { PostroomConfigSchema, SkillSchema } from '../../../functions/core/model/postroom-config.ts';
import { parseOrThrow, validationIssues } from '../../../functions/core/validation.ts';

const CHANNEL = { id: 'support', address: 'support@example.com', defaultSkill: 'support' };
const RULE = { name: 'r', skill: 's' };
const SMTP = { host: 'smtp.example.com', auth: { type: 'password', user: 'postroom' } };

/** The issues of a parse that must fail, as `field: problem`. */
function issues(schema: z.ZodType, input: unknown): string[] {
  const error = (() => {
    try {
      parseOrThrow(schema, input, 'input');
    } catch (e) {
      return e;
    }
    throw new Error('parsed, but should not have');
  })();
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).issues.map((i) => `${i.path}: ${i.message}`);
}

describe('unknown fields', () => {
  it('are named one by one, wherever they are, instead of being dropped', () => {
    // Act
    const input = { ...CHANNEL, maxMessageByte: 10, smtp: { ...SMTP, maxMessageByte: 1, tls: true }, ticket: { digit: 8 } };
    const found = issues(ChannelSettingsSchema, input);
    // Assert
    expect(found).toEqual(
      expect.arrayContaining(['maxMessageByte: unknown field', 'smtp.maxMessageByte: unknown field', 'smtp.tls: unknown field', 'ticket.digit: unknown field']),
    );
  });

  it('are refused in the deploy config, at every level', () => {
    // Arrange
    const config = {
      domains: ['example.com'],
      skills: [{ name: 'support', descripton: 'typo' }],
      channels: [{ ...CHANNEL, routing: [{ name: 'r', skill: 'support', when: { subjectKeyword: ['x'] } }] }],
      receving: {},
      api: { throttle: { rate: 5 } },
    };
    // Act
    const found = issues(PostroomConfigSchema, config);
    // Assert
    expect(found).toEqual(
      expect.arrayContaining([
        'skills[0].descripton: unknown field',
        'channels[0].routing[0].when.subjectKeyword: unknown field',
        'receving: unknown field',
        'api.throttle.rate: unknown field',
      ]),
    );
  });

  it('are refused in an attachment reference and the acknowledgement settings', () => {
    const ref = { source: 's3', key: 'k', filename: 'a.pdf', contentType: 'application/pdf', size: 3 };
    expect(issues(S3AttachmentRefSchema, ref)).toEqual(['size: unknown field']);
    expect(issues(AcknowledgementSettingsSchema, { enabled: true, breaker: { mails: 3, minute: 5 } })).toEqual(['breaker.minute: unknown field']);
  });
});

describe('what is stored and committed still parses', () => {
  it.each(['postroom.config.json', 'postroom.sandbox.json'])('%s, and what it parses to parses again unchanged (as a stored item is read back)', (file) => {
    // Arrange
    const json: unknown = JSON.parse(readFileSync(join(import.meta.dirname, '../../..', file), 'utf8'));
    // Act
    const config = PostroomConfigSchema.parse(json);
    const stored = config.channels.map((c) => ChannelSettingsSchema.parse(JSON.parse(JSON.stringify(c))));
    // Assert
    expect(PostroomConfigSchema.parse(JSON.parse(JSON.stringify(config)))).toEqual(config);
    expect(stored).toEqual(config.channels);
  });
});

describe('lengths', () => {
  it.each([
    ['a skill description', SkillSchema, { name: 'support', description: 'x'.repeat(1001) }, 'description: at most 1000 characters'],
    ['a channel name', ChannelSettingsSchema, { ...CHANNEL, name: 'x'.repeat(201) }, 'name: at most 200 characters'],
    ['an address', ChannelSettingsSchema, { ...CHANNEL, address: `${'a'.repeat(250)}@example.com` }, 'address: at most 254 characters'],
    ['a keyword', RoutingRuleSchema, { ...RULE, when: { subjectKeywords: ['x'.repeat(201)] } }, 'when.subjectKeywords[0]: at most 200 characters'],
    ['a list of keywords', RoutingRuleSchema, { ...RULE, when: { bodyKeywords: Array(101).fill('x') } }, 'when.bodyKeywords: at most 100 items'],
    ['a list of aliases', ChannelSettingsSchema, { ...CHANNEL, aliases: Array.from({ length: 101 }, (_, i) => `a${i}@x.com`) }, 'aliases: at most 100 items'],
  ])('%s over its limit is named with the limit', (_, schema, input, issue) => {
    expect(issues(schema, input)).toContain(issue);
  });

  it('caps a megabyte string at its limit, as the API would before any write', () => {
    expect(issues(SkillSchema, { name: 'support', description: 'x'.repeat(1024 * 1024) })).toEqual(['description: at most 1000 characters']);
  });
});

describe('header-safe text', () => {
  const hostile = ['Support\r\nBcc: all@example.com', 'a\nb', 'a\rb', 'nul\u0000', 'bell\u0007', 'del\u007f', 'c1\u0085', 'ls\u2028', 'ps\u2029'];

  it.each(hostile)('refuses %j in a channel name, display name, From name, ticket hook and acknowledgement subject', (text) => {
    // Act
    const found = [
      ...issues(ChannelSettingsSchema, { ...CHANNEL, name: text, displayName: text, allowedFrom: [{ address: 'b@example.com', name: text }] }),
      ...issues(ChannelSettingsSchema, { ...CHANNEL, ticket: { hook: `T${text}` } }),
      ...issues(AcknowledgementSettingsSchema, { subject: `Re: {{subject}} ${text}` }),
    ];
    // Assert
    expect(found).toEqual(
      expect.arrayContaining([
        'name: no line breaks, control or bidi override characters, or lone surrogates',
        'displayName: no line breaks, control or bidi override characters, or lone surrogates',
        'allowedFrom[0].name: no line breaks, control or bidi override characters, or lone surrogates',
        'subject: no line breaks, control or bidi override characters, or lone surrogates',
      ]),
    );
    expect(found.some((f) => f.startsWith('ticket.hook: '))).toBe(true);
  });

  it('takes names with tabs and any script', () => {
    expect(headerSafeText(200).parse('Müller & Söhne\t– 客服 – Поддержка')).toBe('Müller & Söhne\t– 客服 – Поддержка');
    expect(ChannelSettingsSchema.parse({ ...CHANNEL, name: 'Support « Zürich »', displayName: 'ACME (Support)' }).name).toBe('Support « Zürich »');
  });
});

describe('IdSchema', () => {
  it.each(['support', 'spam-review', 'agent-1', 'supervisor-1', 'admin', 'a', '0', 'x'.repeat(40)])('takes %s', (id) => {
    expect(IdSchema.parse(id)).toBe(id);
  });

  it.each(['', '../../etc', 'agent\r\nX: y', 'Support', '-support', 'a_b', 'a.b', 'a b', 'x'.repeat(41), 'ägent'])('refuses %j', (id) => {
    expect(IdSchema.safeParse(id).success).toBe(false);
  });

  it('is the pattern of channel ids, skill names, rule names and the skills they name', () => {
    // Act
    const found = issues(ChannelSettingsSchema, {
      ...CHANNEL,
      id: '../../etc',
      defaultSkill: 'Support',
      spamSkill: 'a b',
      routing: [{ name: 'Billing Words', skill: 'billing\r\n' }],
    });
    // Assert
    const problem = 'lowercase letters, digits and dashes, starting with a letter or digit, at most 40';
    expect(found).toEqual(['id', 'defaultSkill', 'routing[0].name', 'routing[0].skill', 'spamSkill'].map((f) => `${f}: ${problem}`));
    expect(issues(SkillSchema, { name: 'spam review' })).toEqual([`name: ${problem}`]);
    expect(z.toJSONSchema(IdSchema)).toMatchObject({ pattern: ID_PATTERN.source, description: expect.stringContaining('at most 40') });
  });
});

describe('validationIssues', () => {
  it('puts a prefix before every field, and names the whole value (root)', () => {
    // Arrange
    const schema = z.strictObject({ a: z.array(z.strictObject({ b: z.string() })) });
    // Act
    const result = schema.safeParse({ a: [{ b: 1, c: 2 }] });
    const root = z.string().safeParse(1);
    // Assert
    expect(validationIssues(result.error as z.ZodError, 'body')).toEqual([
      { path: 'body.a[0].b', message: 'Invalid input: expected string, received number' },
      { path: 'body.a[0].c', message: 'unknown field' },
    ]);
    expect(validationIssues(root.error as z.ZodError)).toEqual([{ path: '(root)', message: 'Invalid input: expected string, received number' }]);
  });
});
