import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { MimeMailRedactor } from '../../../functions/adapters/erasure-mime-redaction.ts';
import { ERASED_ADDRESS, decodeEncodedWords, encodeWord, subjectMatcher } from '../../../functions/core/governance/address-match.ts';

const redactor = new MimeMailRedactor();
const alice = subjectMatcher({ address: 'alice@customer.example' }).with({ names: ['Alice Example'], messageIds: ['q1@mail.customer.example'] });
const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));
const text = (raw: Uint8Array) => Buffer.from(raw).toString('latin1');

/** Everything a reader of the mail sees: raw bytes, decoded header words, and mailparser's view of headers and bodies. */
async function seen(raw: Uint8Array): Promise<string> {
  const parsed = await simpleParser(Buffer.from(raw));
  const headers = [...parsed.headers.entries()].map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join('\n');
  return [text(raw), decodeEncodedWords(text(raw)), headers, parsed.text ?? '', String(parsed.html || ''), parsed.subject ?? ''].join('\n');
}

/** Bob's answer to a conversation with the person (name, address, the Message-ID of their mail) in Cc, quoted and linked. */
function bobAnswersWith(name: string, address: string, id: string): string {
  return [
    'From: Bob Buyer <bob@customer.example>',
    'To: Support <support@example.test>',
    `Cc: "${name.split(' ').reverse().join(', ')}" <${address}>, ${encodeWord('Carla Çelik')} <carla@customer.example>,`,
    `  ${encodeWord(name)} <${address.toUpperCase()}>`,
    'Subject: Re: Order 4711 [#0000042]',
    'Message-ID: <b1@mail.customer.example>',
    `In-Reply-To: <${id}>`,
    `References: <${id}> <r1@example.test>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/alternative; boundary="b-1"',
    '',
    '--b-1',
    'Content-Type: text/plain; charset=iso-8859-1',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Agreed, for me too.',
    '',
    `On Mon, 7 Dec 2026, ${name} <${address.replace('.example', '.=\r\nexample')}> wrote:`,
    '> Where is my parcel? Gr=FC=DFe',
    '--b-1',
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from(`<p>Agreed.</p><blockquote>From <a href="mailto:${address.replace('@', '%40')}">${name}</a></blockquote>`).toString('base64'),
    '--b-1--',
    '',
  ].join('\r\n');
}
const bobAnswers = bobAnswersWith('Alice Example', 'alice@customer.example', 'q1@mail.customer.example');

describe('redacting a raw mail', () => {
  it('takes the person out of headers, encoded words, quoted-printable and base64 parts, and keeps everyone else', async () => {
    // Act
    const { value, changed } = redactor.redact(bytes(bobAnswers), alice);
    const after = await seen(value);
    const parsed = await simpleParser(Buffer.from(value));
    // Assert
    expect(changed).toBe(true);
    expect(after.toLowerCase()).not.toContain('alice@customer.example');
    expect(after.toLowerCase()).not.toContain('alice%40customer.example');
    expect(after).not.toContain('Alice Example');
    expect(after).not.toContain('q1@mail.customer.example');
    expect(parsed.from?.value[0]?.address).toBe('bob@customer.example');
    expect(parsed.cc && !Array.isArray(parsed.cc) ? parsed.cc.value.map((a) => a.address) : []).toEqual([
      ERASED_ADDRESS,
      'carla@customer.example',
      ERASED_ADDRESS,
    ]);
    expect(parsed.cc && !Array.isArray(parsed.cc) ? parsed.cc.value[1]?.name : '').toBe('Carla Çelik');
    expect(parsed.subject).toBe('Re: Order 4711 [#0000042]');
    expect(parsed.messageId).toBe('<b1@mail.customer.example>');
    expect(parsed.references).toContain('<r1@example.test>');
    expect(parsed.text).toContain('Agreed, for me too.');
    // The Latin-1 part was rewritten as UTF-8, its other text intact.
    expect(parsed.text).toContain('Grüße');
    expect(String(parsed.html)).toContain('<p>Agreed.</p>');
  });

  it('leaves a mail that does not name the person byte for byte, and redacting twice changes nothing more', () => {
    // Arrange
    const other = bytes(bobAnswersWith('Dora Doe', 'dora@customer.example', 'd1@mail.customer.example'));
    // Act
    const untouched = redactor.redact(other, alice);
    const once = redactor.redact(bytes(bobAnswers), alice);
    const twice = redactor.redact(once.value, alice);
    // Assert
    expect(untouched.changed).toBe(false);
    expect(untouched.value).toBe(other);
    expect(twice.changed).toBe(false);
  });

  it('follows an enclosed message (a forward) and a base64 message/rfc822 part', async () => {
    // Arrange
    const enclosed = 'From: Alice Example <alice@customer.example>\r\nSubject: original\r\n\r\nCall me, alice@customer.example\r\n';
    const raw = [
      'From: bob@customer.example',
      'To: support@example.test',
      'Subject: Fwd',
      'Content-Type: multipart/mixed; boundary=outer',
      '',
      '--outer',
      'Content-Type: text/plain',
      '',
      'See below.',
      '--outer',
      'Content-Type: message/rfc822',
      '',
      enclosed,
      '--outer',
      'Content-Type: message/rfc822',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from(enclosed).toString('base64'),
      '--outer--',
      '',
    ].join('\r\n');
    // Act
    const { value } = redactor.redact(bytes(raw), alice);
    // Assert
    expect(text(value)).not.toContain('alice@customer.example');
    expect(Buffer.from(text(value).split('base64\r\n\r\n')[1]?.split('\r\n--outer--')[0] ?? '', 'base64').toString()).not.toContain('alice@');
    expect(text(value)).toContain('See below.');
    expect((await simpleParser(Buffer.from(value))).from?.value[0]?.address).toBe('bob@customer.example');
  });

  it('leaves binary attachments as they are, and survives a mail that is no MIME at all', () => {
    // Arrange
    const pdf = Buffer.from('%PDF-1.4 alice@customer.example').toString('base64');
    const raw = [
      'From: bob@customer.example',
      'Content-Type: multipart/mixed; boundary=x',
      '',
      '--x',
      'Content-Type: application/pdf',
      'Content-Transfer-Encoding: base64',
      '',
      pdf,
      '--x--',
      '',
    ].join('\r\n');
    const garbage = bytes('no headers here, just alice@customer.example and \u0000 bytes');
    // Act
    const attached = redactor.redact(bytes(raw), alice);
    const plain = redactor.redact(garbage, alice);
    // Assert
    expect(attached.changed).toBe(false);
    expect(text(plain.value)).not.toContain('alice@customer.example');
  });
});
