import { z } from 'zod';
import { RETENTION_DEFAULTS, retentionDays, type RetentionSetting, type RetentionSettings } from '../core/model/retention.ts';

/** A positive whole number from an environment variable (seconds, counts), `fallback` when unset. */
export const positiveInt = (fallback: string) => z.string().default(fallback).transform(Number).pipe(z.number().int().positive());

/** A variable that holds JSON (with `fallback` when unset): parsed, or an issue saying it is not JSON. */
export function jsonText(fallback?: string) {
  const text = fallback === undefined ? z.string() : z.string().default(fallback);
  return text.transform((value, ctx) => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not JSON' });
      return z.NEVER;
    }
  });
}

const days = (setting: RetentionSetting) => z.string().default(String(RETENTION_DEFAULTS[setting])).transform(Number).pipe(retentionDays(setting));

/**
 * The account-wide retention (config `retention`), in the environment of every function that
 * writes what expires: each record's expiry rides on the write that stores it.
 */
export const RetentionFields = {
  RETENTION_MAIL_DAYS: days('mailDays'),
  RETENTION_FAILED_MAIL_DAYS: days('failedMailDays'),
  RETENTION_UPLOAD_DAYS: days('uploadDays'),
  RETENTION_AUDIT_DAYS: days('auditDays'),
};

/** The variables that carry `settings` (the CDK constructs and the sandbox set them). */
export function retentionEnv(settings: RetentionSettings) {
  return {
    RETENTION_MAIL_DAYS: String(settings.mailDays),
    RETENTION_FAILED_MAIL_DAYS: String(settings.failedMailDays),
    RETENTION_UPLOAD_DAYS: String(settings.uploadDays),
    RETENTION_AUDIT_DAYS: String(settings.auditDays),
  };
}

/** The settings a parsed environment carries. */
export function retentionOf(env: { readonly [K in keyof typeof RetentionFields]: number }): RetentionSettings {
  return {
    mailDays: env.RETENTION_MAIL_DAYS,
    failedMailDays: env.RETENTION_FAILED_MAIL_DAYS,
    uploadDays: env.RETENTION_UPLOAD_DAYS,
    auditDays: env.RETENTION_AUDIT_DAYS,
  };
}
