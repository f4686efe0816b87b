import { randomUUID } from 'node:crypto';
import type { IdGenerator } from '../core/ports/clock.ts';

/** Random UUIDs (v4): URL-safe, and valid as SQS deduplication ids. */
export class UuidIdGenerator implements IdGenerator {
  next(): string {
    return randomUUID();
  }
}
