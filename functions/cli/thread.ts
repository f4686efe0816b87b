import { decideMessage } from '../core/inbound/decide-message.ts';
import { InMemoryThreading } from './in-memory-threading.ts';
import type { ChannelSettings } from '../core/model/channel.ts';
import type { ParsedMessage } from '../core/model/message.ts';
import type { IdGenerator } from '../core/ports/clock.ts';
import type { Command } from './command.ts';
import { runOverMailFiles } from './mail-files.ts';

const HELP = `Usage: postroom thread [--channel SETTINGS.json] FILE...

Feeds the mail files, in the order given, through classification and threading with an
in-memory conversation store, and prints one JSON line per file: file, conversation, ticketNumber,
rule (in-reply-to, references, ticket-number, reply-token, original-message, new-conversation,
unattached), isNew, plus lane, action, flags and the reason. Automatic mail (bounces,
auto-replies, out-of-office) never opens a conversation: it joins the one it answers, or is
unattached (conversation null). A file that cannot be parsed gives {"file", "error"}.

Options:
  --channel FILE   channel settings JSON: ticket number format, threading policy
                   ("prefer-in-reply-to" or "ignore-in-reply-to"), addresses

Examples:
  npx postroom thread question.eml reply.eml out-of-office.eml
  npx postroom thread --channel channel.json mails/*.eml | jq -c '[.file, .conversation, .rule]'`;

/** Sequential ids (`conv-1`, `conv-2`, …) so the CLI's output is readable and repeatable. */
export class SequentialIds implements IdGenerator {
  private n = 0;
  constructor(private readonly prefix: string) {}
  next(): string {
    this.n += 1;
    return `${this.prefix}${this.n}`;
  }
}

/** Threads one parsed message into the store and returns the line `thread` prints for it. */
export async function threadOne(
  store: InMemoryThreading,
  channel: ChannelSettings,
  file: string,
  message: ParsedMessage,
): Promise<Record<string, unknown>> {
  const decision = await decideMessage({ lookup: store }, { message, channel });
  const applied = await store.apply(channel.id, decision.thread, { channel, message, lane: decision.classification.lane, tags: decision.tags });
  return {
    file,
    conversation: applied?.id ?? null,
    ticketNumber: applied?.ticketNumber ?? null,
    rule: decision.thread.rule,
    isNew: applied?.created ?? false,
    lane: decision.classification.lane,
    action: decision.thread.action,
    flags: decision.thread.flags,
    reason: decision.thread.reason,
  };
}

export const threadCommand: Command = {
  help: HELP,
  run: (args) =>
    runOverMailFiles(args, (channel) => {
      const store = new InMemoryThreading({ ids: new SequentialIds('conv-') });
      return (file, message) => threadOne(store, channel, file, message);
    }),
};
