import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractReply } from '../../../functions/core/inbound/extract-reply.ts';
import { FOOTER_ALTERNATIVES, FOOTER_WORD } from '../../../functions/core/inbound/reply-signature.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/mail/replies/${name}`, import.meta.url), 'utf8');

describe('extractReply', () => {
  it.each([
    ['gmail-top-post.txt', 'Hi team,\n\nthe replacement arrived today, thank you!\n\nBest,\nMaria', 'On Tue, Mar 12, 2024'],
    ['gmail-wrapped-attribution.txt', 'Yes, please cancel the order.', 'support@example.com> wrote:'],
    ['outlook-desktop.txt', 'Hello,\n\nplease find the invoice attached.', 'From: Example Support [mailto:support@example.com]'],
    [
      'outlook-original-message-de.txt',
      'Guten Tag,\n\ndas Problem besteht weiterhin.\n\nMit freundlichen Grüßen\nKatja Günther',
      '-----Ursprüngliche Nachricht-----',
    ],
    ['outlook-web-german.txt', 'Hallo,\n\nvielen Dank für die schnelle Hilfe.', '________________________________\nVon: Example Support'],
    ['apple-mail-desktop.txt', 'Thanks, that solved it.\n\nJane', '> On 12 Mar 2024, at 10:15'],
    ['french-gmail.txt', 'Bonjour,\n\nmerci pour votre réponse.', 'a\nécrit :'],
    ['spanish-gmail.txt', 'Gracias, ya funciona.', 'escribió:'],
    ['dutch-gmail.txt', 'Dank u wel!', 'schreef Example Support'],
    ['gmail-forward.txt', 'Please see the complaint below.', '---------- Forwarded message ---------'],
    ['apple-forward.txt', 'FYI', 'Begin forwarded message:'],
  ])('separates the new text of %s from the quoted history', (name, reply, quotedStart) => {
    // Arrange
    const text = fixture(name);

    // Act
    const result = extractReply(text);

    // Assert
    expect(result.reply).toBe(reply);
    expect(result.quoted.startsWith(quotedStart) || result.quoted.includes(quotedStart)).toBe(true);
    expect(result.quoted).not.toContain(reply.split('\n')[0]);
  });

  it.each([
    ['apple-mail-iphone-de.txt', 'Passt, danke!', 'Von meinem iPhone gesendet'],
    ['outlook-mobile.txt', 'Will do, thanks.', 'Get Outlook for iOS<https://aka.ms/o0ukef>'],
    ['outlook-desktop.txt', 'Hello,\n\nplease find the invoice attached.', 'Regards\nPeter Schmidt\nACME GmbH | Sales'],
    ['signature-only-delimiter.txt', 'Thanks for the quick fix!', 'Dr. Anna Schulz\nHead of IT, Example AG\nTel. +49 30 1234567'],
  ])('moves the signature of %s out of the reply', (name, reply, signature) => {
    // Arrange
    const text = fixture(name);

    // Act
    const result = extractReply(text);

    // Assert
    expect(result.reply).toBe(reply);
    expect(result.signature).toBe(signature);
  });

  it('keeps inline answers between quotes of a bottom-posted reply, and its signature', () => {
    // Arrange
    const text = fixture('thunderbird-bottom-post.txt');

    // Act
    const result = extractReply(text);

    // Assert
    expect(result.reply).toBe('Version 115.8 on Windows 11.\n\nOnly after a restart.');
    expect(result.quoted).toBe('On 12.03.24 10:15, Example Support wrote:\n> Which version do you use?\n\n> And does the error happen every time?');
    expect(result.signature).toBe('Martin Braun\nBraun & Partner');
  });

  it('returns an empty reply when the mail only quotes', () => {
    // Arrange
    const text = fixture('fully-quoted.txt');

    // Act
    const result = extractReply(text);

    // Assert
    expect(result).toMatchObject({ reply: '', quoted: '> Hello,\n> is this resolved?', signature: null, rule: 'quote-prefix' });
  });

  it('treats a lone mobile footer above a quote as nothing new', () => {
    // Arrange
    const text = fixture('iphone-only-footer.txt');

    // Act
    const result = extractReply(text);

    // Assert
    expect(result.reply).toBe('');
    expect(result.signature).toBe('Sent from my iPhone');
  });

  it('keeps a mail that is only a signature block as the reply', () => {
    // Arrange
    const text = '-- \nJohn Smith\nACME Corp';

    // Act
    const result = extractReply(text);

    // Assert
    expect(result).toMatchObject({ reply: 'John Smith\nACME Corp', quoted: '', signature: null, signatureRule: null });
  });

  it('leaves text without quote markers untouched, even with a "From:" inside a sentence', () => {
    // Arrange
    const text = fixture('plain-no-quote.txt');

    // Act
    const result = extractReply(text);

    // Assert
    expect(result).toMatchObject({ reply: text.trim(), quoted: '', signature: null, rule: 'none' });
  });

  it('handles CRLF line endings like LF', () => {
    // Arrange
    const lf = fixture('gmail-top-post.txt');
    const crlf = lf.replace(/\n/g, '\r\n');

    // Act
    const result = extractReply(crlf);

    // Assert
    expect(result).toEqual(extractReply(lf));
    expect(result.reply).not.toContain('\r');
  });

  it('treats "On ... wrote:" followed by unprefixed text as the start of history', () => {
    // Arrange
    const text = 'Sounds good.\n\nOn Tue, Mar 12, 2024 at 10:15 AM Support <support@example.com> wrote:\nHello, are you there?';

    // Act
    const result = extractReply(text);

    // Assert
    expect(result.reply).toBe('Sounds good.');
    expect(result.quoted).toBe('On Tue, Mar 12, 2024 at 10:15 AM Support <support@example.com> wrote:\nHello, are you there?');
  });

  it.each([
    ['a sentence that ends with "wrote:" and a date', 'As I wrote on 12 March:\nthe printer is still broken.'],
    ['a sentence that starts with "On" and ends with "wrote"', 'On Monday at 10:00 my colleague wrote\nthat the order was sent.'],
    [
      'raw headers pasted into the message',
      'The bounce looked like this:\n\nDate: Sat, 04 Oct 2025 06:00:03 +0000\nFrom: Name <a@example.org>\nMessage-ID: <x@example.org>\nSubject: SUBJECT',
    ],
    ['a note with "Date:" and "To:" lines', 'Travel plan\nDate: tomorrow\nTo: everyone'],
  ])('keeps %s in the reply', (_, text) => {
    // Act
    const result = extractReply(text);

    // Assert
    expect(result).toMatchObject({ reply: text, quoted: '', rule: 'none' });
  });

  it('does not treat a sentence starting with "On" as an attribution', () => {
    // Arrange
    const text = 'On Monday the device failed again.\nPlease call me: 0123 456.';

    // Act
    const result = extractReply(text);

    // Assert
    expect(result.reply).toBe(text);
    expect(result.quoted).toBe('');
  });

  it('returns empty parts for empty text', () => {
    // Arrange
    const text = '';

    // Act
    const result = extractReply(text);

    // Assert
    expect(result).toMatchObject({ reply: '', quoted: '', signature: null, rule: 'none', signatureRule: null });
  });

  it('never returns an empty reply when there is new text before the first quote marker', () => {
    // Arrange
    const names = ['gmail-top-post.txt', 'outlook-desktop.txt', 'outlook-mobile.txt', 'apple-mail-iphone-de.txt', 'gmail-forward.txt'];

    // Act
    const replies = names.map((name) => extractReply(fixture(name)).reply);

    // Assert
    expect(replies.every((reply) => reply.length > 0)).toBe(true);
  });
});

