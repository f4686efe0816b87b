/**
 * Error types of the domain. Every error carries a stable `code` and a `retryable` flag so
 * entry points can dispatch with `instanceof` and decide between "failed state" and "retry".
 *
 * Names are string literals, not `new.target.name`: a minified bundle renames classes, and a
 * log line saying `e` instead of `MailParseError` helps nobody.
 */

/** Every code an error of Postroom can carry. Stable: logs, metrics and API bodies use them. */
export const ERROR_CODES = [
  // mail that cannot be read
  'malformed-mail',
  'limit-size',
  'limit-depth',
  'limit-parts',
  'limit-header-size',
  'limit-references',
  // mail that cannot be built
  'compose-failed',
  // input and configuration
  'validation',
  'config',
  'not-found',
  'forbidden',
  'unknown-recipient',
  // concurrency: a race that a retry settles, and a conflict a caller must resolve
  'busy',
  'conflict',
  // policy refusals
  'policy',
  'header-injection',
  'suppressed',
  'blocked-host',
  // dependencies
  'raw-missing',
  'dependency-rejected',
  'dependency-unavailable',
  'credentials',
  'transport-permanent',
  'transport-transient',
  // store invariants
  'merge-loop',
  'conversation-state',
  'unexpected-error',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface AppErrorOptions {
  readonly retryable?: boolean;
  readonly cause?: unknown;
}

export class AppError extends Error {
  override name = 'AppError';
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** Names of the hostile-input limits the parser enforces. */
export type ParseLimitName = 'size' | 'depth' | 'parts' | 'header-size' | 'references';

/** The mail cannot be parsed or breaks a hostile-input limit. Not retryable: the raw copy is kept. */
export class MailParseError extends AppError {
  override name = 'MailParseError';
  readonly limit: ParseLimitName | null;

  constructor(message: string, options: { limit?: ParseLimitName; cause?: unknown } = {}) {
    super(options.limit ? `limit-${options.limit}` : 'malformed-mail', message, { cause: options.cause });
    this.limit = options.limit ?? null;
  }
}

/** One problem of an input: the field (dotted path) and what is wrong with it. */
export interface ValidationIssue {
  readonly path: string;
  readonly message: string;
}

/** Input (config, API body, channel settings, a reply) does not match its schema. */
export class ValidationError extends AppError {
  override name = 'ValidationError';
  readonly issues: readonly ValidationIssue[];

  constructor(message: string, issues: readonly ValidationIssue[] = []) {
    super('validation', message);
    this.issues = issues;
  }
}

/** A user-supplied value would break out of the header it goes into (CR, LF, NUL, …). */
export class HeaderInjectionError extends AppError {
  override name = 'HeaderInjectionError';
  readonly field: string;

  constructor(field: string, message: string) {
    super('header-injection', message);
    this.field = field;
  }
}

/** A lookup found nothing. */
/** The caller's role does not allow this: a 403 naming the role it needs. */
export class ForbiddenError extends AppError {
  override name = 'ForbiddenError';

  constructor(message: string) {
    super('forbidden', message);
  }
}

export class NotFoundError extends AppError {
  override name = 'NotFoundError';

  constructor(message: string) {
    super('not-found', message);
  }
}

/**
 * Another attempt holds what this one needs (a live lease, a pending candidate, a record taken
 * over): a race that settles by itself. Retryable; never shown to an API caller as a conflict.
 */
export class BusyError extends AppError {
  override name = 'BusyError';

  constructor(message: string, options: { cause?: unknown } = {}) {
    super('busy', message, { retryable: true, cause: options.cause });
  }
}

/**
 * A write the caller asked for conflicts with the stored state (a stale version, a resource
 * that exists already, a delete refused while something refers to it): the API answers 409.
 */
export class ConflictError extends AppError {
  override name = 'ConflictError';

  constructor(message: string, options: { cause?: unknown } = {}) {
    super('conflict', message, { cause: options.cause });
  }
}

/** A rule of the product refuses the request (a suppressed address, outbound mail switched off, …). */
export class PolicyError extends AppError {
  override name = 'PolicyError';

  constructor(code: Extract<ErrorCode, 'policy' | 'suppressed' | 'blocked-host'>, message: string) {
    super(code, message);
  }
}

/** A required environment variable or config value is missing or invalid. */
export class ConfigError extends AppError {
  override name = 'ConfigError';

  constructor(message: string) {
    super('config', message);
  }
}

/** An input is larger than the limit it is checked against (a mail over its channel's size): the API answers 413. */
export class PayloadTooLargeError extends AppError {
  override name = 'PayloadTooLargeError';
  /** The limit, in bytes. */
  readonly limit: number;

  constructor(message: string, limit: number) {
    super('limit-size', message);
    this.limit = limit;
  }
}

/**
 * A dependency (AWS service, SMTP server, token endpoint) refused or failed a call. Adapters
 * translate the SDK's own errors into this, so the core never names a vendor exception:
 * `dependency-rejected` will fail the same way again, `dependency-unavailable` may pass later.
 */
export class DependencyError extends AppError {
  override name = 'DependencyError';

  constructor(
    code: Extract<ErrorCode, 'dependency-rejected' | 'dependency-unavailable' | 'raw-missing' | 'credentials'>,
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(code, message, { retryable: options.retryable ?? code === 'dependency-unavailable', cause: options.cause });
  }
}

/** Sending a mail failed: permanently (5xx, refused) or for now (4xx, timeouts, throttling). */
export class TransportError extends AppError {
  override name = 'TransportError';
  /** The SMTP reply code or provider status, when there is one. */
  readonly status: string | null;

  constructor(message: string, options: { permanent: boolean; status?: string | null; cause?: unknown }) {
    super(options.permanent ? 'transport-permanent' : 'transport-transient', message, {
      retryable: !options.permanent,
      cause: options.cause,
    });
    this.status = options.status ?? null;
  }
}

/**
 * A planned mail could not be turned into MIME (the sanitizer or the composer gave up on its
 * content): the same plan fails the same way again, so it is not retryable.
 */
export class ComposeError extends AppError {
  override name = 'ComposeError';

  constructor(message: string, options: { cause?: unknown } = {}) {
    super('compose-failed', message, { cause: options.cause });
  }
}

/** A failure turned into the code and reason a record keeps: never the error object itself. */
export function describeFailure(error: unknown): { code: ErrorCode; reason: string; retryable: boolean } {
  if (error instanceof AppError) return { code: error.code, reason: error.message, retryable: error.retryable };
  // Unknown errors are transient: retried, then dead-lettered, never lost.
  return { code: 'unexpected-error', reason: error instanceof Error ? error.message : String(error), retryable: true };
}
