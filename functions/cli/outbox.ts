import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { simpleParser } from 'mailparser';
import { type Command, UsageError } from './command.ts';
import { writeJsonLine } from './output.ts';
import { readSandboxInfo } from './sandbox-file.ts';

const HELP = `Usage: postroom outbox [--json] [--last N]

Lists the mail the running sandbox has sent, oldest first: every mail that left through SES
(aws-ses-v2-local, with the Message-ID SES would give it) or through the channel's SMTP server
(the sandbox's own, after STARTTLS and a login), as the raw .eml the customer would receive, in
the folder \`.postroom/sandbox.json\` names under "outbox".

Options:
  --json     one JSON line per mail: file, date, from, to, cc, subject, messageId, inReplyTo,
             references, replyTo, autoSubmitted, text
  --last N   only the newest N

Examples:
  npx postroom outbox
  npx postroom outbox --json --last 1 | jq .inReplyTo`;

export const outboxCommand: Command = {
  help: HELP,
  async run(args) {
    const { values } = parseArgs({ args: [...args], options: { json: { type: 'boolean' }, last: { type: 'string' } } });
    const last = values.last === undefined ? Number.POSITIVE_INFINITY : Number(values.last);
    if (!(last > 0)) throw new UsageError('--last takes a positive number');
    const info = await readSandboxInfo();
    const names = (await readdir(info.outbox).catch(() => [] as string[])).filter((n) => n.endsWith('.eml')).sort();
    const files = Number.isFinite(last) ? names.slice(-last) : names;
    for (const name of files) {
      const file = join(info.outbox, name);
      const mail = await simpleParser(await readFile(file), { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
      const line = {
        file,
        date: mail.date?.toISOString() ?? null,
        from: mail.from?.text ?? null,
        to: addressText(mail.to),
        cc: addressText(mail.cc),
        subject: mail.subject ?? '',
        messageId: mail.messageId ?? null,
        inReplyTo: mail.inReplyTo ?? null,
        references: typeof mail.references === 'string' ? [mail.references] : (mail.references ?? []),
        replyTo: mail.replyTo?.text ?? null,
        autoSubmitted: mail.headers.get('auto-submitted') ?? null,
        /** The plain-text part: what a text-only client shows (the signature after `-- `). */
        text: mail.text ?? null,
      };
      if (values.json) await writeJsonLine(line);
      else
        process.stdout.write(
          `${line.date ?? '-'}  ${line.from}  →  ${line.to}  "${line.subject}"  ${line.messageId}${line.inReplyTo ? `  (re ${line.inReplyTo})` : ''}\n`,
        );
    }
    if (!values.json) process.stdout.write(`${files.length} mail(s) in ${info.outbox}\n`);
    return 0;
  },
};

function addressText(value: { text: string } | { text: string }[] | undefined): string | null {
  if (!value) return null;
  return Array.isArray(value) ? value.map((v) => v.text).join(', ') : value.text;
}
