import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** `postroom send` against an SMTP server of the test's own, which keeps each envelope and mail as it arrived. */
const CLI = join(import.meta.dirname, '../../cli/postroom.js');
const run = promisify(execFile);
const received: { mailFrom: string; rcptTo: string[]; raw: string }[] = [];
let server: SMTPServer;
let cwd: string;

beforeAll(async () => {
  server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        received.push({ mailFrom, rcptTo: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  cwd = await mkdtemp(join(tmpdir(), 'postroom-send-'));
  await mkdir(join(cwd, '.postroom'));
  await writeFile(
    join(cwd, '.postroom/sandbox.json'),
    JSON.stringify({ smtp: { host: '127.0.0.1', port }, channels: [{ id: 'support', addresses: ['support@example.test'] }] }),
  );
});
afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

async function send(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    return { code: 0, ...(await run('node', [CLI, 'send', ...args], { cwd })) };
  } catch (error) {
    return error as { code: number; stdout: string; stderr: string };
  }
}

describe('postroom send --from', () => {
  it('is who writes the sample mail: the From header with the name given, the envelope sender, and the name signing the text', async () => {
    // Act
    const result = await send('--from', 'Vera Buyer <vera@bigcorp.example>', '--subject', 'Volume licence');
    const mail = await simpleParser(received.at(-1)?.raw ?? '');
    // Assert
    expect(result.code).toBe(0);
    expect(received.at(-1)).toMatchObject({ mailFrom: 'vera@bigcorp.example', rcptTo: ['support@example.test'] });
    expect(mail.from?.value).toEqual([{ address: 'vera@bigcorp.example', name: 'Vera Buyer' }]);
    expect(mail.subject).toBe('Volume licence');
    expect(mail.text?.trim()).toMatch(/Thanks,\nVera$/);
  });

  it('takes a bare address (no name, the text unsigned) and keeps the sample sender without --from', async () => {
    // Act
    await send('--from', 'vera@bigcorp.example');
    const bare = await simpleParser(received.at(-1)?.raw ?? '');
    await send();
    const sample = await simpleParser(received.at(-1)?.raw ?? '');
    // Assert
    expect(bare.from?.value).toEqual([{ address: 'vera@bigcorp.example', name: '' }]);
    expect(bare.text).not.toMatch(/Casey/);
    expect(received.at(-1)?.mailFrom).toBe('customer@customer.example');
    expect(sample.from?.value).toEqual([{ address: 'customer@customer.example', name: 'Casey Customer' }]);
  });

  it('sets only the envelope sender of an .eml file, whose headers go as they are', async () => {
    // Arrange
    const file = join(cwd, 'mine.eml');
    await writeFile(file, 'From: Anna <anna@customer.example>\r\nTo: support@example.test\r\nSubject: As written\r\n\r\nHello\r\n');
    // Act
    await send(file, '--from', 'Vera Buyer <vera@bigcorp.example>');
    // Assert
    expect(received.at(-1)?.mailFrom).toBe('vera@bigcorp.example');
    expect(received.at(-1)?.raw).toContain('From: Anna <anna@customer.example>');
  });

  it('refuses a --from that is no address, naming the option', async () => {
    // Act
    const result = await send('--from', 'Vera Buyer <vera at bigcorp>');
    // Assert
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--from: 'Vera Buyer <vera at bigcorp>' is not an address/);
  });
});
