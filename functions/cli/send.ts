import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { type Command, UsageError } from './command.ts';
import type { SandboxInfo } from '../local/sandbox.ts';
import { readSandboxInfo } from './sandbox-file.ts';

const HELP = `Usage: postroom send [FILE.eml...] [--to ADDRESS] [--from ADDRESS] [--subject TEXT] [--mailbox]

Sends mail to the running sandbox's SMTP port (found in .postroom/sandbox.json): each given .eml
file as it is, or, without files, a sample mail from a customer. Prints the SMTP answer for each
mail; exits 1 when the sandbox refused one (unknown address 550, too large 552).

Options:
  --to ADDRESS      envelope recipient (default: the first channel's address)
  --from SENDER     who writes: the sample mail's From header (the address a reply goes to, with
                    the display name given, as in "Vera Buyer <vera@bigcorp.example>") and the
                    envelope sender; for .eml files the envelope sender only, their headers stay
                    as they are (default: Casey Customer <customer@customer.example>)
  --subject TEXT    subject of the sample mail (default: "Hello from postroom send")
  --mailbox         put the mail into the sandbox's local IMAP mailbox (as its mail server would
                    deliver it) instead of sending it by SMTP: a channel reading that mailbox
                    picks it up at its next poll (every few seconds in the sandbox)

Examples:
  npx postroom send
  npx postroom send --from "Vera Buyer <vera@bigcorp.example>" --subject "Volume licence"
  npx postroom send --subject "Refund for invoice 42"
  npx postroom send reply.eml --to support@example.test
  npx postroom send --mailbox --subject "Where is my parcel?"`;

export const sendCommand: Command = {
  help: HELP,
  async run(args) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { to: { type: 'string' }, from: { type: 'string' }, subject: { type: 'string' }, mailbox: { type: 'boolean' } },
      allowPositionals: true,
    });
    const info = await readSandboxInfo();
    if (values.mailbox) return deliverToMailbox(info, positionals, values);
    const to = values.to ?? info.channels[0]?.addresses[0];
    if (!to) throw new UsageError('the sandbox has no channel; give --to');
    const from = senderOf(values.from);
    const transport = nodemailer.createTransport({ host: info.smtp.host, port: info.smtp.port, secure: false, ignoreTLS: true });
    let refused = 0;
    try {
      const mails =
        positionals.length > 0
          ? await Promise.all(positionals.map(async (file) => ({ label: file, message: { envelope: { from: from.address, to }, raw: await readFile(file) } })))
          : [{ label: 'sample mail', message: sampleMail(from, to, values.subject ?? 'Hello from postroom send') }];
      for (const { label, message } of mails) {
        try {
          const sent = await transport.sendMail(message);
          process.stdout.write(`${label} → ${to}: ${sent.response}\n`);
        } catch (error) {
          refused += 1;
          const e = error as { response?: string; message: string };
          process.stdout.write(`${label} → ${to}: refused: ${e.response ?? e.message}\n`);
        }
      }
    } finally {
      transport.close();
    }
    return refused > 0 ? 1 : 0;
  },
};

/** A sender as `--from` names it: `Name <address>` or a bare address. */
interface Sender {
  readonly name: string;
  readonly address: string;
}

const SAMPLE_SENDER: Sender = { name: 'Casey Customer', address: 'customer@customer.example' };

/** `--from` read as `Display Name <address>` or a bare address (no pattern that could backtrack: it is split at its last `<`). */
function senderOf(text: string | undefined): Sender {
  if (text === undefined) return SAMPLE_SENDER;
  const given = text.trim();
  const open = given.lastIndexOf('<');
  const sender =
    open >= 0 && given.endsWith('>')
      ? {
          name: given
            .slice(0, open)
            .trim()
            .replace(/^"(.*)"$/, '$1'),
          address: given.slice(open + 1, -1).trim(),
        }
      : { name: '', address: given };
  if (!/^[^\s@<>"]+@[^\s@<>"]+$/.test(sender.address))
    throw new UsageError(`--from: '${text}' is not an address (e.g. vera@bigcorp.example or "Vera Buyer <vera@bigcorp.example>")`);
  return sender;
}

/** The sample mail, from the sender given: their name in From and under the text, so an answer goes to them by name. */
function sampleMail(from: Sender, to: string, subject: string): SendMailOptions {
  const signed = from.name.split(' ')[0] ?? '';
  return {
    from: from.name ? { name: from.name, address: from.address } : from.address,
    envelope: { from: from.address, to },
    to,
    subject,
    text: `Hello,\n\nmy order #4711 has not arrived yet. Can you tell me where it is?\n\nThanks${signed ? `,\n${signed}` : ''}`,
  };
}

/** APPENDs each mail to the INBOX of the sandbox's mailbox server, as its mail server would deliver it. */
async function deliverToMailbox(
  info: SandboxInfo,
  files: readonly string[],
  values: { readonly to?: string | undefined; readonly from?: string | undefined; readonly subject?: string | undefined },
): Promise<number> {
  const mailbox = info.mailbox;
  if (!mailbox) throw new UsageError('the sandbox runs no mailbox server: apt-get install dovecot-imapd dovecot-pop3d, then npm start again');
  const password = (await readFile(mailbox.passwordFile, 'utf8')).trim();
  const to = values.to ?? `${mailbox.user}@example.test`;
  const from = senderOf(values.from);
  const raws =
    files.length > 0
      ? await Promise.all(files.map(async (file) => ({ label: file, raw: await readFile(file) })))
      : [{ label: 'sample mail', raw: stamped(await compose(sampleMail(from, to, values.subject ?? 'Hello from postroom send')), from.address) }];
  const { ImapFlow } = await import('imapflow');
  const client = new ImapFlow({ host: mailbox.imap.host, port: mailbox.imap.port, secure: false, auth: { user: mailbox.user, pass: password }, logger: false });
  await client.connect();
  try {
    for (const { label, raw } of raws) {
      const appended = await client.append('INBOX', raw);
      process.stdout.write(`${label} → ${mailbox.user}'s INBOX (IMAP ${mailbox.imap.host}:${mailbox.imap.port}): UID ${appended ? appended.uid : '?'}\n`);
    }
  } finally {
    await client.logout().catch(() => undefined);
  }
  return 0;
}

async function compose(message: SendMailOptions): Promise<Buffer> {
  const built = await nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' }).sendMail(message);
  return built.message as Buffer;
}

/**
 * The sample mail as a provider delivers it into a mailbox: with its Authentication-Results on top (files go in as they are). The
 * sandbox's mailbox stands for a provider that checked the sender, as its SMTP port passes SES's
 * verdicts (`--verdicts` there); Postroom reads mailbox mail's verdicts from this header.
 */
function stamped(raw: Buffer, from: string): Buffer {
  const domain = from.slice(from.lastIndexOf('@') + 1) || 'customer.example';
  const header = `Authentication-Results: sandbox.postroom.local; spf=pass smtp.mailfrom=${domain}; dkim=none; dmarc=pass header.from=${domain}\r\n`;
  return Buffer.concat([Buffer.from(header), raw]);
}
