import { randomUUID } from 'node:crypto';
import type { Clock, IdGenerator } from '../core/ports.ts';

/** The wall clock. */
export class SystemClock implements Clock {
  now(): Date {
    return new Date();
  }
}

/** Random UUIDs (v4): URL-safe, and valid as SQS deduplication ids. */
export class UuidIdGenerator implements IdGenerator {
  next(): string {
    return randomUUID();
  }
}
