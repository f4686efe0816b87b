/** Writes one JSON object as a line to stdout, waiting for the pipe when it is full. */
export function writeJsonLine(value: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(`${JSON.stringify(value)}\n`, (error) => (error ? reject(error) : resolve()));
  });
}

/** The line printed for a file that could not be processed. */
export function errorLine(file: string, error: unknown): { file: string; error: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { file, error: typeof code === 'string' ? `${code}: ${error.message}` : error.message };
  }
  return { file, error: String(error) };
}
