import { resolve } from 'node:path';
import { type Dovecot, type DovecotOptions, startDovecot as start } from '../../functions/local/dovecot.ts';

export type { Dovecot, DovecotOptions, DovecotPorts, DovecotUser, Introspection, StoredMessage } from '../../functions/local/dovecot.ts';
export { startIntrospection } from '../../functions/local/dovecot.ts';

const TLS_DIR = resolve(import.meta.dirname, '../fixtures/tls');

/** The tests' dovecot: with the test-only certificate for STARTTLS/STLS and the implicit-TLS ports. */
export function startDovecot(options: DovecotOptions): Promise<Dovecot> {
  return start({ tls: { certFile: `${TLS_DIR}/test-only-server.crt`, keyFile: `${TLS_DIR}/test-only-server.key` }, ...options });
}

/**
 * Runs `work` (one session) and returns its result with the logout line dovecot wrote for it: the first line
 * matching `isLogout` beyond those logged before. Dovecot writes it after the client has closed,
 * so the last such line right after `work` may still be the session before's; waits up to 5 s.
 */
export async function sessionLogout<T>(
  dovecot: Dovecot,
  isLogout: (line: string) => boolean,
  work: () => Promise<T>,
): Promise<{ readonly value: T; readonly log: string }> {
  const logouts = async () => (await dovecot.log()).split('\n').filter(isLogout);
  const before = (await logouts()).length;
  const value = await work();
  for (let waited = 0; waited < 5_000; waited += 25) {
    const log = (await logouts())[before];
    if (log !== undefined) return { value, log };
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('dovecot logged no logout for the session within 5 s');
}
