import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../../functions/core/errors.ts';
import { createAdminOutbound } from '../../../functions/runtime/admin-outbound.ts';
import { AdminEnvSchema } from '../../../functions/runtime/admin-env.ts';

const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';
const input = { code: 'c', redirectUri: 'https://app.example.com/cb', clientSecret: 's' };

/** What an OAuth code exchange to `tokenUrl` comes to within a short while: the guard refuses an IP literal at once. */
async function exchangeOutcome(allowedCidrs: readonly string[] | undefined, tokenUrl: string): Promise<unknown> {
  const outbound = createAdminOutbound({ keyArn: KEY_ARN, ...(allowedCidrs ? { allowedCidrs } : {}) });
  const attempt = outbound.oauth.exchange({ tokenUrl, clientId: 'id', scope: 'openid' }, input).then(
    () => 'answered',
    (e: unknown) => e,
  );
  return Promise.race([attempt, new Promise((resolve) => setTimeout(() => resolve('still connecting'), 300))]);
}

const isBlocked = (outcome: unknown): boolean => outcome instanceof PolicyError && outcome.code === 'blocked-host';

describe('the admin function’s host guard', () => {
  it('refuses a private token endpoint unless the deployment allows its network, as the outbound function does', async () => {
    // Act
    const byDefault = await exchangeOutcome(undefined, 'https://10.20.0.5:9/token');
    const allowed = await exchangeOutcome(['10.20.0.0/16'], 'https://10.20.0.5:9/token');
    const elsewhere = await exchangeOutcome(['10.20.0.0/16'], 'https://10.21.0.5:9/token');
    // Assert
    expect(isBlocked(byDefault)).toBe(true);
    expect(isBlocked(allowed)).toBe(false);
    expect(isBlocked(elsewhere)).toBe(true);
  });

  it('never lets the allow-list open the metadata service or loopback', async () => {
    // Act
    const metadata = await exchangeOutcome(['0.0.0.0/0'], 'https://169.254.169.254/token');
    const loopback = await exchangeOutcome(['0.0.0.0/0'], 'https://127.0.0.1:9/token');
    // Assert
    expect((metadata as Error).message).toContain('an instance metadata address');
    expect((loopback as Error).message).toContain('a loopback address');
  });

  it('reads the allow-list from ALLOWED_PRIVATE_CIDRS', () => {
    // Arrange
    const env = {
      TABLE_NAME: 't',
      AUDIT_TABLE_NAME: 'a',
      MAIL_BUCKET: 'b',
      DOMAINS: 'example.com',
      SKILL_QUEUE_PREFIX: 'p-',
      RECEIPT_RULE_SET: 'r',
      INBOUND_FUNCTION_ARN: 'arn',
      CREDENTIALS_KEY_ARN: KEY_ARN,
      OUTBOUND_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/out.fifo',
      POLL_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/poll.fifo',
      PRIVACY_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/privacy',
    };
    // Act
    const none = AdminEnvSchema.parse(env);
    const some = AdminEnvSchema.parse({ ...env, ALLOWED_PRIVATE_CIDRS: '10.20.0.0/16, fd12::/48' });
    // Assert
    expect(none.ALLOWED_PRIVATE_CIDRS).toEqual([]);
    expect(some.ALLOWED_PRIVATE_CIDRS).toEqual(['10.20.0.0/16', 'fd12::/48']);
  });
});
