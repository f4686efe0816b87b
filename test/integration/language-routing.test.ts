import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostroomConfigSchema } from '../../functions/core/model/postroom-config.ts';
import type { RoutedMessage } from '../../functions/core/model/routed-message.ts';
import { startSandbox, type Sandbox } from '../../functions/local/sandbox.ts';
import { sendToSandbox, takeFromSandbox } from '../support/sandbox.ts';

const config = PostroomConfigSchema.parse({
  domains: ['example.test'],
  skills: ['support', 'german'],
  channels: [
    {
      id: 'support',
      address: 'support@example.test',
      defaultSkill: 'support',
      routing: [{ name: 'german-speakers', when: { languages: ['de'] }, skill: 'german' }],
    },
  ],
});

const TOKEN = 'test-admin-token-0123456789';
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ config, smtpPort: 0, outboxSmtpPort: 0, apiPort: 0, adminToken: TOKEN, logLevel: 'SILENT', stateFile: null });
});

afterAll(async () => {
  await sandbox?.stop();
});

async function api(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const binary = typeof body === 'string';
  const response = await fetch(`${sandbox.info.adminApi?.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': binary ? 'message/rfc822' : 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: binary ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** The first pointer that reaches a skill's queue. */
async function pointerOn(skill: string): Promise<RoutedMessage> {
  for (let i = 0; i < 100; i++) {
    const [pointer] = await takeFromSandbox(sandbox.info, skill);
    if (pointer) return pointer;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing reached ${skill}`);
}

const ENGLISH_QUOTE = [
  'On Tue, 12 Mar 2024 at 10:15, Support <support@example.test> wrote:',
  ...Array.from({ length: 8 }, () => '> Thank you for contacting us. We will get back to you as soon as we can, usually within a day.'),
].join('\n');

describe('sandbox: routing by the language of the new text', () => {
  it('puts a German answer above an English quote on the skill a languages ["de"] rule names, with language "de" on the pointer and in the API', async () => {
    // Act
    await sendToSandbox(sandbox.info, {
      from: 'Greta <greta@kunde.example>',
      to: 'support@example.test',
      subject: 'Re: Lieferung',
      messageId: '<greta-1@kunde.example>',
      text: `Guten Tag, die Lieferung ist leider immer noch nicht angekommen. Können Sie bitte nachsehen?\n\n${ENGLISH_QUOTE}\n`,
    });
    const pointer = await pointerOn('german');
    const history = await api('GET', `/conversations/${pointer.conversationId}?bodies=false`);
    // Assert
    expect(pointer).toMatchObject({ skill: 'german', routingRule: 'german-speakers', language: 'de' });
    const entries = history.body.entries as { type: string; message: { direction: string; language: string | null } }[];
    expect(entries.map((e) => e.message.language)).toEqual(['de']);
  });

  it('leaves an English mail and a mail too short to tell on the default skill, with language "en" and null', async () => {
    // Act
    await sendToSandbox(sandbox.info, {
      from: 'Carla <carla@customer.example>',
      to: 'support@example.test',
      subject: 'Parcel',
      messageId: '<carla-1@customer.example>',
      text: 'Hello, my parcel has not arrived yet. Could you please check where it is?\n',
    });
    const english = await pointerOn('support');
    await sendToSandbox(sandbox.info, {
      from: 'Dirk <dirk@kunde.example>',
      to: 'support@example.test',
      subject: 'Passt',
      messageId: '<dirk-1@kunde.example>',
      text: 'Passt.\n',
    });
    const short = await pointerOn('support');
    // Assert
    expect(english).toMatchObject({ skill: 'support', routingRule: 'default', language: 'en' });
    expect(short).toMatchObject({ skill: 'support', routingRule: 'default', language: null });
  });

  it('shows the detected language in the dry run, and the rule that matched', async () => {
    // Arrange
    const raw = [
      'From: Greta <greta@kunde.example>',
      'To: support@example.test',
      'Subject: Rechnung',
      'Message-ID: <dry-1@kunde.example>',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Hallo, auf der Rechnung fehlt die Bestellnummer. Bitte senden Sie eine neue.',
      '',
    ].join('\r\n');
    // Act
    const result = await api('POST', '/channels/support/dry-run', raw);
    // Assert
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ language: 'de', route: { skill: 'german', rule: 'german-speakers' } });
  });

  it('refuses a rule whose languages are no lowercase ISO 639-1 codes with a 400 naming the field', async () => {
    // Arrange
    const etag = (await fetch(`${sandbox.info.adminApi?.url}/channels/support`, { headers: { authorization: `Bearer ${TOKEN}` } })).headers.get('etag') ?? '';
    // Act
    const bad = await api(
      'POST',
      '/channels/support/rules',
      { name: 'french', when: { languages: ['fr', 'DE', 'deu'] }, skill: 'support' },
      { 'if-match': etag },
    );
    // Assert
    expect(bad.status).toBe(400);
    const issues = (bad.body.error as { issues: { field: string; problem: string }[] }).issues;
    expect(issues.map((i) => i.field)).toEqual(['when.languages[1]', 'when.languages[2]']);
    expect(issues[0]?.problem).toContain('ISO 639-1');
  });
});
