import { resolve } from 'node:path';
import { type Dovecot, type DovecotOptions, startDovecot as start } from '../../functions/local/dovecot.ts';

export type { Dovecot, DovecotOptions, DovecotPorts, DovecotUser, Introspection, StoredMessage } from '../../functions/local/dovecot.ts';
export { startIntrospection } from '../../functions/local/dovecot.ts';

const TLS_DIR = resolve(import.meta.dirname, '../fixtures/tls');

/** The tests' dovecot: with the test-only certificate for STARTTLS/STLS and the implicit-TLS ports. */
export function startDovecot(options: DovecotOptions): Promise<Dovecot> {
  return start({ tls: { certFile: `${TLS_DIR}/test-only-server.crt`, keyFile: `${TLS_DIR}/test-only-server.key` }, ...options });
}
