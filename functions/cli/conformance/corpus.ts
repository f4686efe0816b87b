import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';

/** Default location of the labelled corpus, relative to the project root. */
export const DEFAULT_CORPUS_DIR = resolve(import.meta.dirname, '../../../../shared/corpus');

/** One row of the corpus `index.csv`. */
export interface IndexEntry {
  readonly source: string;
  /** Path relative to the corpus root, e.g. `sisimai/bounce/lhost-postfix-01.eml`. */
  readonly file: string;
  readonly category: string;
  readonly thread: string;
  readonly labelStatus: string;
}

export function corpusPresent(dir: string): boolean {
  return existsSync(join(dir, 'index.csv'));
}

/** Reads a CSV file of the corpus into records keyed by its header row. */
export async function readCsv(dir: string, file: string): Promise<Record<string, string>[]> {
  const text = await readFile(join(dir, file), 'utf8');
  return parse(text, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
}

export async function readJson<T>(dir: string, file: string): Promise<T> {
  return JSON.parse(await readFile(join(dir, file), 'utf8')) as T;
}

export async function readIndex(dir: string): Promise<IndexEntry[]> {
  const rows = await readCsv(dir, 'index.csv');
  return rows.map((r) => ({
    source: r.source ?? '',
    file: r.file ?? '',
    category: r.category ?? '',
    thread: r.thread ?? '',
    labelStatus: r.label_status ?? '',
  }));
}
