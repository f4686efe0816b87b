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
unattached (conversation null). A file with the Message-ID of an earlier one is the same mail
delivered twice: rule and action "duplicate", duplicateOf naming the first file, in its
conversation. A file that cannot be parsed gives {"file", "error"}.

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

/** The files threaded so far, by Message-ID: the first file of each, which a second copy names. */
export type ThreadedFiles = Map<string, string>;

/**
 * Threads one parsed message into the store and returns the line `thread` prints for it. With
 * `threaded`, each file is a stored message of its own, so a second file with a Message-ID seen
 * before is what the Lambda makes of the same mail delivered twice: a `duplicate` of the first,
 * in its conversation, opening nothing.
 */
export async function threadOne(
  store: InMemoryThreading,
  channel: ChannelSettings,
  file: string,
  message: ParsedMessage,
  threaded?: ThreadedFiles,
): Promise<Record<string, unknown>> {
  const decision = await decideMessage({ lookup: store }, { message, channel });
  const owner = threaded ? { owner: `file-${threaded.size + 1}-${file}` } : {};
  const applied = await store.apply(channel.id, decision.thread, { channel, message, lane: decision.classification.lane, tags: decision.tags, ...owner });
  const first = message.messageId ? threaded?.get(message.messageId) : undefined;
  if (threaded && message.messageId && first === undefined) threaded.set(message.messageId, file);
  const line = {
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
  if (!applied?.copy && first === undefined) return line;
  return {
    ...line,
    rule: 'duplicate',
    isNew: false,
    action: 'duplicate',
    duplicateOf: first ?? null,
    reason: `a second copy of ${first ?? 'a mail seen before'} (same Message-ID), in its conversation`,
  };
}

export const threadCommand: Command = {
  help: HELP,
  run: (args) =>
    runOverMailFiles(args, (channel) => {
      const store = new InMemoryThreading({ ids: new SequentialIds('conv-') });
      const threaded: ThreadedFiles = new Map();
      return (file, message) => threadOne(store, channel, file, message, threaded);
    }),
};
