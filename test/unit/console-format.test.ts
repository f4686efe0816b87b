import { describe, expect, it } from 'vitest';
import { searchQuery, threadRule, warningOf } from '../../console/src/format.ts';
import { frameDocument, framePolicy } from '../../console/src/frame-document.ts';

describe('console search box', () => {
  it('reads a ticket number with or without its hook, and an address', () => {
    // Act
    const results = ['0000013', '#0000013', ' 123456789012 ', 'Casey@Customer.Example', 'a+tag@x.example'].map(searchQuery);
    // Assert
    expect(results).toEqual([
      { ticket: '0000013' },
      { ticket: '0000013' },
      { ticket: '123456789012' },
      { participant: 'casey@customer.example' },
      { participant: 'a+tag@x.example' },
    ]);
  });

  it('refuses what is neither, so no request goes out for it', () => {
    // Act
    const results = ['', '1234', '1234567890123', 'casey', 'two words@x.example', '@x.example', 'a@', `${'a'.repeat(320)}@x.example`].map(searchQuery);
    // Assert
    expect(results).toEqual(results.map(() => null));
  });
});

describe('console wording', () => {
  it('says how a message joined its conversation, and what a flag asks of the agent', () => {
    // Assert
    expect(threadRule('in-reply-to')).toBe('joined by In-Reply-To');
    expect(threadRule('new-conversation')).toBe('started this conversation');
    expect(threadRule('something-new')).toBe('something-new');
    expect(warningOf('unauthenticated-follow-up')).toMatch(/^Unauthenticated follow-up/);
    expect(warningOf('reply-to-differs')).toMatch(/^Reply-To differs/);
    expect(warningOf('bulk')).toBeNull();
  });
});

describe('mail frame document', () => {
  it('puts its own policy first: no script, no fetch, images only from data: unless remote images are asked for', () => {
    // Act
    const document = frameDocument('<p>Hello</p><img data-remote-src="https://tracker.example/p.png">', false);
    // Assert
    expect(framePolicy(false)).toBe("default-src 'none'; img-src data:; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'");
    expect(framePolicy(true)).toContain('img-src data: http: https:;');
    expect(framePolicy(true)).not.toMatch(/script-src|unsafe-eval/);
    expect(document.startsWith(`<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="${framePolicy(false)}">`)).toBe(true);
    expect(document).toContain('<body><p>Hello</p><img data-remote-src="https://tracker.example/p.png"></body>');
  });
});
