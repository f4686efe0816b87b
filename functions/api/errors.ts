import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import {
  AppError,
  BusyError,
  ForbiddenError,
  ConfigError,
  ConflictError,
  DependencyError,
  HeaderInjectionError,
  NotFoundError,
  PayloadTooLargeError,
  PolicyError,
  TransportError,
  ValidationError,
} from '../core/errors.ts';

/** `If-Match` is missing on a write that needs it: 428, the caller must read the resource first. */
export class PreconditionRequiredError extends ValidationError {
  override name = 'PreconditionRequiredError';
  constructor() {
    super('If-Match: required; send the ETag of the version you read', [{ path: 'If-Match', message: 'required: send the ETag of the version you read' }]);
  }
}

/** Body of every 4xx and 5xx answer: a stable code, a message, and for bad input each field with its problem. */
export const ErrorBodySchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      issues: z.array(z.object({ field: z.string(), problem: z.string() })),
    }),
  })
  .meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

export interface ErrorAnswer {
  readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 428 | 500 | 502 | 503;
  readonly body: ErrorBody;
  readonly headers?: Record<string, string>;
  /** Log the cause: the client gets a generic message. */
  readonly log: boolean;
}

const answer = (status: ErrorAnswer['status'], code: string, message: string, issues: { field: string; problem: string }[] = [], log = false): ErrorAnswer => ({
  status,
  body: { error: { code, message, issues } },
  log,
});

/**
 * Maps an error to its HTTP answer: validation 400, not found 404, version conflict 409, policy
 * refusal 422, a race that settles by itself 503 with Retry-After (never 409), failing
 * dependencies 502/503. Never an error object or a stack; unknown errors become a bare 500.
 */
export function errorAnswer(error: unknown, requestId: string): ErrorAnswer {
  if (error instanceof PreconditionRequiredError)
    return answer(
      428,
      'validation',
      error.message,
      error.issues.map((i) => ({ field: i.path, problem: i.message })),
    );
  if (error instanceof HeaderInjectionError) return answer(400, error.code, error.message, [{ field: error.field, problem: error.message }]);
  if (error instanceof ValidationError) {
    const issues = error.issues.map((i) => ({ field: i.path, problem: i.message }));
    return answer(400, error.code, error.message, issues);
  }
  if (error instanceof ForbiddenError) return answer(403, error.code, error.message);
  if (error instanceof PayloadTooLargeError) return answer(413, error.code, error.message, [{ field: 'body', problem: error.message }]);
  if (error instanceof NotFoundError) return answer(404, error.code, error.message);
  if (error instanceof ConflictError) return answer(409, error.code, error.message);
  if (error instanceof PolicyError) return answer(422, error.code, error.message);
  if (error instanceof BusyError)
    return { ...answer(503, error.code, 'another request is changing this right now; retry in a moment'), headers: { 'Retry-After': '1' } };
  if (error instanceof ConfigError) return answer(422, error.code, error.message);
  if (error instanceof DependencyError) {
    if (error.code === 'credentials') return answer(422, error.code, error.message);
    if (error.code === 'raw-missing') return answer(404, error.code, error.message);
    return { ...answer(error.retryable ? 503 : 502, error.code, error.message, [], true), ...(error.retryable ? { headers: { 'Retry-After': '2' } } : {}) };
  }
  if (error instanceof TransportError) return answer(502, error.code, error.message);
  if (error instanceof AppError) return answer(500, error.code, `internal error (request ${requestId})`, [], true);
  if (error instanceof HTTPException) {
    if (error.status === 400) return answer(400, 'validation', 'the request body is not valid JSON', [{ field: 'body', problem: 'not valid JSON' }]);
    if (error.status === 413) return answer(413, 'validation', 'the request body is too large', [{ field: 'body', problem: 'too large' }]);
  }
  return answer(500, 'unexpected-error', `internal error (request ${requestId})`, [], true);
}
