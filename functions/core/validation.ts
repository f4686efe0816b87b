import type { z } from 'zod';
import { ValidationError, type ValidationIssue } from './errors.ts';

/** Dotted path of a zod issue, e.g. `channels[0].ticket.placement`; `(root)` for the whole value. */
export function fieldPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const key of path) {
    out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`;
  }
  return out || '(root)';
}

/**
 * Each problem of a failed parse as a field and a message: an unknown key becomes one issue per
 * key (`smtp.maxMessageByte: unknown field`), so a typo is named instead of silently dropped.
 */
export function validationIssues(error: z.ZodError, prefix = ''): ValidationIssue[] {
  return error.issues.flatMap((issue): ValidationIssue[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: fieldPath([...issue.path, key], prefix), message: 'unknown field' }));
    }
    return [{ path: fieldPath(issue.path, prefix), message: messageOf(issue) }];
  });
}

/** zod's message, but for lengths, which say the limit in words a caller reads at once. */
function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'too_big' && (issue.origin === 'string' || issue.origin === 'array')) {
    return `at most ${String(issue.maximum)} ${issue.origin === 'string' ? 'characters' : 'items'}`;
  }
  return issue.message;
}

/** The issues as one line: `address: Invalid email address; name: unknown field`. */
export function describeIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('; ');
}

/**
 * Parses `input` with `schema` or throws a ValidationError whose message names every field
 * and its problem, e.g. `channel settings: address: Invalid email address`.
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = validationIssues(result.error);
  throw new ValidationError(`${what}: ${describeIssues(issues)}`, issues);
}
