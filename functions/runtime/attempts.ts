import { MAX_ATTEMPTS as INBOUND_ATTEMPTS } from '../core/inbound/receive-mail.ts';
import { DEFAULT_RETRY_POLICY } from '../core/outbound/send/retry-policy.ts';
import { DEFAULT_MAX_ATTEMPTS } from '../core/processing/process-once.ts';

/*
 * How often Postroom tries one piece of work, and how Lambda's and SQS's retries follow from it.
 * Each function counts its attempts in the work's processing record (`processOnce`) and at the
 * last one fails the record (a failed mail listed for replay, a failed reply) instead of throwing.
 * What delivers the work must deliver it at least that often, or it reaches a dead-letter queue
 * with its record still open: Lambda's async retries deliver it exactly that often; a queue
 * redrives a little later, so its dead-letter queue gets only what no attempt could record (a
 * crash, a receive that found the lease of a timed-out attempt still held).
 */

/** Receives a queue allows beyond the function's attempts before it redrives. */
const REDRIVE_MARGIN = 2;

/**
 * Inbound (SES invokes the function asynchronously): the first call and Lambda's retries are the
 * mail's attempts (`receiveMail`'s `MAX_ATTEMPTS`). Lambda allows at most 2 retries, so a
 * higher count fails the synth.
 */
export const INBOUND_ASYNC_RETRIES = INBOUND_ATTEMPTS - 1;

/** Outbound: the attempts of one reply, for its send record and its backoff (`retryDecision`) alike. */
export const OUTBOUND_ATTEMPTS = DEFAULT_RETRY_POLICY.maxAttempts;
/** The outbound queue's redrive count. */
export const OUTBOUND_MAX_RECEIVES = OUTBOUND_ATTEMPTS + REDRIVE_MARGIN;

/** The feedback queue's redrive count: `processFeedback` keeps `processOnce`'s attempts. */
export const FEEDBACK_MAX_RECEIVES = DEFAULT_MAX_ATTEMPTS + REDRIVE_MARGIN;

/**
 * The skill queues' redrive count, for the stack's queues and those the admin API creates. Agents'
 * apps read them, not Postroom: a pointer an app failed to handle this often moves to the skill's
 * dead-letter queue.
 */
export const SKILL_MAX_RECEIVES = 5;
