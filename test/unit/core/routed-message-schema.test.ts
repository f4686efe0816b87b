import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROUTED_MESSAGE_SCHEMA_PATH, routedMessageSchemaText } from '../../../functions/cli/schema.ts';
import { RoutedMessageSchema } from '../../../functions/core/model/routed-message.ts';

describe('routed-message JSON Schema', () => {
  it('the committed schema document is the one generated from the zod schema (run `npm run schema`)', () => {
    const committed = readFileSync(ROUTED_MESSAGE_SCHEMA_PATH, 'utf8');
    expect(committed).toBe(routedMessageSchemaText());
  });

  it('lists every field of the record as required and closes it to nothing unknown', () => {
    const schema = JSON.parse(routedMessageSchemaText()) as { required: string[]; properties: Record<string, unknown> };
    expect(schema.required.sort()).toEqual(Object.keys(RoutedMessageSchema.shape).sort());
  });
});
