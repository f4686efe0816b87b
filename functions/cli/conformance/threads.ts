import { MemoryConversationStore } from '../../core/inbound/memory-conversation-store.ts';
import type { ParsedMessage } from '../../core/model/message.ts';
import { DEFAULT_CHANNEL } from '../channel-file.ts';
import { SequentialIds, threadOne } from '../thread.ts';
import type { IndexEntry } from './corpus.ts';

export interface ThreadCheck {
  readonly file: string;
  readonly expected: string;
  readonly actual: string;
  readonly agrees: boolean;
}

/**
 * Threads each notmuch sub-corpus (default, lkml, threading-edge) through its own in-memory
 * store, files in name order, and checks the grouping: a file agrees when the files sharing its
 * conversation are exactly the files sharing its labelled thread.
 */
export async function checkThreads(entries: readonly IndexEntry[], parsed: ReadonlyMap<string, ParsedMessage>): Promise<ThreadCheck[]> {
  const notmuch = entries.filter((e) => e.source === 'notmuch' && e.thread !== '');
  const groups = new Map<string, IndexEntry[]>();
  for (const entry of notmuch) {
    const corpus = entry.file.split('/')[1] ?? '';
    groups.set(corpus, [...(groups.get(corpus) ?? []), entry]);
  }
  const checks: ThreadCheck[] = [];
  for (const files of groups.values()) {
    const store = new MemoryConversationStore({ ids: new SequentialIds('conv-') });
    const conversationOf = new Map<string, string>();
    for (const entry of [...files].sort((a, b) => a.file.localeCompare(b.file))) {
      const message = parsed.get(entry.file);
      if (!message) continue;
      const line = await threadOne(store, DEFAULT_CHANNEL, entry.file, message);
      conversationOf.set(entry.file, String(line.conversation ?? `unattached:${entry.file}`));
    }
    for (const entry of files) {
      const actual = conversationOf.get(entry.file) ?? '(unparsed)';
      const expectedPeers = files.filter((e) => e.thread === entry.thread).map((e) => e.file).sort();
      const actualPeers = files.filter((e) => conversationOf.get(e.file) === actual).map((e) => e.file).sort();
      checks.push({
        file: entry.file,
        expected: entry.thread,
        actual: `${actual} (with ${actualPeers.length - 1} others)`,
        agrees: expectedPeers.join('\n') === actualPeers.join('\n'),
      });
    }
  }
  return checks;
}
