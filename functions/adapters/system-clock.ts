import type { Clock } from '../core/ports/clock.ts';

/** The wall clock. */
export class SystemClock implements Clock {
  now(): Date {
    return new Date();
  }
}
