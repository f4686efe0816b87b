import { describe, expect, it } from 'vitest';
import { routeMessage } from '../../../functions/core/inbound/route-message.ts';
import { RoutingConditionSchema } from '../../../functions/core/model/channel.ts';
import { channelSettings, parsedMessage } from '../../support/factories.ts';

function route(language: string | null, extra: Record<string, unknown> = {}) {
  return routeMessage({
    channel: channelSettings({
      routing: [
        { name: 'dach', skill: 'german', when: { languages: ['de'], ...extra } },
        { name: 'romance', skill: 'latin', when: { languages: ['fr', 'it', 'es'] } },
      ],
    }),
    message: parsedMessage(),
    reply: 'text',
    language,
    lane: 'human',
    tags: [],
    recipients: ['support@example.com'],
  });
}

describe('routeMessage: languages', () => {
  it('matches a rule that lists the language, any of several', () => {
    // Act / Assert
    expect(route('de').skill).toBe('german');
    expect(route('it').rule).toBe('romance');
  });

  it('never matches a languages rule for a mail whose language is unknown or not listed', () => {
    // Act / Assert
    expect(route(null).rule).toBe('default');
    expect(route('en').rule).toBe('default');
  });

  it('needs the other conditions of the rule too', () => {
    // Act / Assert
    expect(route('de', { senderDomains: ['elsewhere.example'] }).rule).toBe('default');
  });

  it('treats an empty list as no condition, as every other list', () => {
    // Act
    const decision = routeMessage({
      channel: channelSettings({ routing: [{ name: 'any', skill: 'x', when: { languages: [] } }] }),
      message: parsedMessage(),
      reply: '',
      language: null,
      lane: 'human',
      tags: [],
      recipients: [],
    });
    // Assert
    expect(decision.rule).toBe('any');
  });
});

describe('RoutingConditionSchema: languages', () => {
  it('takes lowercase ISO 639-1 codes and refuses anything else, naming the item', () => {
    // Act
    const good = RoutingConditionSchema.safeParse({ languages: ['de', 'fr', 'nb', 'zh'] });
    const bad = RoutingConditionSchema.safeParse({ languages: ['de', 'DE', 'deu', 'de-AT', 'xx', ''] });
    // Assert
    expect(good.success).toBe(true);
    expect(bad.error?.issues.map((i) => i.path)).toEqual([
      ['languages', 1],
      ['languages', 2],
      ['languages', 3],
      ['languages', 4],
      ['languages', 5],
    ]);
  });
});
