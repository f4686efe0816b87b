import { DependencyError } from '../core/errors.ts';

/**
 * AWS error names that say the request itself is wrong (an item over 400 KB, a message SQS refuses
 * as invalid): the same request fails again however often it is retried.
 */
const REJECTED: ReadonlySet<string> = new Set([
  'ValidationException',
  'InvalidMessageContents',
  'InvalidParameterValue',
  'InvalidParameterValueException',
  'ItemCollectionSizeLimitExceededException',
  'KMSInvalidStateException',
  'AccessDeniedException',
  'AccessDenied',
]);

/** AWS error names that pass with time: throttling and capacity. */
const UNAVAILABLE: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'InternalServerError',
  'SlowDown',
]);

/**
 * Turns an AWS SDK error into the domain's `DependencyError`, so the core never names a vendor
 * exception; errors an adapter handles itself (a failed condition, a missing object) and unknown
 * ones pass as they are (unknown errors count as transient).
 */
export function translateAwsError(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof DependencyError) return error;
  if (REJECTED.has(error.name)) return new DependencyError('dependency-rejected', `${error.name}: ${error.message}`, { cause: error });
  if (UNAVAILABLE.has(error.name)) return new DependencyError('dependency-unavailable', `${error.name}: ${error.message}`, { cause: error });
  return error;
}

interface WithMiddleware {
  readonly middlewareStack: {
    add(
      middleware: (next: (args: never) => Promise<unknown>) => (args: never) => Promise<unknown>,
      options: { step: 'initialize'; name: string; override?: boolean },
    ): void;
  };
}

/**
 * Adds the translation to every call of an SDK client (a document client shares its base
 * client's stack). Safe to apply twice: the middleware is registered under one name.
 */
export function withDomainErrors<C extends WithMiddleware>(client: C): C {
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        throw translateAwsError(error);
      }
    },
    { step: 'initialize', name: 'postroomDomainErrors', override: true },
  );
  return client;
}
