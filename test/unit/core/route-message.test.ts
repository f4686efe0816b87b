import { describe, expect, it } from 'vitest';
import { hasKeyword, messagePriority, routeMessage, type RouteInput } from '../../../functions/core/inbound/route-message.ts';
import type { ChannelSettingsInput, RoutingRule } from '../../../functions/core/model/channel.ts';
import { addr, channelSettings, parsedMessage } from '../../support/factories.ts';

type RuleInput = Partial<RoutingRule> & { name: string; skill: string };

function route(rules: readonly RuleInput[], overrides: Partial<RouteInput> = {}, channel: Partial<ChannelSettingsInput> = {}) {
  return routeMessage({
    channel: channelSettings({ routing: rules.map((r) => ({ when: {}, ...r })), ...channel }),
    message: parsedMessage(),
    reply: 'Hello, I need help.',
    lane: 'human',
    tags: [],
    recipients: ['support@example.com'],
    ...overrides,
  });
}

const header = (name: string, value: string) => ({ name, value });

describe('routeMessage', () => {
  it('falls back to the default skill', () => {
    // Arrange
    const rules: RuleInput[] = [{ name: 'billing', skill: 'billing', when: { subjectKeywords: ['invoice'] } }];

    // Act
    const decision = route(rules);

    // Assert
    expect(decision).toEqual({ skill: 'general', rule: 'default', priority: 'normal' });
  });

  it('takes the first matching rule in order', () => {
    // Arrange
    const rules: RuleInput[] = [
      { name: 'no', skill: 'x', when: { senders: ['nobody@example.com'] } },
      { name: 'first', skill: 'a' },
      { name: 'second', skill: 'b' },
    ];

    // Act
    const decision = route(rules);

    // Assert
    expect(decision).toMatchObject({ skill: 'a', rule: 'first' });
  });

  it('requires every condition of a rule', () => {
    // Arrange
    const rules: RuleInput[] = [{ name: 'both', skill: 'vip', when: { senderDomains: ['customer.example'], subjectKeywords: ['invoice'] } }];

    // Act
    const decision = route(rules, { message: parsedMessage({ subject: 'Help please' }) });

    // Assert
    expect(decision.rule).toBe('default');
  });

  it.each([
    ['recipients', { recipients: ['Sales@Example.com'] }, { recipients: ['sales@example.com'] }, { recipients: ['support@example.com'] }],
    ['senders', { senders: ['Boss@Customer.Example'] }, { message: parsedMessage({ from: addr('boss@customer.example') }) }, {}],
    ['sender domains', { senderDomains: ['customer.example'] }, {}, { message: parsedMessage({ from: addr('x@other.example') }) }],
    [
      'sender subdomains',
      { senderDomains: ['example'] },
      { message: parsedMessage({ from: addr('x@eu.mail.example') }) },
      { message: parsedMessage({ from: addr('x@badexample') }) },
    ],
    [
      'subject keywords',
      { subjectKeywords: ['invoice'] },
      { message: parsedMessage({ subject: 'Re: INVOICE 42' }) },
      { message: parsedMessage({ subject: 'Re: invoices' }) },
    ],
    [
      'body keywords in the reply only',
      { bodyKeywords: ['cancel'] },
      { reply: 'Please cancel.' },
      { reply: 'Thanks', message: parsedMessage({ text: 'Thanks\n> Please cancel.' }) },
    ],
    ['all tags', { tags: ['vip', 'de'] }, { tags: ['de', 'vip', 'x'] }, { tags: ['vip'] }],
    ['lanes', { lanes: ['bounce' as const] }, { lane: 'bounce' as const }, {}],
    ['priorities', { priorities: ['high' as const] }, { message: parsedMessage({ headers: [header('importance', 'high')] }) }, {}],
  ])('matches on %s', (_label, when, matching, notMatching) => {
    // Arrange
    const rules: RuleInput[] = [{ name: 'r', skill: 's', when }];

    // Act
    const hit = route(rules, matching);
    const miss = route(rules, notMatching);

    // Assert
    expect([hit.rule, miss.rule]).toEqual(['r', 'default']);
  });

  it.each(['@customer.example', '*.customer.example', ' Customer.Example '])('accepts the sender domain written as %j', (domain) => {
    // Arrange
    const rules: RuleInput[] = [{ name: 'r', skill: 's', when: { senderDomains: [domain] } }];

    // Act
    const decision = route(rules, { message: parsedMessage({ from: addr('x@eu.customer.example') }) });

    // Assert
    expect(decision.rule).toBe('r');
  });

  it('does not match a sender domain without a sender', () => {
    // Arrange
    const rules: RuleInput[] = [{ name: 'r', skill: 's', when: { senderDomains: ['customer.example'] } }];

    // Act
    const decision = route(rules, { message: parsedMessage({ from: null }) });

    // Assert
    expect(decision.rule).toBe('default');
  });

  it('treats an empty condition list as absent', () => {
    // Arrange
    const rules: RuleInput[] = [{ name: 'r', skill: 's', when: { senders: [], tags: [] } }];

    // Act
    const decision = route(rules);

    // Assert
    expect(decision.rule).toBe('r');
  });

  it('lets the rule override the message priority', () => {
    // Arrange
    const rules: RuleInput[] = [{ name: 'r', skill: 's', priority: 'high' }];

    // Act
    const decision = route(rules, { message: parsedMessage({ headers: [header('x-priority', '5 (Lowest)')] }) });

    // Assert
    expect(decision.priority).toBe('high');
  });

  it('keeps the message priority when the rule sets none', () => {
    // Arrange
    const rules: RuleInput[] = [{ name: 'r', skill: 's' }];

    // Act
    const decision = route(rules, { message: parsedMessage({ headers: [header('x-priority', '1 (Highest)')] }) });

    // Assert
    expect(decision.priority).toBe('high');
  });

  it('routes spam to the spam skill under the route policy, before any rule, at low priority', () => {
    // Arrange
    const rules: RuleInput[] = [{ name: 'all', skill: 'a' }];

    // Act
    const decision = route(
      rules,
      { tags: ['spam'], message: parsedMessage({ headers: [header('x-priority', '1')] }) },
      { spamPolicy: 'route', spamSkill: 'spam' },
    );

    // Assert
    expect(decision).toEqual({ skill: 'spam', rule: 'spam-policy', priority: 'low' });
  });

  it.each([
    ['the policy is tag', { spamPolicy: 'tag' as const, spamSkill: 'spam' }],
    ['no spam skill is set', { spamPolicy: 'route' as const }],
  ])('routes spam normally when %s', (_label, channel) => {
    // Arrange
    const rules: RuleInput[] = [];

    // Act
    const decision = route(rules, { tags: ['spam'] }, channel);

    // Assert
    expect(decision.rule).toBe('default');
  });
});

