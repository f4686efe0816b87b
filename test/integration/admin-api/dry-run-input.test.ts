import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostroomConfigSchema } from '../../../functions/core/model/postroom-config.ts';
import { startAdminHarness, TOKEN, type AdminHarness } from '../../support/admin-api.ts';
import { EXAMPLE_CONFIG } from '../../support/local-aws.ts';

let h: AdminHarness;

beforeAll(async () => {
  const small = { id: 'small', address: 'small@example.com', defaultSkill: 'support', maxMessageBytes: 2048 };
  h = await startAdminHarness(PostroomConfigSchema.parse({ ...EXAMPLE_CONFIG, channels: [...EXAMPLE_CONFIG.channels, small] }));
});
afterAll(async () => h.stop());

function dryRun(channelId: string, body: Uint8Array | string): Promise<Response> {
  return Promise.resolve(
    h.app.request(`/channels/${channelId}/dry-run`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'message/rfc822' },
      body,
    }),
  );
}

const MAIL = 'From: Ann <ann@customer.example>\r\nTo: small@example.com\r\nSubject: Refund\r\nMessage-ID: <r1@customer.example>\r\n\r\nPlease refund.\r\n';

const HEADER_NAMES = ['From', 'To', 'Subject', 'Content-Type', 'References', 'In-Reply-To', 'X-Any', 'Content-Transfer-Encoding'];

/** Header-like lines and a body of random text: close enough to mail to reach the decision. */
const mailLike = fc
  .tuple(fc.array(fc.tuple(fc.constantFrom(...HEADER_NAMES), fc.string({ maxLength: 80 })), { maxLength: 8 }), fc.string({ maxLength: 400 }))
  .map(([headers, body]) => new TextEncoder().encode(`${headers.map(([n, v]) => `${n}: ${v}`).join('\r\n')}\r\n\r\n${body}`));

describe('POST /channels/{id}/dry-run with what is not a good mail', () => {
  it('answers only 200, 400 or 413 for any bytes, never 500', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 3000 }), mailLike), async (body) => {
        // Act
        const response = await dryRun('small', body);
        // Assert
        expect([200, 400, 413]).toContain(response.status);
        if (response.status !== 200) expect(((await response.json()) as { error: { issues: { field: string }[] } }).error.issues[0]?.field).toBe('body');
      }),
      { numRuns: 150 },
    );
  });

  it.each([
    ['an empty body', '', 'the body is empty'],
    ['plain text without a header block', 'hello, this is not a mail\r\n', 'No header block: input is not a mail message'],
  ])('answers 400 naming the reason for %s', async (_, body, reason) => {
    // Act
    const response = await dryRun('support', body);
    // Assert
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: { code: 'validation', message: `not a mail the channel would accept: ${reason}`, issues: [{ field: 'body', problem: reason }] },
    });
  });

  it("answers 413 with the channel's limit for a mail over it", async () => {
    // Arrange
    const big = `${MAIL}${'x'.repeat(3000)}\r\n`;
    // Act
    const response = await dryRun('small', big);
    const fits = await dryRun('small', MAIL);
    // Assert
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'limit-size',
      message: `the mail is ${big.length} bytes; channel small accepts at most 2048 (maxMessageBytes)`,
    });
    expect(fits.status).toBe(200);
  });
});
