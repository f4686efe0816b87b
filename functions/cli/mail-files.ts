import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { MailparserMimeParser } from '../adapters/mailparser-mime-parser.ts';
import type { ChannelSettings } from '../core/model/channel.ts';
import type { ParsedMessage } from '../core/model/message.ts';
import { loadChannel } from './channel-file.ts';
import { UsageError } from './command.ts';
import { errorLine, writeJsonLine } from './output.ts';

/** Turns one parsed mail file into the JSON line a command prints for it. */
export type FileHandler = (file: string, message: ParsedMessage) => Promise<Record<string, unknown>> | Record<string, unknown>;

/**
 * The loop `inspect` and `thread` share: `[--channel FILE] FILE...`, each file parsed in order
 * and handed on, one JSON line per file; a file that cannot be parsed gives `{file, error}` and
 * the loop goes on. Resolves to the exit code: 1 when a file could not be read at all.
 */
export async function runOverMailFiles(args: readonly string[], handlerFor: (channel: ChannelSettings) => FileHandler): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], options: { channel: { type: 'string' } }, allowPositionals: true });
  if (positionals.length === 0) throw new UsageError('no files given (see --help)');
  const channel = await loadChannel(values.channel);
  const handle = handlerFor(channel);
  const parser = new MailparserMimeParser();
  let unreadable = 0;
  for (const file of positionals) {
    const raw = await readFile(file).catch((error: unknown) => error as Error);
    if (raw instanceof Error) {
      unreadable += 1;
      await writeJsonLine(errorLine(file, raw));
      continue;
    }
    try {
      const message = await parser.parse(raw, { maxBytes: channel.maxMessageBytes });
      await writeJsonLine(await handle(file, message));
    } catch (error) {
      await writeJsonLine(errorLine(file, error));
    }
  }
  return unreadable > 0 ? 1 : 0;
}
