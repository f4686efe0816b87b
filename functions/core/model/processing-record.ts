import { z } from 'zod';

/** Why processing failed, as a record keeps it: a stable code and a readable reason, never an error object. */
export const ErrorInfoSchema = z.object({
  /** An `ErrorCode` when written now; read as any string, so records written by older versions still load. */
  code: z.string(),
  reason: z.string(),
});
export type ErrorInfo = z.infer<typeof ErrorInfoSchema>;

/**
 * The fields every processing record has besides its own: the lease that fences attempts, the
 * attempts counted with it, the last error. `processOnce` works on any record with these.
 */
export const LeaseFieldsSchema = z.object({
  /** ISO time until which the attempt holding the lease owns the record. */
  leaseUntil: z.string().nullable(),
  attempts: z.number().int().nonnegative(),
  error: ErrorInfoSchema.nullable(),
  updatedAt: z.string(),
});

export interface LeasedRecord {
  /** Progress of the record; `failed` and the record type's final states end processing. */
  readonly state: string;
  readonly leaseUntil: string | null;
  readonly attempts: number;
  readonly error: ErrorInfo | null;
  readonly updatedAt: string;
}
