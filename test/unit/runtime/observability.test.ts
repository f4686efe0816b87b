import { expect, it } from 'vitest';
import { redact } from '../../../functions/runtime/observability.ts';

it('redacts secrets and leaves mail content out of log lines', () => {
  const line = JSON.stringify(
    {
      sesMessageId: 'x',
      password: 'p',
      refreshToken: 'r',
      Authorization: 'Bearer y',
      nested: { clientSecret: 's' },
      body: 'hello',
      raw: 'MIME',
      subject: 'Hi',
    },
    redact,
  );
  expect(JSON.parse(line)).toEqual({
    sesMessageId: 'x',
    password: '[redacted]',
    refreshToken: '[redacted]',
    Authorization: '[redacted]',
    nested: { clientSecret: '[redacted]' },
    subject: 'Hi',
  });
});
