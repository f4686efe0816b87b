import { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { ReceiveOutcome } from '../core/inbound/receive-mail.ts';
import type { SendOutcome } from '../core/outbound/send/send-outbound.ts';
import type { AcknowledgementRecord } from '../core/model/inbound-record.ts';
import type { FeedbackOutcome } from '../core/outbound/feedback/apply-feedback.ts';
import { withSourceStack } from './source-stack.ts';

/** Field names whose values never reach a log line. */
export const SECRET_FIELD = /pass|secret|token|authorization|refresh|cookie|credential/i;
/** Field names that would carry mail content; dropped rather than logged. */
const CONTENT_FIELD = /^(raw|body|html|text|preview|attachments?)$/i;

/**
 * JSON replacer for the Logger: secrets become `[redacted]`, mail content is left out, and an
 * error's stack is mapped to the sources (the bundles ship source maps; see `source-stack.ts`).
 */
export function redact(key: string, value: unknown): unknown {
  if (key === '') return value;
  if (SECRET_FIELD.test(key)) return '[redacted]';
  if (CONTENT_FIELD.test(key)) return undefined;
  if (value instanceof Error) return withSourceStack(value);
  return value;
}

/** What the handlers do with metrics: Powertools' `Metrics` in Lambda, nothing in the sandbox. */
export interface MetricsSink {
  addMetric(name: string, unit: Parameters<Metrics['addMetric']>[1], value: number): void;
  singleMetric(): Pick<MetricsSink, 'addMetric' | 'addDimension'>;
  addDimension(name: string, value: string): void;
  publishStoredMetrics(): void;
}

export interface Observability {
  readonly logger: Logger;
  readonly metrics: MetricsSink;
  readonly tracer: Tracer;
}

export interface ObservabilityOptions {
  readonly serviceName: string;
  readonly namespace: string;
  /** Instead of `POWERTOOLS_LOG_LEVEL` (the sandbox's `--log-level`, `SILENT` in tests). */
  readonly logLevel?: string | undefined;
  /** `false`: metrics go nowhere and nothing is traced (the sandbox and tests, outside Lambda). @default true */
  readonly publish?: boolean;
}

/** Metrics that go nowhere: Powertools' own switch is an environment variable only. */
const NO_METRICS: MetricsSink = {
  addMetric: () => undefined,
  singleMetric: () => NO_METRICS,
  addDimension: () => undefined,
  publishStoredMetrics: () => undefined,
};

/** Logger, Metrics and Tracer for one function, built once per container. */
export function createObservability(options: ObservabilityOptions): Observability {
  const publish = options.publish ?? true;
  return {
    logger: new Logger({ serviceName: options.serviceName, jsonReplacerFn: redact, ...(options.logLevel ? { logLevel: options.logLevel as LogLevel } : {}) }),
    metrics: publish ? new Metrics({ serviceName: options.serviceName, namespace: options.namespace }) : NO_METRICS,
    tracer: new Tracer({ serviceName: options.serviceName, ...(publish ? {} : { enabled: false }) }),
  };
}

/**
 * Inbound metrics: `received` per mail, then one of `routed` / `failed` (or neither for
 * recorded/quarantined/dropped mail), `spam`, `auto` and `bounced` by tags and lane, and
 * `latency` from SES receipt to the end of processing. Duplicates count as `duplicate` only.
 */
export function recordInboundOutcome(metrics: MetricsSink, outcome: ReceiveOutcome, latencyMs: number): void {
  if (outcome.duplicate) {
    metrics.addMetric('duplicate', MetricUnit.Count, 1);
    return;
  }
  metrics.addMetric('received', MetricUnit.Count, 1);
  metrics.addMetric('latency', MetricUnit.Milliseconds, Math.max(0, latencyMs));
  if (outcome.status === 'failed') {
    metrics.addMetric('failed', MetricUnit.Count, 1);
    return;
  }
  if (outcome.status === 'routed') metrics.addMetric('routed', MetricUnit.Count, 1);
  if (outcome.tags.includes('spam')) metrics.addMetric('spam', MetricUnit.Count, 1);
  if (outcome.lane === 'bounce') metrics.addMetric('bounced', MetricUnit.Count, 1);
  else if (outcome.lane !== null && outcome.lane !== 'human') metrics.addMetric('auto', MetricUnit.Count, 1);
  if (outcome.acknowledgement) recordAcknowledgement(metrics, outcome.acknowledgement);
}

/** Outbound metrics: `repliesSent` or `repliesFailed` per job processed; duplicates count as `duplicateJobs` only. */
export function recordOutboundOutcome(metrics: MetricsSink, outcome: SendOutcome): void {
  if (outcome.duplicate) {
    metrics.addMetric('duplicateJobs', MetricUnit.Count, 1);
    return;
  }
  metrics.addMetric(outcome.status === 'sent' ? 'repliesSent' : 'repliesFailed', MetricUnit.Count, 1);
}

/**
 * Feedback metrics, per recipient: `bounced` and `complained` for recipients newly in that
 * state, `suppressed` for each address a report suppressed. A repeated report adds nothing.
 */
export function recordFeedbackOutcome(metrics: MetricsSink, outcome: FeedbackOutcome): void {
  if (outcome.kind === 'unknown-message') {
    metrics.addMetric('feedbackUnmatched', MetricUnit.Count, 1);
    return;
  }
  const bounced = outcome.changed.filter((r) => r.status === 'bounced').length;
  const complained = outcome.changed.filter((r) => r.status === 'complained').length;
  if (bounced > 0) metrics.addMetric('bounced', MetricUnit.Count, bounced);
  if (complained > 0) metrics.addMetric('complained', MetricUnit.Count, complained);
  if (outcome.suppressed.length > 0) metrics.addMetric('suppressed', MetricUnit.Count, outcome.suppressed.length);
}

/**
 * Acknowledgement metrics: `acknowledgementSent`, or `acknowledgementSkipped` with the reason as
 * its dimension (one single-dimension metric each, so the function's other metrics keep theirs).
 * A mail that joins a conversation is no candidate at all and counts nowhere.
 */
export function recordAcknowledgement(metrics: MetricsSink, acknowledgement: AcknowledgementRecord): void {
  if (acknowledgement.skipped === null) {
    metrics.addMetric('acknowledgementSent', MetricUnit.Count, 1);
    return;
  }
  if (acknowledgement.skipped === 'not-new-conversation') return;
  const single = metrics.singleMetric();
  single.addDimension('reason', acknowledgement.skipped);
  single.addMetric('acknowledgementSkipped', MetricUnit.Count, 1);
}
