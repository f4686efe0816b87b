import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replyInSandbox } from '../../functions/cli/reply.ts';
import { PostroomConfigSchema, type PostroomConfig } from '../../functions/core/model/postroom-config.ts';
import { startSandbox, type Sandbox } from '../../functions/local/sandbox.ts';
import { sendToSandbox, takeFromSandbox } from '../support/sandbox.ts';

const config: PostroomConfig = PostroomConfigSchema.parse({
  domains: ['example.test'],
  skills: ['support'],
  channels: [
    {
      id: 'sales',
      address: 'sales@example.test',
      name: 'Example Sales',
      defaultSkill: 'support',
      outbound: { enabled: true, transport: 'smtp' },
      smtp: { host: 'localhost', port: 587, security: 'starttls', auth: { type: 'password', user: 'postroom' } },
    },
  ],
});

let sandbox: Sandbox;
let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'postroom-sandbox-cred-'));
  sandbox = await startSandbox({ config, smtpPort: 0, outboxSmtpPort: 0, logLevel: 'SILENT', stateFile: null, workDir });
});
afterAll(async () => {
  await sandbox?.stop();
  await rm(workDir, { recursive: true, force: true });
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${sandbox.info.adminApi?.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${sandbox.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe('sandbox: one credential key for the admin API and the sender', () => {
  it('sends a reply with a password set through the admin API, after the credentials test logged in with it', async () => {
    // Arrange: the sandbox SMTP server's password, as a user reads it to set it through the API
    const passwordFile = join(workDir, 'sandbox-smtp-password');
    const password = (await readFile(passwordFile, 'utf8')).trim();
    await sendToSandbox(sandbox.info, { from: 'dan@buyer.example', to: 'sales@example.test', subject: 'Quote for 40 chairs', text: 'Please send a quote.' });
    const [question] = await takeFromSandbox(sandbox.info);
    if (!question) throw new Error('no pointer');
    // Act
    const set = await api('PUT', '/channels/sales/credentials/smtp-password', { password });
    const tested = await api('POST', '/channels/sales/credentials/test', {});
    const reply = { conversationId: question.conversationId, agentId: 'agent-7', text: 'Our quote follows.', html: null, cc: [], attachments: [], wait: true };
    const sent = await replyInSandbox(sandbox.info, reply);
    // Assert
    expect((await stat(passwordFile)).mode & 0o777).toBe(0o600);
    expect(set.status).toBe(200);
    expect(tested.body).toMatchObject({ health: { status: 'healthy' } });
    expect(sent).toMatchObject({ status: 'sent' });
    const mails = (await readdir(sandbox.info.outbox)).filter((n) => n.endsWith('.eml'));
    expect(mails).toHaveLength(1);
    expect(await readFile(join(sandbox.info.outbox, mails[0] ?? ''), 'utf8')).toContain('Our quote follows.');
  });

  it("takes channel addresses on the deployment's domains only", async () => {
    // Act
    const other = await api('POST', '/channels', { id: 'shop', address: 'shop@elsewhere.example', defaultSkill: 'support' });
    const ours = await api('POST', '/channels', { id: 'shop', address: 'shop@example.test', defaultSkill: 'support' });
    // Assert
    expect(other.status).toBe(400);
    expect((other.body.error as { issues: { field: string }[] }).issues.map((i) => i.field)).toEqual(['address']);
    expect(ours.status).toBe(201);
  });
});
