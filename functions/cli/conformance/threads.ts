import { InMemoryThreading } from '../in-memory-threading.ts';
import type { ParsedMessage } from '../../core/model/message.ts';
import { DEFAULT_CHANNEL } from '../channel-file.ts';
import { SequentialIds, threadOne } from '../thread.ts';
import type { IndexEntry } from './corpus.ts';
import { THREAD_LABEL_NOTES } from './label-notes.ts';

export interface ThreadCheck {
  readonly file: string;
  readonly expected: string;
  readonly actual: string;
  /** Agreement with the thread as the label has it. */
  readonly agreesAsLabelled: boolean;
  /** Agreement with the thread after the label notes are applied. */
  readonly agrees: boolean;
}

type Parsed = ReadonlyMap<string, ParsedMessage>;

/**
 * The expected thread of each file: the label's, except that a thread named in
 * THREAD_LABEL_NOTES is split into the connected parts of its reply graph without the ids
 * the note names.
 */
function expectedThreads(files: readonly IndexEntry[], parsed: Parsed): Map<string, string> {
  const expected = new Map(files.map((e) => [e.file, e.thread]));
  for (const [thread, note] of Object.entries(THREAD_LABEL_NOTES)) {
    const members = files.filter((e) => e.thread === thread);
    const parent = new Map<string, string>();
    const find = (x: string): string => {
      const p = parent.get(x) ?? x;
      if (p === x) return x;
      const root = find(p);
      parent.set(x, root);
      return root;
    };
    const union = (a: string, b: string): void => void parent.set(find(a), find(b));
    for (const entry of members) {
      const m = parsed.get(entry.file);
      const ids = [m?.messageId, m?.inReplyTo, ...(m?.references ?? [])].filter((id): id is string => typeof id === 'string' && !note.notLinks.includes(id));
      for (const id of ids) union(`file:${entry.file}`, `id:${id}`);
    }
    for (const entry of members) expected.set(entry.file, `${thread}/${find(`file:${entry.file}`)}`);
  }
  return expected;
}

function peers(files: readonly IndexEntry[], key: (file: string) => string | undefined, file: string): string {
  const own = key(file);
  return files
    .filter((e) => key(e.file) === own)
    .map((e) => e.file)
    .sort()
    .join('\n');
}

/**
 * Threads each notmuch sub-corpus (default, lkml, threading-edge) through its own in-memory
 * store, files in name order, and checks the grouping: a file agrees when the files sharing its
 * conversation are exactly the files sharing its expected thread.
 */
export async function checkThreads(entries: readonly IndexEntry[], parsed: Parsed): Promise<ThreadCheck[]> {
  const groups = new Map<string, IndexEntry[]>();
  for (const entry of entries.filter((e) => e.source === 'notmuch' && e.thread !== '')) {
    const corpus = entry.file.split('/')[1] ?? '';
    groups.set(corpus, [...(groups.get(corpus) ?? []), entry]);
  }
  const checks: ThreadCheck[] = [];
  for (const files of groups.values()) {
    const store = new InMemoryThreading({ ids: new SequentialIds('conv-') });
    const conversationOf = new Map<string, string>();
    for (const entry of [...files].sort((a, b) => a.file.localeCompare(b.file))) {
      const message = parsed.get(entry.file);
      if (!message) continue;
      const line = await threadOne(store, DEFAULT_CHANNEL, entry.file, message);
      conversationOf.set(entry.file, String(line.conversation ?? `unattached:${entry.file}`));
    }
    const expected = expectedThreads(files, parsed);
    for (const entry of files) {
      const actualPeers = peers(files, (f) => conversationOf.get(f), entry.file);
      checks.push({
        file: entry.file,
        expected: expected.get(entry.file) ?? entry.thread,
        actual: `${conversationOf.get(entry.file) ?? '(unparsed)'} (with ${actualPeers.split('\n').length - 1} others)`,
        agreesAsLabelled: actualPeers === peers(files, (f) => files.find((e) => e.file === f)?.thread, entry.file),
        agrees: actualPeers === peers(files, (f) => expected.get(f), entry.file),
      });
    }
  }
  return checks;
}
