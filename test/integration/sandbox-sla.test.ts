import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replyInSandbox } from '../../functions/cli/reply.ts';
import { PostroomConfigSchema, type PostroomConfig } from '../../functions/core/model/postroom-config.ts';
import type { RoutedMessage } from '../../functions/core/model/routed-message.ts';
import { startSandbox, type Sandbox } from '../../functions/local/sandbox.ts';
import { createSqsClient } from '../../functions/runtime/clients.ts';
import { sendToSandbox, takeFromSandbox } from '../support/sandbox.ts';

const config: PostroomConfig = PostroomConfigSchema.parse({
  domains: ['example.test'],
  skills: ['support'],
  channels: [
    { id: 'support', address: 'support@example.test', name: 'Example Support', defaultSkill: 'support', sla: { firstResponseMinutes: 1, calendar: 'always' } },
  ],
});

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ config, smtpPort: 0, outboxSmtpPort: 0, logLevel: 'SILENT', stateFile: null });
});

afterAll(async () => {
  await sandbox?.stop();
});

/** Every SLA event waiting on the sandbox's events queue, taken off it. */
async function slaEvents(): Promise<Record<string, unknown>[]> {
  const { aws } = sandbox.info;
  const url = sandbox.info.slaEventsQueue?.url ?? '';
  const sqs = createSqsClient({ region: aws.region, endpoint: aws.endpoints.sqs, credentials: { ...aws.credentials } });
  const events: Record<string, unknown>[] = [];
  try {
    for (;;) {
      const page = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (!page.Messages?.length) return events;
      for (const m of page.Messages) {
        events.push(JSON.parse(m.Body ?? '{}') as Record<string, unknown>);
        await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
      }
    }
  } finally {
    sqs.destroy();
  }
}

async function conversation(id: string): Promise<{ sla: Record<string, unknown> | null }> {
  const response = await fetch(`${sandbox.info.adminApi?.url}/conversations/${id}?bodies=false`, {
    headers: { authorization: `Bearer ${sandbox.adminToken}` },
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { conversation: { sla: Record<string, unknown> | null } }).conversation;
}

async function question(subject: string, from: string): Promise<RoutedMessage> {
  await sendToSandbox(sandbox.info, { from, to: 'support@example.test', subject, text: 'Please help.' });
  const [pointer] = await takeFromSandbox(sandbox.info);
  if (!pointer) throw new Error('no pointer');
  return pointer;
}

describe('sandbox: a one-minute first-response target on the always calendar', () => {
  it('shows the due time, breaches once when unanswered, and not at all when the agent answers in time', async () => {
    // Arrange: two customers write; the agent answers the second at once
    const unanswered = await question('Where is my parcel?', 'carla@customer.example');
    const answered = await question('Invoice copy', 'dora@customer.example');
    await replyInSandbox(sandbox.info, {
      conversationId: answered.conversationId,
      agentId: 'agent-7',
      text: 'Attached.',
      html: null,
      cc: [],
      attachments: [],
      wait: true,
    });
    const shown = await conversation(unanswered.conversationId);

    // Act: the check as it runs once the minute has passed, and again later
    const minuteLater = new Date(Date.parse(unanswered.receivedAt) + 62_000);
    const first = await sandbox.slaCheck(minuteLater);
    const second = await sandbox.slaCheck(new Date(minuteLater.getTime() + 120_000));
    const events = await slaEvents();

    // Assert: the due time, one minute after the mail was processed, on the pointer and in the API
    const dueAt = unanswered.sla?.firstResponseDueAt ?? '';
    expect(Date.parse(dueAt) - Date.parse(unanswered.receivedAt)).toBeGreaterThanOrEqual(60_000);
    expect(Date.parse(dueAt) - Date.parse(unanswered.receivedAt)).toBeLessThan(61_000);
    expect(unanswered.sla).toEqual({ firstResponseDueAt: dueAt, solutionDueAt: null, state: 'ok', pausedSince: null });
    expect(shown.sla).toMatchObject({ firstResponseDueAt: dueAt, solutionDueAt: null });
    expect(first.published).toHaveLength(1);
    expect(second.published).toEqual([]);
    expect(events).toEqual([
      {
        type: 'sla.breach',
        conversationId: unanswered.conversationId,
        channelId: 'support',
        ticketNumber: unanswered.ticketNumber,
        target: 'firstResponse',
        dueAt,
        at: dueAt,
      },
    ]);
    expect((await conversation(unanswered.conversationId)).sla).toMatchObject({ state: 'breached' });
    const answeredSla = (await conversation(answered.conversationId)).sla;
    expect(answeredSla).toMatchObject({ state: 'ok' });
    expect(answeredSla?.pausedSince).toEqual(expect.any(String));
  });
});
