import { z } from 'zod';

/** An import of an uploaded archive (mbox, zip-less .eml) into a channel, run as a job. */
export const ImportJobSchema = z.object({
  id: z.string(),
  channelId: z.string(),
  /** `awaiting-upload` until started; `queued`, `running`, then `done` (or `failed`: the archive could not be read at all). */
  status: z.enum(['awaiting-upload', 'queued', 'running', 'done', 'failed']),
  /** Where the upload lands in the mail bucket. */
  objectKey: z.string(),
  createdAt: z.string(),
  createdBy: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  /** Where a resumed run goes on (the archive reader's position after the last finished message). */
  position: z.record(z.string(), z.unknown()).nullable(),
  counts: z.object({
    processed: z.number().int().nonnegative(),
    imported: z.number().int().nonnegative(),
    duplicates: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
  }),
  /** The first reasons of failed messages (all are in the failed list). */
  failures: z.array(z.string()),
  /** Why the job failed as a whole. */
  error: z.string().nullable(),
  version: z.number().int().nonnegative(),
});
export type ImportJob = z.infer<typeof ImportJobSchema>;

/** Failure reasons a job keeps; `GET /failed-messages` has all. */
export const MAX_JOB_FAILURES = 50;