describe('messagePriority', () => {
  it.each([
    [[], 'normal'],
    [[header('importance', 'High')], 'high'],
    [[header('importance', 'low')], 'low'],
    [[header('x-priority', '1 (Highest)')], 'high'],
    [[header('x-priority', '2')], 'high'],
    [[header('x-priority', '3 (Normal)')], 'normal'],
    [[header('x-priority', '4')], 'low'],
    [[header('x-priority', '5 (Lowest)')], 'low'],
    [[header('x-priority', 'urgent!')], 'normal'],
    [[header('priority', 'urgent')], 'high'],
    [[header('priority', 'non-urgent')], 'low'],
    [[header('x-msmail-priority', 'High')], 'high'],
    [[header('importance', 'normal'), header('x-priority', '1')], 'normal'],
    [[header('importance', 'bogus'), header('x-priority', '5')], 'low'],
  ] as const)('reads %j as %s', (headers, expected) => {
    // Arrange
    const message = parsedMessage({ headers: [...headers] });

    // Act
    const priority = messagePriority(message);

    // Assert
    expect(priority).toBe(expected);
  });
});

describe('hasKeyword', () => {
  it.each([
    ['Rückerstattung bitte', 'RÜCKERSTATTUNG', true],
    ['Überweisung', 'über', false],
    ['über alles', 'Über', true],
    ['naïve question', 'naïve', true],
    ['naïveté', 'naïve', false],
    ['返金をお願いします', '返金', true],
    ['ข้อมูลการคืนเงิน', 'คืนเงิน', true],
    ['refund, please', 'refund', true],
    ['refunds', 'refund', false],
    ['pre-refund', 'refund', true],
    ['cancel my\n  order', 'cancel my order', true],
    ['c++ question', 'c++', true],
    ['anything', '   ', false],
  ])('%j contains %j: %s', (text, keyword, expected) => {
    // Act
    const found = hasKeyword(text, keyword);

    // Assert
    expect(found).toBe(expected);
  });

  it('matches composed and decomposed forms alike', () => {
    // Arrange
    const decomposed = 'Cafe\u0301 order';

    // Act
    const found = hasKeyword(decomposed, 'Café');

    // Assert
    expect(found).toBe(true);
  });
});
