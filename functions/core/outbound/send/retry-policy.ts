import { describeFailure } from '../../errors.ts';

/** Backoff of a send: exponential from `baseMs`, capped at `maxMs`, at most `maxAttempts`. */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
}

/**
 * Greylisting servers refuse the first attempt for a few minutes, so the second attempt comes
 * after about a minute and the later ones spread over about an hour and a half in all.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 8, baseMs: 60_000, maxMs: 30 * 60_000 };

export type RetryDecision = { readonly retry: true; readonly delayMs: number; readonly reason: string } | { readonly retry: false; readonly reason: string };

/**
 * Whether to try a send again after `attempt` attempts (1 = the first one failed) ended in
 * `error`, and after how long. Permanent failures (5xx, refused credentials, blocked hosts)
 * never retry; transient ones back off exponentially with "equal jitter": half the step fixed,
 * half random, so retries of many replies spread out but never come back at once.
 * `random` is a number in [0, 1).
 */
export function retryDecision(error: unknown, attempt: number, random: () => number, policy: RetryPolicy = DEFAULT_RETRY_POLICY): RetryDecision {
  const { code, reason, retryable } = describeFailure(error);
  if (!retryable) return { retry: false, reason: `${code}: ${reason}` };
  if (attempt >= policy.maxAttempts) return { retry: false, reason: `gave up after ${attempt} attempts: ${code}: ${reason}` };
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  const delayMs = Math.round(step / 2 + (step / 2) * Math.min(Math.max(random(), 0), 1));
  return { retry: true, delayMs, reason: `${code}: ${reason}` };
}
