import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROUTED_MESSAGE_SCHEMA_PATH, routedMessageSchemaText } from '../../../functions/cli/schema.ts';
import { RoutedMessageSchema, StoredRoutedMessageSchema } from '../../../functions/core/model/routed-message.ts';

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

describe('records of version 1', () => {
  it('are read as version 2, with no language and no SLA', () => {
    const v1 = {
      schemaVersion: 1,
      channelId: 'support',
      messageId: 'm-1',
      internetMessageId: 'a@b',
      conversationId: 'c-1',
      ticketNumber: '0000013',
      isNewConversation: true,
      lane: 'human',
      laneReason: 'no automatic signal',
      tags: [],
      skill: 'support',
      routingRule: 'default',
      priority: 'normal',
      from: null,
      subject: 'Hello',
      receivedAt: '2026-12-01T10:00:00.000Z',
      previousAgent: null,
      autoAnswerAllowed: true,
    };
    expect(StoredRoutedMessageSchema.parse(v1)).toMatchObject({ schemaVersion: 2, language: null, sla: null });
    expect(RoutedMessageSchema.safeParse(v1).success).toBe(false);
  });
});
