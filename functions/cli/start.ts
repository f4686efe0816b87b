import { parseArgs } from 'node:util';
import { relative, resolve } from 'node:path';
import { startSandbox, type SandboxInfo } from '../local/sandbox.ts';
import { ALL_PASS, parseVerdicts } from '../local/ses-receipt.ts';
import { loadConfig } from '../../lib/load-config.ts';
import { type Command, UsageError } from './command.ts';

/** Where `npm start` finds its config when no --config is given. */
export const SANDBOX_CONFIG_FILE = 'postroom.sandbox.json';
/** Where the running sandbox writes its endpoints (and, beside it, `admin-token` and `tokens/<user>`, mode 0600). */
export const SANDBOX_STATE_FILE = '.postroom/sandbox.json';

const HELP = `Usage: postroom start [--config FILE] [--data DIR] [--verdicts LIST] [--quiet]

Runs the email channel on this machine, with no AWS account, on 127.0.0.1 only:
an SMTP server where SES receiving would stand, local DynamoDB (dynalite), S3 and SQS (fauxqs)
servers, and the real inbound Lambda handler. Mail for a channel address is stored, parsed,
classified, threaded and its pointer put on the skill's FIFO queue; other addresses get 550.
When ready it prints the endpoints and "postroom: ready", and writes them as JSON to
${SANDBOX_STATE_FILE}. Ctrl-C stops everything.

Options:
  --config FILE     channels, skills and routing (default: ${SANDBOX_CONFIG_FILE}; same format as the
                    deploy config postroom.config.json)
  --data DIR        keep state in DIR across restarts (default: in memory)
  --verdicts LIST   SES verdicts every mail gets, e.g. "spam=FAIL" or "virus=FAIL" (default: all
                    PASS); a mail can set its own with a header "X-Sandbox-Verdicts: spam=FAIL"
  --quiet           log only warnings and errors of the handler

Environment:
  POSTROOM_SMTP_PORT         SMTP port where SES receiving stands (default 2525)
  POSTROOM_OUTBOX_SMTP_PORT  the sandbox's own SMTP server, where a channel's SMTP server stands (default 2587)
  POSTROOM_API_PORT          admin API port (default 8787), http://127.0.0.1:PORT, OpenAPI at /openapi.json
  POSTROOM_CONSOLE_PORT      the agent console in the browser (default 8788), http://127.0.0.1:PORT/
  POSTROOM_IMAP_PORT         the sandbox's mailbox server (dovecot), IMAP (default 1143)
  POSTROOM_POP3_PORT         the sandbox's mailbox server, POP3 (default 1110)
  POSTROOM_ADMIN_TOKEN       bearer token of the admin user (default: a new one); every user of the
                             config gets a token in .postroom/tokens/<user> (mode 0600), the admin's
                             also in .postroom/admin-token; only their first characters are printed

Examples:
  npm start
  npx postroom start --data .postroom/data
  POSTROOM_SMTP_PORT=2526 npx postroom start --config my-channels.json`;

function portFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${name}=${text} is not a port number`);
  return port;
}

/**
 * A token as the terminal (and any log the banner is piped to) may show it: a few first characters,
 * never more than a quarter of it, so a short POSTROOM_ADMIN_TOKEN is not given away; the whole
 * one is in its file.
 */
export function hint(token: string): string {
  return `${token.slice(0, Math.min(8, Math.floor(token.length / 4)))}…`;
}

/** Whom the banner suggests signing in to the console as: the sample config's first agent, else the first user. */
function signInAs(tokens: Readonly<Record<string, string>>): string {
  return 'agent-1' in tokens ? 'agent-1' : (Object.keys(tokens)[0] ?? 'admin');
}

function describe(info: SandboxInfo, tokens: Readonly<Record<string, string>>): string {
  const width = Math.max(...Object.keys(info.queues).map((s) => s.length));
  const users = Math.max(0, ...Object.keys(tokens).map((u) => u.length));
  const queues = Object.entries(info.queues).map(([skill, url], i) => `${i === 0 ? '  queues      ' : '              '}${skill.padEnd(width)}  ${url}`);
  return [
    'Postroom sandbox',
    `  SMTP        ${info.smtp.host}:${info.smtp.port}   mail for: ${info.channels.flatMap((c) => c.addresses).join(', ')}`,
    `  DynamoDB    ${info.aws.endpoints.dynamodb}   table ${info.table}`,
    `  S3          ${info.aws.endpoints.s3}   bucket ${info.bucket}`,
    `  SQS         ${info.aws.endpoints.sqs}`,
    ...queues,
    `  sending     SES ${info.sending.ses} (aws-ses-v2-local)   SMTP ${info.sending.smtp.host}:${info.sending.smtp.port} (STARTTLS)`,
    `  outbox      ${relative(process.cwd(), info.outbox) || '.'}`,
    info.mailbox
      ? `  mailbox     IMAP ${info.mailbox.imap.host}:${info.mailbox.imap.port}   POP3 ${info.mailbox.pop3.host}:${info.mailbox.pop3.port}   user ${info.mailbox.user} (dovecot; password in ${relative(process.cwd(), info.mailbox.passwordFile)})`
      : '  mailbox     off (apt-get install dovecot-imapd dovecot-pop3d for the local IMAP/POP3 mailbox)',
    info.adminApi ? `  admin API   ${info.adminApi.url}   (OpenAPI: ${info.adminApi.url}/openapi.json)` : '  admin API   off',
    `  console     ${info.console ? `${info.console.url}   (the agent console: sign in with a token below)` : 'off'}`,
    ...Object.entries(tokens).map(([user, token], i) => {
      const file = info.adminApi?.tokens[user];
      return `${i === 0 ? '  API tokens  ' : '              '}${user.padEnd(users)}  ${hint(token)}${file ? `   ${relative(process.cwd(), file)} (mode 0600)` : ''}`;
    }),
    `  state       ${info.dataDir ? `kept in ${info.dataDir}` : 'in memory (--data DIR keeps it)'}`,
    `  endpoints   ${SANDBOX_STATE_FILE}`,
    '',
    ...(info.console
      ? [
          `Open  ${info.console.url}   (the console; sign in as ${signInAs(tokens)} with the token in ${relative(process.cwd(), info.adminApi?.tokens[signInAs(tokens)] ?? '.postroom/tokens')})`,
        ]
      : []),
    'Try:  npx postroom send            (a sample mail to the first channel)',
    `      ${`npx postroom queue ${Object.keys(info.queues)[0] ?? 'SKILL'}`.padEnd(28)} (what waits on that skill's queue)`,
    '      npx postroom reply --ticket NUMBER --text "Thanks!"   (answer it; the mail lands in the outbox)',
    '      npx postroom outbox          (what was sent)',
    ...(info.mailbox ? ['      npx postroom send --mailbox  (a mail into the local IMAP mailbox; the mailbox channel polls it)'] : []),
    '',
  ].join('\n');
}

export const startCommand: Command = {
  help: HELP,
  async run(args) {
    const { values } = parseArgs({
      args: [...args],
      options: { config: { type: 'string' }, data: { type: 'string' }, verdicts: { type: 'string' }, quiet: { type: 'boolean' } },
    });
    const config = loadConfig(values.config ?? SANDBOX_CONFIG_FILE);
    const sandbox = await startSandbox({
      config,
      smtpPort: portFromEnv('POSTROOM_SMTP_PORT', 2525),
      outboxSmtpPort: portFromEnv('POSTROOM_OUTBOX_SMTP_PORT', 2587),
      imapPort: portFromEnv('POSTROOM_IMAP_PORT', 1143),
      pop3Port: portFromEnv('POSTROOM_POP3_PORT', 1110),
      dataDir: values.data ? resolve(values.data) : undefined,
      verdicts: values.verdicts ? parseVerdicts(values.verdicts, ALL_PASS) : undefined,
      logLevel: values.quiet ? 'WARN' : 'INFO',
      stateFile: resolve(SANDBOX_STATE_FILE),
      apiPort: portFromEnv('POSTROOM_API_PORT', 8787),
      consolePort: portFromEnv('POSTROOM_CONSOLE_PORT', 8788),
      adminToken: process.env.POSTROOM_ADMIN_TOKEN || undefined,
    });
    process.stdout.write(describe(sandbox.info, sandbox.tokens));
    process.stdout.write('postroom: ready\n');

    await new Promise<void>((done) => {
      let stopping = false;
      const stop = (): void => {
        if (stopping) process.exit(1);
        stopping = true;
        process.stdout.write('postroom: stopping\n');
        sandbox.stop().then(
          () => {
            process.stdout.write('postroom: stopped\n');
            done();
          },
          (error: unknown) => {
            process.stderr.write(`postroom: error while stopping: ${String(error)}\n`);
            done();
          },
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
};