describe('extractReply on hostile input', () => {
  it('handles tens of thousands of alternating attribution and quote lines (quadratic look-ahead would exceed the test timeout)', () => {
    // Arrange: 60,000 pairs, about 3 MB; the old look-ahead copied the rest of the lines per attribution
    const text = `Thanks!\n\n${'On Mon, 1 Jan 2024, A <a@x.example> wrote:\n> q\n'.repeat(60_000)}`;

    // Act
    const result = extractReply(text);

    // Assert
    expect(result.reply).toBe('Thanks!');
    expect(result.quoted.startsWith('On Mon, 1 Jan 2024')).toBe(true);
  });

  it.each([
    ['header blocks with nothing above them', 'From: a@example.org\nDate: 1 Jan 2024 10:00\n\n'.repeat(60_000)],
    ['closing phrases on every line', 'Regards,\n'.repeat(100_000)],
    ['separators on every other line', '____\nx\n'.repeat(50_000)],
  ])('stays linear on %s', (_, text) => {
    // Act
    const started = performance.now();
    extractReply(text);

    // Assert
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('splits only the first part of a huge body and keeps the rest as quoted', () => {
    const text = `New words\n\n${'> old\n'.repeat(10)}${'log line\n'.repeat(100_000)}`;

    const result = extractReply(text);

    expect(result.reply.startsWith('New words')).toBe(true);
    expect(result.quoted.endsWith('log line')).toBe(true);
    expect(result.reply.length + result.quoted.length).toBeLessThanOrEqual(text.length);
  });
});

describe('extractReply with the HTML quote cut', () => {
  it('reads the new text from the HTML when its client marked the quote, and reports the markup', () => {
    // Arrange: the plain text lost the attribution, so text rules alone would keep the history
    const text = 'Thanks, works now.\n\nDid you restart the router?';
    const htmlReply = { text: 'Thanks, works now.', marker: 'gmail_quote' };

    // Act
    const result = extractReply(text, htmlReply);

    // Assert
    expect(result).toMatchObject({ reply: 'Thanks, works now.', rule: 'html:gmail_quote', confidence: 0.95 });
  });

  it('keeps to the plain text when the HTML says something else (a client that sent two different bodies)', () => {
    // Arrange
    const text = 'Liebes Team,\n\nbitte um Rückruf.';

    // Act
    const result = extractReply(text, { text: '123', marker: 'blockquote-cite' });

    // Assert
    expect(result).toMatchObject({ reply: 'Liebes Team,\n\nbitte um Rückruf.', rule: 'none' });
  });

  it('falls back to the plain text when the HTML cut leaves nothing', () => {
    // Arrange
    const text = 'Thanks!\n\nOn Tue, 12 Mar 2024 10:15, Bob <bob@example.com> wrote:\n> old';

    // Act
    const result = extractReply(text, { text: '', marker: 'blockquote' });

    // Assert
    expect(result).toMatchObject({ reply: 'Thanks!', rule: 'quote-prefix' });
  });
});

describe('extractReply rules', () => {
  it.each([
    ['Merci.\n\nLe mar. 12 mars 2024 à 10:15, Bob <bob@example.com> a écrit :\nBonjour', 'attribution', null],
    ['Danke.\n\n-----Original-Nachricht-----\nVon: Bob', 'history-marker', null],
    ['Thanks.\n\nDate: Tue, 12 Mar 2024 10:15\nTo: bob@example.com\n\nold', 'header-block', null],
    ['Passt.\nGesendet von Outlook für Android<https://aka.ms/x>\nHallo', 'app-footer', 'mobile-footer'],
    ['Hello,\nthe parcel arrived.\n\nRegards,\nJane Doe\nExample Ltd', 'none', 'sign-off'],
  ])('names the rule that cut %j', (text, rule, signatureRule) => {
    // Act
    const result = extractReply(text);

    // Assert
    expect([result.rule, result.signatureRule]).toEqual([rule, signatureRule]);
  });
});

describe('extractReply with a bare attribution', () => {
  it('takes "Bob wrote:" for an attribution only right above quoted lines', () => {
    // Arrange
    const quoted = 'Agreed.\n\nBob wrote:\n> Shall we ship on Friday?';
    const prose = 'Agreed.\n\nBob wrote:\nthe plan is fine.';

    // Act
    const results = [extractReply(quoted), extractReply(prose)];

    // Assert
    expect(results.map((r) => r.reply)).toEqual(['Agreed.', 'Agreed.\n\nBob wrote:\nthe plan is fine.']);
  });
});

describe('the app-footer prefilter (FOOTER_WORD)', () => {
  it('is named by every alternative of the footer pattern, so no footer it recognizes is skipped', () => {
    // Act
    const unnamed = FOOTER_ALTERNATIVES.filter((alternative) => !FOOTER_WORD.test(alternative));
    // Assert
    expect(FOOTER_ALTERNATIVES.length).toBeGreaterThan(25);
    expect(unnamed).toEqual([]);
  });

  it.each([
    'Get Outlook for iOS<https://aka.ms/o0ukef>',
    'Outlook für Android herunterladen',
    'iOS 版 Outlook を入手',
    'Von meinem iPhone gesendet',
    'Az iPhone-omról küldve',
    "iPhone'umdan gönderildi",
    'iPhoneから送信',
    'Sent from my iPhone',
  ])('still cuts %j at the end of a reply', (footer) => {
    // Act
    const result = extractReply(`Thanks, that works.\n\n${footer}`);
    // Assert
    expect(result.reply).toBe('Thanks, that works.');
  });
});
