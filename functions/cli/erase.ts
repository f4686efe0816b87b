import { parseArgs } from 'node:util';
import { viewOf } from '../core/governance/privacy-admin.ts';
import { type Command, UsageError } from './command.ts';
import { addressOf, privacyJobInSandbox, summary } from './export.ts';
import { writeJsonLine } from './output.ts';
import { readSandboxInfo } from './sandbox-file.ts';

const HELP = `Usage: postroom erase --address ADDRESS [--json]

Erases one email address from the running sandbox, as a data-protection erasure request asks:
- the address gets a hashed account-wide suppression entry first, so it is never mailed again
  (the suppression list shows it as sha256:…, reason erasure);
- its conversations are deleted with everything in them (messages, raw mail, attachments,
  planned replies and uploads, Message-ID claims, ticket and reply-token index items, notes);
- in a conversation shared with other people, its messages become stubs ("[erased]") and the
  others' messages, raw copies and records are redacted of it (a Cc, a quoted "… wrote:" line);
- acknowledgement claims, window events, suppression entries, failed mail, feedback records and
  audit entries naming it are deleted or redacted; earlier exports of it are deleted.
Conversations under a legal hold are left untouched and listed: erase again once it is lifted.
Running it again is harmless. One audit record says what was done and by whom, without the address.

Progress goes to stderr; what was done to stdout. The same job runs behind POST /privacy/erasures.

Options:
  --address ADDRESS   the person's email address
  --json              print the finished job as one JSON line

Example:
  npx postroom erase --address carla@customer.example`;

export const eraseCommand: Command = {
  help: HELP,
  async run(args) {
    const { values, positionals } = parseArgs({ args: [...args], options: { address: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true });
    if (positionals.length > 0) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
    const address = addressOf(values.address);
    const job = await privacyJobInSandbox(await readSandboxInfo(), 'erasure', address);
    if (values.json) await writeJsonLine(viewOf(job));
    if (job.status !== 'done') {
      process.stderr.write(`erasure ${job.id} failed: ${job.error ?? job.status}; run it again to go on from where it stopped\n`);
      return 1;
    }
    if (!values.json) process.stdout.write(`erased (job ${job.id}): ${summary(job)}\n`);
    return 0;
  },
};
