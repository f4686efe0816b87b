import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoCredentialStore } from '../adapters/dynamo-credential-store.ts';
import { EncryptionSdkSecretCipher, localKeyring } from '../adapters/outbound/encryption-sdk-secret-cipher.ts';
import type { ChannelSettings } from '../core/model/channel.ts';
import { secretEndpointKey } from '../core/model/channel-credentials.ts';
import { type Dovecot, dovecotInstalled, startDovecot } from './dovecot.ts';
import type { LocalAws } from './local-aws.ts';

/** A mailbox source with this host in the sandbox config reads the sandbox's own mailbox server. */
export const SANDBOX_MAILBOX_HOST = 'localhost';
/** The sample account of the sandbox's mailbox server. */
export const SANDBOX_MAILBOX_USER = 'mailbox';

/** Where the sandbox's mailbox server is, for the CLI (`postroom send --mailbox`) and for people. */
export interface SandboxMailboxInfo {
  readonly imap: { readonly host: string; readonly port: number };
  readonly pop3: { readonly host: string; readonly port: number };
  readonly user: string;
  /** The file holding the sample account's password (mode 0600). */
  readonly passwordFile: string;
}

export interface SandboxMailbox {
  /** Null when dovecot is not installed (then `note` says how to install it). */
  readonly info: SandboxMailboxInfo | null;
  readonly note: string | null;
  /** The config's channels, those reading `localhost` pointed at this server with its sample login. */
  channels(config: readonly ChannelSettings[]): ChannelSettings[];
  /** Stores the sample login, encrypted, for each channel reading this server. */
  seedCredentials(channels: readonly ChannelSettings[], keyFile: string): Promise<void>;
  stop(): Promise<void>;
}

/** Three mails already in the mailbox at its first start: an `import-closed` source makes them closed conversations. */
const OLD_MAIL = [
  ['Anna Old <anna@customer.example>', 'Invoice 2024-113 was paid twice', 'Hello, I paid the invoice twice, could you refund one payment?'],
  ['Ben Earlier <ben@customer.example>', 'Change of address', 'Please send future letters to Hauptstrasse 5, 8000 Zurich.'],
  ['Carla Past <carla@customer.example>', 'Thank you!', 'The replacement arrived, thank you for the quick help.'],
] as const;

/**
 * The sandbox's mailbox server: Debian's dovecot on 127.0.0.1 with one sample account. Channels of the sandbox config whose source names the host
 * `localhost` read it (plaintext on loopback, which only the sandbox allows); at its first start
 * the INBOX holds three old mails. Without dovecot the sandbox runs on, and says how to get it.
 */
export async function prepareSandboxMailbox(options: {
  readonly aws: Pick<LocalAws, 'db' | 'tableName'>;
  readonly dir: string;
  readonly imapPort: number;
  readonly pop3Port: number;
  /** Whether any channel of the config reads the sandbox's mailbox: without one, no server is started. */
  readonly wanted: boolean;
}): Promise<SandboxMailbox> {
  const rewrite =
    (server: SandboxMailboxInfo | null) =>
    (config: readonly ChannelSettings[]): ChannelSettings[] =>
      config.map((c) => {
        const { source } = c;
        if ((source.type !== 'imap' && source.type !== 'pop3') || source.host !== SANDBOX_MAILBOX_HOST || !server) return c;
        const port = source.type === 'imap' ? server.imap.port : server.pop3.port;
        return { ...c, source: { ...source, host: '127.0.0.1', port, security: 'none' as const, user: server.user, auth: 'password' as const } };
      });
  if (!options.wanted) return { info: null, note: null, channels: rewrite(null), seedCredentials: async () => undefined, stop: async () => undefined };
  if (!dovecotInstalled()) {
    const note = 'the sample mailbox channel needs a local IMAP/POP3 server: apt-get install dovecot-imapd dovecot-pop3d, then npm start again';
    return { info: null, note, channels: rewrite(null), seedCredentials: async () => undefined, stop: async () => undefined };
  }
  const passwordFile = join(options.dir, 'mailbox-password');
  const password = await readFile(passwordFile, 'utf8')
    .then((p) => p.trim())
    .catch(() => randomBytes(18).toString('base64url'));
  await mkdir(options.dir, { recursive: true });
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  // The mail lives in dovecot's own folder, gone at stop: each start begins with the three old mails.
  // A source kept with --data finds a new UIDVALIDITY then, rescans, and knows the old mails by content.
  const server: Dovecot = await startDovecot({
    users: [{ user: SANDBOX_MAILBOX_USER, password }],
    ports: { imap: options.imapPort, pop3: options.pop3Port },
    purpose: 'sandbox',
  });
  try {
    await seedOldMail(server);
  } catch (error) {
    // A server that could not take the sample mail is stopped, not left running without an owner.
    await server.stop().catch(() => undefined);
    throw error;
  }
  const info: SandboxMailboxInfo = {
    imap: { host: server.host, port: server.ports.imap },
    pop3: { host: server.host, port: server.ports.pop3 },
    user: SANDBOX_MAILBOX_USER,
    passwordFile,
  };
  return {
    info,
    note: null,
    channels: rewrite(info),
    async seedCredentials(channels, keyFile) {
      const cipher = new EncryptionSdkSecretCipher(await localKeyring(keyFile));
      const store = new DynamoCredentialStore(options.aws.db, options.aws.tableName);
      for (const channel of channels) {
        const { source } = channel;
        if (
          (source.type !== 'imap' && source.type !== 'pop3') ||
          source.host !== '127.0.0.1' ||
          source.port !== (source.type === 'imap' ? info.imap.port : info.pop3.port)
        )
          continue;
        const ciphertext = await cipher.encrypt(password, {
          channelId: channel.id,
          purpose: 'source-password',
          endpoint: secretEndpointKey(channel, 'source-password'),
        });
        await store.putSecret(channel.id, 'sourcePassword', ciphertext, new Date().toISOString());
      }
    },
    stop: () => server.stop(),
  };
}

/** Puts the three old mails into the sample account's INBOX, as its mail server once delivered them. */
async function seedOldMail(server: Dovecot): Promise<void> {
  for (const [i, [from, subject, text]] of OLD_MAIL.entries()) {
    const date = new Date(Date.UTC(2026, 0, 10 + i, 9, 30)).toUTCString().replace('GMT', '+0000');
    const raw = [
      `From: ${from}`,
      `To: Example Mailbox <${SANDBOX_MAILBOX_USER}@example.test>`,
      `Subject: ${subject}`,
      `Date: ${date}`,
      `Message-ID: <old-${i + 1}@sandbox-mailbox.example.test>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      text,
      '',
    ].join('\r\n');
    await server.deliver(SANDBOX_MAILBOX_USER, raw);
  }
}
