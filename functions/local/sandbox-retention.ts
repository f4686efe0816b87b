import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoExpiringItems } from '../adapters/dynamo-retention.ts';
import { S3RetentionObjects } from '../adapters/s3-retention.ts';
import type { RetentionSettings } from '../core/model/retention.ts';
import { sweepExpired, type SweepDeps, type SweepReport } from '../core/retention/sweep-expired.ts';
import { retentionAdapters } from '../runtime/retention-handler.ts';

/** How often the sandbox sweeps: expiry is a matter of days, and a sweep reads every item with an expiry. */
export const SANDBOX_SWEEP_EVERY_MS = 10 * 60_000;

/** Where a sweep works: the sandbox's tables and bucket. */
export interface SweepTarget {
  readonly db: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly tableName: string;
  readonly auditTableName: string;
  readonly bucket: string;
}

/** The sweep on the sandbox's local servers: both tables, the mail bucket, the account's settings. */
export function sandboxSweepDeps(target: SweepTarget, settings: Pick<RetentionSettings, 'uploadDays'>): SweepDeps {
  return {
    ...retentionAdapters(target, { tableName: target.tableName, bucket: target.bucket }),
    tables: [new DynamoExpiringItems(target.db, target.tableName), new DynamoExpiringItems(target.db, target.auditTableName)],
    aged: new S3RetentionObjects(target.s3, target.bucket),
    settings,
  };
}

export interface SandboxRetention {
  /** Sweeps now (or as if it were `now`), after any sweep under way. */
  sweep(now?: Date): Promise<SweepReport>;
  stop(): Promise<void>;
}

/**
 * The sandbox's expiry: dynalite has no TTL and fauxqs no lifecycle rules, so what DynamoDB and S3
 * do in AWS runs as a sweep (`sweepExpired`), once at start and every `everyMs`; `npx postroom
 * retention sweep` runs one on demand. Sweeps never overlap.
 */
export function startSandboxRetention(options: {
  readonly target: SweepTarget;
  readonly settings: RetentionSettings;
  readonly everyMs?: number;
  readonly onSwept?: (report: SweepReport) => void;
  readonly onError: (error: Error) => void;
}): SandboxRetention {
  const deps = sandboxSweepDeps(options.target, options.settings);
  let running: Promise<unknown> = Promise.resolve();
  const sweep = (now: Date = new Date()): Promise<SweepReport> => {
    const next = running.catch(() => undefined).then(() => sweepExpired(deps, now));
    running = next;
    return next;
  };
  const tick = () => {
    sweep().then(
      (report) => options.onSwept?.(report),
      (error: unknown) => options.onError(error instanceof Error ? error : new Error(String(error))),
    );
  };
  tick();
  const timer = setInterval(tick, options.everyMs ?? SANDBOX_SWEEP_EVERY_MS);
  timer.unref();
  return {
    sweep,
    async stop() {
      clearInterval(timer);
      await running.catch(() => undefined);
    },
  };
}
