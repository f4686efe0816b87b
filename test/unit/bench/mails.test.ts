import { describe, expect, it } from 'vitest';
import { MAIL_KINDS, TARGET_BYTES, generateMail, quotedPrintable } from '../../../bench/mails.ts';
import { MailparserMimeParser } from '../../../functions/adapters/mailparser-mime-parser.ts';

const parser = new MailparserMimeParser();

describe('benchmark mail generators', () => {
  it.each(MAIL_KINDS.filter((k) => !k.startsWith('attachment-')))('%s parses and is within 2%% of its target size', async (kind) => {
    // Act
    const raw = generateMail(kind);
    const message = await parser.parse(raw);

    // Assert
    expect(Math.abs(raw.byteLength - TARGET_BYTES[kind]) / TARGET_BYTES[kind]).toBeLessThan(0.02);
    expect(message.messageId).toBe(`${kind}@customer.example`);
    expect(message.text.length).toBeGreaterThan(0);
  });

  it('makes the 40 MB mail one large attachment, under the 40 MiB SES and parser limit', async () => {
    const raw = generateMail('attachment-40m');
    const message = await parser.parse(raw);

    expect(raw.byteLength).toBeLessThanOrEqual(40 * 1024 * 1024);
    expect(raw.byteLength).toBeGreaterThan(39.5 * 1024 * 1024);
    expect(message.attachments).toHaveLength(1);
    expect(message.attachments[0]?.size).toBeGreaterThan(29 * 1024 * 1024);
  }, 30_000);

  it('gives the 2 MB mail two attachments and the newsletter text and HTML', async () => {
    const [mixed, news] = await Promise.all([parser.parse(generateMail('attachments-2m')), parser.parse(generateMail('newsletter-60k'))]);

    expect(mixed.attachments.map((a) => a.filename)).toEqual(['document-1.pdf', 'document-2.pdf']);
    expect(news.html).toContain('<table');
    expect(news.text).toContain('Read more');
  });

  it('makes a reply with threading headers, or a new mail without them, and is reproducible', async () => {
    const reply = await parser.parse(generateMail('reply-5k', { inReplyTo: 'parent@customer.example' }));
    const fresh = await parser.parse(generateMail('reply-5k', { inReplyTo: null, messageId: 'new@customer.example' }));

    expect(reply.inReplyTo).toBe('parent@customer.example');
    expect(reply.references).toEqual(['parent@customer.example']);
    expect(reply.text).toContain('> ');
    expect(fresh.inReplyTo).toBeNull();
    expect(generateMail('attachments-2m').equals(generateMail('attachments-2m'))).toBe(true);
    expect(generateMail('reply-5k', { seed: 1 }).equals(generateMail('reply-5k', { seed: 2 }))).toBe(false);
  });

  it('writes quoted-printable lines of at most 76 characters without splitting an escape', () => {
    const encoded = quotedPrintable(`${'a'.repeat(74)}=b${'c'.repeat(100)}`);

    expect(encoded.split('\r\n').every((line) => line.length <= 76)).toBe(true);
    expect(encoded.replace(/=\r\n/g, '')).toBe(`${'a'.repeat(74)}=3Db${'c'.repeat(100)}`);
  });
});
