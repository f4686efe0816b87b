/** One subcommand of the `postroom` CLI. */
export interface Command {
  /** Full help text with options and examples. */
  readonly help: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(args: readonly string[]): Promise<number>;
}

/** Raised for bad command-line usage; the message is shown to the user as is. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
