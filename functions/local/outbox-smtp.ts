import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import selfsigned from 'selfsigned';
import { SMTPServer } from 'smtp-server';
import { listen } from './listen.ts';
import type { OutboxFolder } from './outbox.ts';

/** The sandbox's stand-in for a customer's own SMTP server: STARTTLS with its own CA, AUTH required. */
export interface OutboxSmtp {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** The login's password: the sandbox stores it encrypted as the channel's credential. */
  readonly password: string;
  /** PEM of the server's self-signed certificate: the CA the outbound transport trusts. */
  readonly ca: string;
  close(): Promise<void>;
}

/**
 * Starts an SMTP server on 127.0.0.1 that takes mail only after STARTTLS and a password login,
 * and writes every message as it arrived into the outbox. The certificate is made at start.
 */
export async function startOutboxSmtp(options: {
  readonly port: number;
  readonly outbox: OutboxFolder;
  readonly onMail?: (file: string) => void;
}): Promise<OutboxSmtp> {
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    notAfterDate: new Date(Date.now() + 30 * 24 * 3600 * 1000),
    keyType: 'ec',
    curve: 'P-256',
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  const user = 'postroom';
  const password = randomBytes(18).toString('base64url');
  const server = new SMTPServer({
    secure: false,
    key: pems.private,
    cert: pems.cert,
    authMethods: ['PLAIN', 'LOGIN'],
    // No login and no mail before STARTTLS: the transport's Force TLS is exercised for real.
    allowInsecureAuth: false,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === password) callback(null, { user });
      else callback(new Error('535 5.7.8 authentication failed'));
    },
    onMailFrom(_address, session, callback) {
      if (!session.secure) return callback(Object.assign(new Error('530 5.7.0 must issue STARTTLS first'), { responseCode: 530 }));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        options.outbox
          .write(Buffer.concat(chunks), `smtp-${session.id}`)
          .then((file) => {
            options.onMail?.(file);
            callback(null, `queued as ${session.id}`);
          })
          .catch((error: Error) => callback(error));
      });
    },
  });
  const port = await listen(server.server, options.port, 'outbox SMTP', 'POSTROOM_OUTBOX_SMTP_PORT');
  return {
    host: '127.0.0.1',
    port: (server.server.address() as AddressInfo | null)?.port ?? port,
    user,
    password,
    ca: pems.cert,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
