import { describe, expect, it } from 'vitest';
import { MemoryConversationStore } from '../../../../functions/adapters/memory/memory-conversation-store.ts';
import { MailparserMimeParser } from '../../../../functions/adapters/mailparser-mime-parser.ts';
import { dryRun, type DryRunDeps } from '../../../../functions/core/admin/dry-run.ts';
import { MailParseError, NotFoundError, PayloadTooLargeError, ValidationError } from '../../../../functions/core/errors.ts';
import type { ChannelResource } from '../../../../functions/core/model/admin-resources.ts';
import type { ChannelStore } from '../../../../functions/core/ports/admin.ts';
import type { MimeParser } from '../../../../functions/core/ports/mime.ts';
import { channelSettings } from '../../../support/factories.ts';

const MAIL =
  'From: Ann <ann@customer.example>\r\nTo: support@example.com\r\nSubject: Where is my order?\r\nMessage-ID: <q1@customer.example>\r\n\r\nHello.\r\n';

/** A channel store holding one channel; writes are not part of a dry run. */
function channels(channel: ChannelResource): ChannelStore {
  const refuse = () => Promise.reject(new Error('a dry run writes nothing'));
  return {
    get: async (id) => (id === channel.id ? { value: channel, version: 1, updatedAt: '2026-11-22T09:00:00.000Z', managedBy: 'api' } : null),
    list: refuse,
    create: refuse,
    replace: refuse,
    delete: refuse,
  };
}

function deps(overrides: { maxMessageBytes?: number; parser?: () => Promise<MimeParser> } = {}): DryRunDeps & { parserLoads: number } {
  const state = { parserLoads: 0 };
  const channel = channelSettings({ maxMessageBytes: overrides.maxMessageBytes ?? 1024 });
  return Object.assign(state, {
    channels: channels(channel),
    lookup: new MemoryConversationStore(),
    parser: async () => {
      state.parserLoads += 1;
      return overrides.parser ? overrides.parser() : new MailparserMimeParser();
    },
  });
}

const bytes = (text: string) => new TextEncoder().encode(text);

describe('dryRun', () => {
  it('decides a mail: lane, thread and route with their reasons', async () => {
    // Act
    const result = await dryRun(deps(), { channelId: 'support', raw: bytes(MAIL) });
    // Assert
    expect(result).toMatchObject({ message: { subject: 'Where is my order?', from: 'ann@customer.example' }, lane: 'human', disposition: 'route' });
    expect(result.route).toMatchObject({ skill: 'general', rule: 'default' });
  });

  it.each([
    ['an empty body', '', /the body is empty/],
    ['text without a header block', 'just some words\r\nand more words\r\n', /No header block/],
    ['binary garbage', '\u0000\u0001\u0002\u00ff\u00fe', /No header block/],
  ])('refuses %s as not a mail, with the reason', async (_, raw, reason) => {
    // Act
    const error = await dryRun(deps(), { channelId: 'support', raw: bytes(raw) }).catch((e: unknown) => e);
    // Assert
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toMatch(/^not a mail the channel would accept: /);
    expect((error as ValidationError).message).toMatch(reason);
    expect((error as ValidationError).issues[0]?.path).toBe('body');
  });

  it("refuses a mail over the channel's size limit before loading the parser", async () => {
    // Arrange
    const d = deps({ maxMessageBytes: 100 });
    // Act
    const error = await dryRun(d, { channelId: 'support', raw: bytes(MAIL) }).catch((e: unknown) => e);
    // Assert
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect((error as PayloadTooLargeError).message).toBe(`the mail is ${bytes(MAIL).byteLength} bytes; channel support accepts at most 100 (maxMessageBytes)`);
    expect((error as PayloadTooLargeError).limit).toBe(100);
    expect(d.parserLoads).toBe(0);
  });

  it("turns the parser's own size refusal into the same answer", async () => {
    // Arrange: a parser that refuses the size itself
    const parser: MimeParser = { parse: () => Promise.reject(new MailParseError('Message is 2000 bytes, limit 1024', { limit: 'size' })) };
    // Act
    const error = await dryRun(deps({ parser: async () => parser }), { channelId: 'support', raw: bytes(MAIL) }).catch((e: unknown) => e);
    // Assert
    expect(error).toBeInstanceOf(PayloadTooLargeError);
  });

  it('passes on errors that are not about the mail', async () => {
    // Arrange
    const parser: MimeParser = { parse: () => Promise.reject(new Error('disk on fire')) };
    // Act
    const error = await dryRun(deps({ parser: async () => parser }), { channelId: 'support', raw: bytes(MAIL) }).catch((e: unknown) => e);
    const missing = await dryRun(deps(), { channelId: 'nope', raw: bytes(MAIL) }).catch((e: unknown) => e);
    // Assert
    expect(error).toEqual(new Error('disk on fire'));
    expect(missing).toBeInstanceOf(NotFoundError);
  });
});
