import { describe, expect, it } from 'vitest';
import { classify } from '../../../../functions/core/inbound/classify.ts';
import type { Header } from '../../../../functions/core/model/message.ts';
import { addr, parsedMessage } from '../../../support/factories.ts';
import { fixture } from '../../../support/eml.ts';

const h = (name: string, value: string): Header => ({ name, value });

describe('classify: bulk and list mail', () => {
  it('keeps a person posting through a discussion list human, tagged list', () => {
    // Arrange
    const message = fixture('list-post-by-person.eml');

    // Act
    const result = classify(message);

    // Assert
    expect(result).toMatchObject({ lane: 'human', reason: 'list post (list-id)', tags: ['list'] });
  });

  it('keeps a Majordomo post (Precedence: bulk, owner- envelope) human', () => {
    // Arrange
    const message = parsedMessage({
      headers: [h('sender', 'owner-linux-mm@kvack.example'), h('precedence', 'bulk'), h('x-loop', 'owner-majordomo@kvack.example')],
    });

    // Act
    const result = classify(message);

    // Assert
    expect(result).toMatchObject({ lane: 'human', tags: ['list'] });
  });

  it('takes a newsletter with one-click unsubscribe and no List-Post for bulk', () => {
    // Arrange
    const message = fixture('newsletter-one-click.eml');

    // Act
    const result = classify(message);

    // Assert
    expect(result).toMatchObject({ lane: 'bulk', reason: 'list-unsubscribe without list-post' });
    expect(result.tags).toEqual(['auto', 'bulk', 'list']);
  });

  it.each([
    [[h('auto-submitted', 'auto-generated')], 'auto-submitted: auto-generated'],
    [[h('auto-submitted', 'auto-notified')], 'auto-submitted: auto-notified'],
    [[h('precedence', 'junk')], 'precedence: junk'],
    [[h('precedence', 'bulk')], 'precedence: bulk'],
    [[h('x-mc-user', 'abc')], 'bulk sender header: x-mc-user'],
    [[h('list-id', '<news.example>'), h('list-post', 'NO')], 'announcement list (list-post: no)'],
    [[h('x-antispameurope-detected-infomail', 'yes')], 'filter verdict: infomail'],
  ])('headers %o -> bulk (%s)', (headers, reason) => {
    // Arrange
    const message = parsedMessage({ headers });

    // Act
    const result = classify(message);

    // Assert
    expect(result).toMatchObject({ lane: 'bulk', reason });
  });

  it.each(['X-JIRA-FingerPrint', 'X-GitHub-Reason', 'X-Redmine-Project'])('takes a notification system’s mail (%s) for bulk', (name) => {
    // Arrange: a tracker notification from a named person's address, without Auto-Submitted
    const message = parsedMessage({ from: addr('IT Team <it@example.com>'), subject: '[JIRA] (SYS-1) printer', headers: [h(name.toLowerCase(), 'x')] });

    // Act
    const result = classify(message);

    // Assert
    expect(result).toMatchObject({ lane: 'bulk', reason: `machine notification header: ${name.toLowerCase()}` });
  });

  it('takes no-reply and "Newsletter" senders for bulk', () => {
    // Arrange
    const noReply = parsedMessage({ from: addr('Shop <no-reply@shop.example>') });
    const newsletter = parsedMessage({ from: addr('CYLEX Newsletter <person@shop.example>') });

    // Act
    const results = [classify(noReply), classify(newsletter)];

    // Assert
    expect(results.map((r) => r.lane)).toEqual(['bulk', 'bulk']);
  });

  it('prefers an out-of-office over bulk when both signals exist', () => {
    // Arrange
    const message = parsedMessage({ subject: 'Out of Office', headers: [h('precedence', 'bulk')] });

    // Act
    const result = classify(message);

    // Assert
    expect(result.lane).toBe('out-of-office');
  });

  it('takes Precedence: list without list headers as a list post', () => {
    // Arrange
    const message = parsedMessage({ headers: [h('precedence', 'list')] });

    // Act
    const result = classify(message);

    // Assert
    expect(result).toMatchObject({ lane: 'human', reason: 'precedence: list', tags: ['list'] });
  });

  it('leaves Auto-Submitted: no alone', () => {
    // Arrange
    const message = parsedMessage({ headers: [h('auto-submitted', 'no')] });

    // Act
    const result = classify(message);

    // Assert
    expect(result.lane).toBe('human');
  });
});

describe('classify: robot senders without headers', () => {
  it.each([
    [addr('oracle@db01.example'), []],
    [addr('root@host.example'), []],
    [addr('Team <team@support.example>'), [h('return-path', '<noreply@bounce.example>')]],
  ])('takes %o for a machine notification (bulk)', (from, headers) => {
    // Arrange
    const message = parsedMessage({ from, headers });

    // Act
    const result = classify(message);

    // Assert
    expect(result.lane).toBe('bulk');
  });
});
