import type { RetentionSettings } from '../model/retention.ts';
import { UPLOAD_PREFIX } from '../outbound/compose/upload-keys.ts';

/** A bucket lifecycle rule that expires objects under a prefix some days after they were written. */
export interface AgeRule {
  readonly id: string;
  readonly prefix: string;
  readonly days: number;
}

/**
 * The mail bucket's expiry by age: the rules the `Retention` construct gives the bucket, and the
 * ones the sandbox's sweep applies in their place. Only uploads go by age: they are an agent's
 * working files for a reply, read by the outbound function within minutes of the upload. Mail that
 * belongs to a conversation (raw copies, extracted attachments, outbound plans) goes with its
 * records instead, since a lifecycle rule sees neither a legal hold nor a channel's setting.
 */
export function ageRules(settings: Pick<RetentionSettings, 'uploadDays'>): readonly AgeRule[] {
  return [{ id: 'reply-uploads', prefix: UPLOAD_PREFIX, days: settings.uploadDays }];
}
