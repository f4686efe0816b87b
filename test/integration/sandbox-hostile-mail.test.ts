import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateHostileMail, type HostileKind } from '../../bench/hostile-mails.ts';
import { PostroomConfigSchema, type PostroomConfig } from '../../functions/core/model/postroom-config.ts';
import type { RoutedMessage } from '../../functions/core/model/routed-message.ts';
import { startSandbox, type Sandbox } from '../../functions/local/sandbox.ts';
import { sendToSandbox, takeFromSandbox } from '../support/sandbox.ts';

// The hostile mails are addressed to support@example.com.
const config: PostroomConfig = PostroomConfigSchema.parse({
  domains: ['example.com'],
  skills: ['support'],
  channels: [{ id: 'support', address: 'support@example.com', defaultSkill: 'support' }],
});

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ config, smtpPort: 0, apiPort: 0, logLevel: 'SILENT', stateFile: null });
});

afterAll(async () => {
  await sandbox?.stop();
});

/** Asks the admin API for its OpenAPI document until `stop` resolves; the slowest answer, ms. */
async function pollApi(url: string, stop: Promise<unknown>): Promise<{ answers: number; slowestMs: number }> {
  let done = false;
  void stop.finally(() => {
    done = true;
  });
  let answers = 0;
  let slowestMs = 0;
  while (!done) {
    const started = performance.now();
    const response = await fetch(`${url}/openapi.json`);
    await response.arrayBuffer();
    expect(response.status).toBe(200);
    answers++;
    slowestMs = Math.max(slowestMs, performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { answers, slowestMs };
}

async function routed(within: number): Promise<RoutedMessage[]> {
  const deadline = performance.now() + within;
  const pointers: RoutedMessage[] = [];
  while (performance.now() < deadline) {
    pointers.push(...(await takeFromSandbox(sandbox.info)));
    if (pointers.length > 0) return pointers;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return pointers;
}

describe('the sandbox with hostile mail', () => {
  // Before the limits each of these held the process at full CPU for minutes, the API silent.
  it.each<HostileKind>(['attribution-at-lines', 'html-nested-div', 'multipart-no-boundary'])(
    'routes a 1 MB %s mail within seconds while the admin API keeps answering',
    async (kind) => {
      // Arrange
      const raw = generateHostileMail(kind);
      const started = performance.now();

      // Act
      const delivery = sendToSandbox(sandbox.info, { envelope: { from: 'mallory@attacker.example', to: ['support@example.com'] }, raw });
      const api = pollApi(sandbox.info.adminApi?.url ?? '', delivery);
      await delivery;
      const pointers = await routed(5_000);
      const seconds = (performance.now() - started) / 1000;
      const { answers, slowestMs } = await api;

      // Assert
      expect(pointers).toHaveLength(1);
      expect(pointers[0]).toMatchObject({ subject: `Hostile ${kind}`, lane: 'human', skill: 'support' });
      expect(seconds).toBeLessThan(8);
      expect(answers).toBeGreaterThan(0);
      expect(slowestMs).toBeLessThan(3_000);
    },
    30_000,
  );
});
