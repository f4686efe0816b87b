import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { type Command, UsageError } from './command.ts';
import { readSandboxInfo } from './sandbox-file.ts';

const HELP = `Usage: postroom send [FILE.eml...] [--to ADDRESS] [--from ADDRESS] [--subject TEXT]

Sends mail to the running sandbox's SMTP port (found in .postroom/sandbox.json): each given .eml
file as it is, or, without files, a sample mail from a customer. Prints the SMTP answer for each
mail; exits 1 when the sandbox refused one (unknown address 550, too large 552).

Options:
  --to ADDRESS      envelope recipient (default: the first channel's address)
  --from ADDRESS    envelope sender (default: customer@customer.example)
  --subject TEXT    subject of the sample mail (default: "Hello from postroom send")

Examples:
  npx postroom send
  npx postroom send --subject "Refund for invoice 42"
  npx postroom send reply.eml --to support@example.test`;

export const sendCommand: Command = {
  help: HELP,
  async run(args) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { to: { type: 'string' }, from: { type: 'string' }, subject: { type: 'string' } },
      allowPositionals: true,
    });
    const info = await readSandboxInfo();
    const to = values.to ?? info.channels[0]?.addresses[0];
    if (!to) throw new UsageError('the sandbox has no channel; give --to');
    const from = values.from ?? 'customer@customer.example';
    const transport = nodemailer.createTransport({ host: info.smtp.host, port: info.smtp.port, secure: false, ignoreTLS: true });
    let refused = 0;
    try {
      const mails =
        positionals.length > 0
          ? await Promise.all(positionals.map(async (file) => ({ label: file, message: { envelope: { from, to }, raw: await readFile(file) } })))
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

function sampleMail(from: string, to: string, subject: string): SendMailOptions {
  return {
    // The sample's name belongs to the sample's address; another sender is named by their address only.
    from: from === 'customer@customer.example' ? { name: 'Casey Customer', address: from } : from,
    to,
    subject,
    text: 'Hello,\n\nmy order #4711 has not arrived yet. Can you tell me where it is?\n\nThanks,\nCasey',
  };
}
