/** Writes one JSON object as a line to stdout, waiting for the pipe when it is full. */
export function writeJsonLine(value: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(`${JSON.stringify(value)}\n`, (error) => (error ? reject(error) : resolve()));
  });
}

/** What a file error says, in words, for the codes a user meets. */
const FILE_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EISDIR: 'a directory, not a file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/** The line printed for a file that could not be processed. */
export function errorLine(file: string, error: unknown): { file: string; error: string } {
  if (error instanceof Error) {
    const { code, syscall } = error as { code?: unknown; syscall?: unknown };
    if (typeof code === 'string' && typeof syscall === 'string') {
      // Node's own text repeats the code and the path the line names already ("ENOENT: no such file or directory, open 'x'").
      const said = error.message.startsWith(`${code}: `) ? error.message.slice(code.length + 2).split(', ')[0] : error.message;
      return { file, error: `${FILE_ERRORS[code] ?? said} (${code})` };
    }
    return { file, error: typeof code === 'string' ? `${code}: ${error.message}` : error.message };
  }
  return { file, error: String(error) };
}
