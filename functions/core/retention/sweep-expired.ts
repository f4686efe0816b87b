import type { RetentionSettings } from '../model/retention.ts';
import { expireRecord, type ExpireRecordDeps, type ExpiryOutcome } from './expire-record.ts';
import { isExpired, SECONDS_PER_DAY } from './expiry.ts';
import { ageRules } from './lifecycle.ts';
import type { AgedObjects, ExpiringItems } from './ports.ts';

export interface SweepDeps extends ExpireRecordDeps {
  /** The tables whose items carry an expiry: the main table and the audit table. */
  readonly tables: readonly ExpiringItems[];
  readonly aged: AgedObjects;
  readonly settings: Pick<RetentionSettings, 'uploadDays'>;
}

/** What one sweep did. */
export interface SweepReport {
  /** The time the sweep took as now (ISO 8601). */
  readonly now: string;
  /** Each expired item and what it took along, in the order they were taken. */
  readonly expired: readonly ExpiryOutcome[];
  /** Items found with a past expiry that a legal hold (or a later write) kept. */
  readonly kept: number;
  /** Objects deleted by age (the bucket's lifecycle rules). */
  readonly aged: number;
}

/**
 * The sandbox's stand-in for DynamoDB's TTL and S3's lifecycle rules (dynalite and fauxqs have
 * neither): every item whose expiry is past (`isExpired`, the rule the writes follow) is deleted as
 * TTL deletes it, only while it is still due, and the expiry then reacts to it as the table's
 * stream does in AWS (`expireRecord`); objects under a prefix with an age rule go by age. A held
 * conversation has no expiry, so nothing of it is ever taken. `now` may lie ahead, to try it out.
 */
export async function sweepExpired(deps: SweepDeps, now: Date): Promise<SweepReport> {
  const expired: ExpiryOutcome[] = [];
  let kept = 0;
  for (const table of deps.tables) {
    let cursor: string | null = null;
    do {
      const page = await table.scan(now, cursor);
      for (const candidate of page.items) {
        if (!isExpired(candidate, now) || !(await table.take(candidate, now))) {
          kept++;
          continue;
        }
        expired.push(await expireRecord(deps, candidate.record));
      }
      cursor = page.cursor;
    } while (cursor);
  }
  let aged = 0;
  for (const rule of ageRules(deps.settings)) {
    aged += await deps.aged.expireOlderThan(rule.prefix, new Date(now.getTime() - rule.days * SECONDS_PER_DAY * 1000));
  }
  return { now: now.toISOString(), expired, kept, aged };
}
