import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../functions/core/errors.ts';
import { InboundEnvSchema, readEnv } from '../../../functions/runtime/env.ts';

describe('readEnv(InboundEnvSchema)', () => {
  it('parses the environment the stack sets', () => {
    const env = readEnv(InboundEnvSchema, {
      TABLE_NAME: 't',
      MAIL_BUCKET: 'b',
      SKILL_QUEUE_URLS: '{"support":"https://sqs.eu-west-1.amazonaws.com/1/s.fifo"}',
      CHANNEL_CACHE_SECONDS: '30',
      LEASE_SECONDS: '120',
      OUTBOUND_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/outbound.fifo',
      SUPPRESSION_SCOPE: 'account',
    });
    expect(env).toMatchObject({
      SKILL_QUEUE_URLS: { support: 'https://sqs.eu-west-1.amazonaws.com/1/s.fifo' },
      CHANNEL_CACHE_SECONDS: 30,
      LEASE_SECONDS: 120,
      POWERTOOLS_METRICS_NAMESPACE: 'Postroom',
      OUTBOUND_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/outbound.fifo',
      SUPPRESSION_SCOPE: 'account',
      TRANSIENT_FAILURES: 3,
      TRANSIENT_WINDOW_SECONDS: 604_800,
    });
  });

  it('throws one ConfigError listing every problem', () => {
    const error = (() => {
      try {
        readEnv(InboundEnvSchema, { SKILL_QUEUE_URLS: 'not json', LEASE_SECONDS: '-1' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    for (const name of ['TABLE_NAME', 'MAIL_BUCKET', 'SKILL_QUEUE_URLS', 'LEASE_SECONDS', 'OUTBOUND_QUEUE_URL'])
      expect((error as Error).message).toContain(name);
  });
});
