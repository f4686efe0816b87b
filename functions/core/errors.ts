/**
 * Error types of the domain. Every error carries a stable `code` and a `retryable` flag so
 * entry points can dispatch with `instanceof` and decide between "failed state" and "retry".
 */
export class AppError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** The mail cannot be parsed or breaks a hostile-input limit. Not retryable: the raw copy is kept. */
export class MailParseError extends AppError {
  readonly limit: string | null;

  constructor(message: string, options: { limit?: string; cause?: unknown } = {}) {
    super(options.limit ? `limit-${options.limit}` : 'malformed-mail', message, { cause: options.cause });
    this.limit = options.limit ?? null;
  }
}

/** Input (config, API body, channel settings) does not match its schema. */
export class ValidationError extends AppError {
  readonly issues: readonly { path: string; message: string }[];

  constructor(message: string, issues: readonly { path: string; message: string }[] = []) {
    super('validation', message);
    this.issues = issues;
  }
}

/** A lookup found nothing. */
export class NotFoundError extends AppError {
  constructor(message: string) {
    super('not-found', message);
  }
}

/** A conditional write lost a race or a resource already exists. */
export class ConflictError extends AppError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('conflict', message, { retryable: true, cause: options.cause });
  }
}

/** A required environment variable or config value is missing or invalid. */
export class ConfigError extends AppError {
  constructor(message: string) {
    super('config', message);
  }
}
