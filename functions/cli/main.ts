import { readFileSync } from 'node:fs';
import type { Command } from './command.ts';

interface Entry {
  readonly summary: string;
  /** Loaded on use, so each command pulls in only what it needs. */
  readonly load: () => Promise<Command>;
}

const COMMANDS: Record<string, Entry> = {
  start: {
    summary: 'run the whole channel locally (SMTP in, local AWS servers, skill queues)',
    load: async () => (await import('./start.ts')).startCommand,
  },
  send: {
    summary: 'send a sample mail or .eml files to the running sandbox',
    load: async () => (await import('./send.ts')).sendCommand,
  },
  queue: {
    summary: "show what waits on a skill's queue in the running sandbox",
    load: async () => (await import('./queue.ts')).queueCommand,
  },
  reply: {
    summary: 'answer a conversation in the running sandbox; the mail lands in the outbox',
    load: async () => (await import('./reply.ts')).replyCommand,
  },
  compose: {
    summary: 'start a conversation in the running sandbox with a new mail to a customer',
    load: async () => (await import('./compose.ts')).composeCommand,
  },
  outbox: {
    summary: 'list the mail the running sandbox has sent',
    load: async () => (await import('./outbox.ts')).outboxCommand,
  },
  suppression: {
    summary: 'list, add or remove suppressed addresses in the running sandbox',
    load: async () => (await import('./suppression.ts')).suppressionCommand,
  },
  retention: {
    summary: 'expire what is due in the running sandbox now (as TTL and lifecycle rules do in AWS)',
    load: async () => (await import('./retention.ts')).retentionCommand,
  },
  import: {
    summary: 'import an mbox, Maildir or .eml files into a channel as closed conversations',
    load: async () => (await import('./import.ts')).importCommand,
  },
  export: {
    summary: 'export everything held about one email address as a zip archive (subject access)',
    load: async () => (await import('./export.ts')).exportCommand,
  },
  erase: {
    summary: 'erase one email address: delete or redact its data, suppress it by hash',
    load: async () => (await import('./erase.ts')).eraseCommand,
  },
  inspect: {
    summary: 'parse and classify mail files, one JSON line each',
    load: async () => (await import('./inspect.ts')).inspectCommand,
  },
  feedback: {
    summary: 'read SES event payloads as the feedback function does, one JSON line each',
    load: async () => (await import('./feedback.ts')).feedbackCommand,
  },
  thread: {
    summary: 'thread mail files into conversations, one JSON line each',
    load: async () => (await import('./thread.ts')).threadCommand,
  },
  conformance: {
    summary: 'score the inbound core against the labelled real-mail corpus',
    load: async () => (await import('./conformance/command.ts')).conformanceCommand,
  },
  schema: {
    summary: 'print (or --write) the JSON Schema of the routed-message record',
    load: async () => (await import('./schema.ts')).schemaCommand,
  },
  bench: {
    summary: 'benchmark speed, AWS calls, memory, cold start and cost per million mails',
    load: async () => (await import('./bench.ts')).benchCommand,
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`);
  return [
    'Usage: postroom <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `postroom <command> --help` for the options and examples of a command, `postroom --version` for the version.',
  ].join('\n');
}

/** The version of this checkout, from its package.json. */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return String(pkg.version ?? 'unknown');
}

/** Runs the CLI and returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  // Asking for the overview is no mistake: usage on stdout, exit 0, with or without --help.
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    process.stderr.write(`postroom: unknown command '${name}'\n\n${usage()}\n`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.help}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`postroom ${name}: ${message}\n`);
    return 2;
  }
}
