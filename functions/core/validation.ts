import type { z } from 'zod';
import { ValidationError } from './errors.ts';

/** Dotted path of a zod issue, e.g. `channels[0].ticket.placement`; `(root)` for the whole value. */
function pathOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`;
  }
  return out || '(root)';
}

/**
 * Parses `input` with `schema` or throws a ValidationError whose message names every field
 * and its problem, e.g. `channel settings: address: Invalid email address`.
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: pathOf(i.path), message: i.message }));
  const detail = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  throw new ValidationError(`${what}: ${detail}`, issues);
}
