import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminHarness, type AdminHarness } from '../../support/admin-api.ts';

let h: AdminHarness;

beforeAll(async () => {
  h = await startAdminHarness();
});
afterAll(async () => h.stop());

type Issues = { error: { code: string; issues: { field: string; problem: string }[] } };

async function refusal(response: Response): Promise<{ status: number; issues: string[] }> {
  const body = (await response.json()) as Issues;
  return { status: response.status, issues: body.error.issues.map((i) => `${i.field}: ${i.problem}`) };
}

async function etagOf(path: string): Promise<string> {
  return (await h.call('GET', path)).headers.get('etag') ?? '';
}

describe('strict input through the API', () => {
  it('names unknown fields of a channel, nested ones too, instead of dropping them', async () => {
    // Act
    const created = await h.call('POST', '/channels', {
      body: { id: 'typo', address: 'typo@example.com', defaultSkill: 'support', maxMessageByte: 1000, ticket: { digit: 6 } },
    });
    const patched = await h.call('PATCH', '/channels/support', {
      body: { smtp: { host: 'smtp.example.com', maxMessageByte: 1, auth: { type: 'password', user: 'u' } } },
      headers: { 'if-match': await etagOf('/channels/support') },
    });
    // Assert
    expect(await refusal(created)).toEqual({ status: 400, issues: ['ticket.digit: unknown field', 'maxMessageByte: unknown field'] });
    expect(await refusal(patched)).toEqual({ status: 400, issues: ['smtp.maxMessageByte: unknown field'] });
    expect((await h.call('GET', '/channels/typo')).status).toBe(404);
  });

  it("refuses CR/LF in a channel's display names, and the channel keeps its name", async () => {
    // Act
    const res = await h.call('PATCH', '/channels/support', {
      body: { name: 'Support\r\nBcc: everyone@example.net', displayName: 'Support\u2028X' },
      headers: { 'if-match': await etagOf('/channels/support') },
    });
    const read = (await (await h.call('GET', '/channels/support')).json()) as { name: string };
    // Assert
    const problem = 'no line breaks, control or bidi override characters, or lone surrogates';
    expect(await refusal(res)).toEqual({ status: 400, issues: [`name: ${problem}`, `displayName: ${problem}`] });
    expect(read.name).toBe('Example Support');
  });

  it('refuses ids outside the one pattern', async () => {
    // Act
    const channel = await h.call('POST', '/channels', { body: { id: '../../etc', address: 'etc@example.com', defaultSkill: 'support' } });
    const skill = await h.call('POST', '/skills', { body: { name: 'agent\r\nX: y' } });
    // Assert
    const problem = 'lowercase letters, digits and dashes, starting with a letter or digit, at most 40';
    expect(await refusal(channel)).toMatchObject({ status: 400, issues: expect.arrayContaining([`id: ${problem}`]) });
    expect(await refusal(skill)).toMatchObject({ status: 400, issues: expect.arrayContaining([`name: ${problem}`]) });
  });

  it('answers a megabyte skill description with a 400 naming the field, before any write', async () => {
    // Act
    const res = await h.call('POST', '/skills', { body: { name: 'huge', description: 'x'.repeat(1024 * 1024) } });
    // Assert
    expect(await refusal(res)).toEqual({ status: 400, issues: ['description: at most 1000 characters'] });
    expect((await h.call('GET', '/skills/huge')).status).toBe(404);
  });
});
