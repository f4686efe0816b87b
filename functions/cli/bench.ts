import { parseArgs } from 'node:util';
import { runBench, runColdStartBench } from '../../bench/run.ts';
import { formatColdStartReport, formatReport } from '../../bench/report.ts';
import { type Command, UsageError } from './command.ts';

const HELP = `Usage: postroom bench [--json] [--quick] [--only cold-start] [--mails N] [--connections N] [--e2e-seconds S]

Benchmarks the inbound path on generated mail (5 KB reply, 60 KB newsletter, 2 MB with two
attachments, 25 MB and 40 MB with one): core decision vs bare mailparser, the slowest of
fourteen hostile mails of about 1 MB (lines that made patterns backtrack, deep HTML, broken
MIME), reply extraction per message against planer and email-reply-parser on conformance's
reply suites, AWS calls per mail, end to end through the sandbox, peak memory per size, and the cost
per 1,000,000 mails; and the
send path: AWS calls per agent reply (queueing and sending, against a local SES) and compose
time per reply shape. For every Lambda function: bundle size, the npm packages it carries, and
the import time of each Postroom function with where it goes. Prints PASS or MISS against each goal.
Runs local servers on 127.0.0.1 only. Exit code 0 even when a goal is missed.

Options:
  --json            one JSON object with every figure, instead of the table
  --quick           fewer rounds, 300 mails end to end (about a minute)
  --only cold-start the bundles, imports and the inbound first mail only (section 7 and its goals;
                    with --json, an object with machine, coldStart and goals)
  --mails N         mails for the end-to-end run (default 2000; 0 skips it)
  --connections N   concurrent SMTP connections for the end-to-end run (default 4)
  --e2e-seconds S   start no end-to-end mail after S seconds (default 150, a safety cap; 20 with --quick)

Examples:
  npm run bench
  npm run -s bench -- --json > bench.json   # -s: no npm banner in the JSON
  npm run bench -- --only cold-start`;

export const benchCommand: Command = {
  help: HELP,
  async run(args) {
    const { values } = parseArgs({
      args: [...args],
      options: {
        json: { type: 'boolean' },
        quick: { type: 'boolean' },
        only: { type: 'string' },
        mails: { type: 'string' },
        connections: { type: 'string' },
        'e2e-seconds': { type: 'string' },
      },
    });
    const quick = values.quick ?? false;
    const progress = (line: string) => process.stderr.write(`${line}\n`);
    if (values.only !== undefined) {
      if (values.only !== 'cold-start') throw new UsageError('--only takes cold-start');
      const result = await runColdStartBench({ quick, progress });
      process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatColdStartReport(result));
      return 0;
    }
    const mails = Number(values.mails ?? (quick ? 300 : 2000));
    const connections = Number(values.connections ?? 4);
    const e2eSeconds = Number(values['e2e-seconds'] ?? (quick ? 20 : 150));
    if (!(e2eSeconds > 0)) throw new UsageError('--e2e-seconds takes a positive number');
    if (!Number.isInteger(mails) || mails < 0) throw new UsageError('--mails takes a whole number');
    if (!Number.isInteger(connections) || connections < 1) throw new UsageError('--connections takes a positive whole number');
    const result = await runBench({ quick, mails, connections, e2eSeconds, progress });
    process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatReport(result));
    return 0;
  },
};
