import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

/*
 * The functions run without `--enable-source-maps`: with it, Node reads and parses every output
 * file's source map when the file loads (about 20 ms of the inbound import, and 1.5 MB more when
 * the language detector's chunk loads on the first mail). Stack traces stay readable another
 * way: the bundles keep names (`keepNames`) and ship their `.map` files, and an error that is
 * logged has its frames mapped here, the map read on the first logged error only.
 */

const maps = new Map<string, SourceMap | null>();

/** The source map beside a bundled file (`index.mjs.map`), parsed once; null when there is none. */
function mapOf(file: string): SourceMap | null {
  let map = maps.get(file);
  if (map !== undefined) return map;
  try {
    map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]);
  } catch {
    map = null;
  }
  maps.set(file, map);
  return map;
}

/** A source path from a map, from `functions/` or `node_modules/` on (`../../functions/x.ts` → `functions/x.ts`). */
function shortSource(source: string): string {
  const at = Math.max(source.lastIndexOf('node_modules/'), source.lastIndexOf('functions/'));
  return at >= 0 ? source.slice(at) : source;
}

/** One stack frame with its bundle position (`file:///var/task/index.mjs:1:234`) replaced by the source's; unchanged when not mappable. */
export function mapFrame(line: string): string {
  const open = line.lastIndexOf('(');
  const start = open >= 0 ? open + 1 : line.indexOf('file://');
  if (start < 0 || !line.startsWith('file://', start)) return line;
  const end = line.endsWith(')') ? line.length - 1 : line.length;
  const location = line.slice(start, end);
  const columnAt = location.lastIndexOf(':');
  const lineAt = location.lastIndexOf(':', columnAt - 1);
  const row = Number(location.slice(lineAt + 1, columnAt));
  const column = Number(location.slice(columnAt + 1));
  if (lineAt < 0 || !Number.isInteger(row) || !Number.isInteger(column)) return line;
  let file: string;
  try {
    file = fileURLToPath(location.slice(0, lineAt));
  } catch {
    return line;
  }
  const entry = mapOf(file)?.findEntry(row - 1, column - 1);
  if (!entry || !('originalSource' in entry)) return line;
  return `${line.slice(0, start)}${shortSource(entry.originalSource)}:${entry.originalLine + 1}:${entry.originalColumn + 1}${line.slice(end)}`;
}

/** A stack with every frame in a bundle that ships its source map mapped to the source. */
export function mapStack(stack: string): string {
  return stack.split('\n').map(mapFrame).join('\n');
}

/**
 * The error as the logs show it: the same fields, with its stack (and its causes' stacks) mapped
 * to the sources. The error itself is left as it is.
 */
export function withSourceStack<E extends Error>(error: E): E {
  const stack = typeof error.stack === 'string' ? mapStack(error.stack) : error.stack;
  const cause = error.cause instanceof Error ? withSourceStack(error.cause) : error.cause;
  if (stack === error.stack && cause === error.cause) return error;
  const copy = Object.assign(Object.create(Object.getPrototypeOf(error) as object) as E, error);
  Object.defineProperty(copy, 'message', { value: error.message, writable: true, configurable: true });
  Object.defineProperty(copy, 'stack', { value: stack, writable: true, configurable: true });
  if ('cause' in error) Object.defineProperty(copy, 'cause', { value: cause, writable: true, configurable: true });
  return copy;
}
