import { ValidationError } from '../core/errors.ts';

/**
 * Opaque page cursors: DynamoDB's `LastEvaluatedKey` (string attributes only) as base64url JSON.
 * A cursor that does not decode is a `ValidationError` on `cursor`; one forged to point elsewhere
 * stays inside the partition the query names.
 */
export function encodeCursor(key: Record<string, unknown> | undefined): string | null {
  if (!key) return null;
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): Record<string, string> | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const invalid = () => new ValidationError('cursor: not a cursor this API handed out', [{ path: 'cursor', message: 'not a cursor this API handed out' }]);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid();
  const entries = Object.entries(value);
  if (entries.length === 0 || entries.length > 4 || !entries.every(([k, v]) => /^(pk|sk|gsi1pk|gsi1sk)$/.test(k) && typeof v === 'string')) throw invalid();
  return value as Record<string, string>;
}
