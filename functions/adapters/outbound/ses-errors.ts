import { DependencyError, TransportError, type AppError } from '../../core/errors.ts';

/*
 * SES error names, sorted by what a retry would do. The core never sees these names: it gets a
 * `TransportError` (permanent or transient) or a `DependencyError('credentials')`.
 */
const TRANSIENT = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'LimitExceededException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalServerError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ExpiredTokenException',
  'ExpiredToken',
]);

const CREDENTIALS = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
  'MissingAuthenticationToken',
  'IncompleteSignature',
]);

/** Why SES refused, in words for the record; for names not listed, the SDK's message. */
const PERMANENT_REASONS: Readonly<Record<string, string>> = {
  MessageRejected: 'SES rejected the message',
  MailFromDomainNotVerifiedException: 'the MAIL FROM domain is not verified in SES',
  AccountSuspendedException: 'the SES account is suspended from sending',
  SendingPausedException: 'sending is paused for the SES account or configuration set',
  NotFoundException: 'the SES configuration set or identity does not exist',
  BadRequestException: 'SES refused the request as malformed',
};

function metadata(error: unknown): { name: string; status: number | undefined; fault: string | undefined; message: string } {
  const e = error as { name?: unknown; message?: unknown; $fault?: unknown; $metadata?: { httpStatusCode?: number } };
  return {
    name: typeof e?.name === 'string' ? e.name : '',
    status: e?.$metadata?.httpStatusCode,
    fault: typeof e?.$fault === 'string' ? e.$fault : undefined,
    message: typeof e?.message === 'string' ? e.message : String(error),
  };
}

/**
 * The error of a failed SES call as the core understands it. Throttling, quota, 5xx and network
 * failures (no HTTP status at all) are transient: the job is retried. Refusals of this mail or
 * this account (rejected content, unverified domain, suspended or paused sending, a missing
 * configuration set, any other 4xx) are permanent: retrying sends nothing. Refused credentials
 * are a `DependencyError('credentials')`.
 */
export function translateSesError(error: unknown): AppError {
  const { name, status, fault, message } = metadata(error);
  const statusText = status === undefined ? null : String(status);
  if (CREDENTIALS.has(name)) {
    return new DependencyError('credentials', `SES refused the credentials of the sending function: ${message}`, { cause: error });
  }
  if (TRANSIENT.has(name) || fault === 'server' || status === undefined || status >= 500 || status === 429) {
    return new TransportError(`SES is unavailable or throttling, try again later: ${message}`, { permanent: false, status: statusText, cause: error });
  }
  const reason = PERMANENT_REASONS[name] ?? 'SES refused the mail';
  return new TransportError(`${reason}: ${message}`, { permanent: true, status: statusText, cause: error });
}
