import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/**
 * A dovecot of the test's own on 127.0.0.1: IMAP and POP3, plaintext (with STARTTLS/STLS) and
 * implicit TLS with the test-only certificate, users from a passwd file, XOAUTH2 and
 * OAUTHBEARER against a local introspection endpoint. Debian's `dovecot-imapd` and
 * `dovecot-pop3d` provide it. Run as root, its processes drop to the `dovecot` and `dovenull`
 * users; run as anyone else, every process and mail file is that user's.
 */

const DOVECOT = '/usr/sbin/dovecot';
const DOVEADM = '/usr/bin/doveadm';

export interface DovecotUser {
  readonly user: string;
  readonly password: string;
}

export interface DovecotOptions {
  readonly users: readonly DovecotUser[];
  /** OAuth logins, checked against this RFC 7662 introspection endpoint (POST). */
  readonly oauth2?: {
    readonly introspectionUrl: string;
    /** The SASL mechanisms offered. @default ['xoauth2', 'oauthbearer'] */
    readonly mechanisms?: readonly ('xoauth2' | 'oauthbearer')[];
  };
  /** Folders dovecot creates by itself at the first login; the adapters create the others. */
  readonly autoFolders?: readonly string[];
  /** Certificate and key files (PEM) for STARTTLS/STLS and the implicit-TLS ports; without, plaintext only. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /** Ports to listen on; a missing or 0 one takes a free port. */
  readonly ports?: Partial<DovecotPorts>;
  /** The name in the config's first line and the instance name. @default 'test' */
  readonly purpose?: string;
}

export interface DovecotPorts {
  readonly imap: number;
  readonly imaps: number;
  readonly pop3: number;
  readonly pop3s: number;
}

export interface StoredMessage {
  readonly uid: number;
  readonly flags: readonly string[];
  readonly size: number;
  readonly subject: string;
}

export interface Dovecot {
  readonly host: '127.0.0.1';
  readonly ports: DovecotPorts;
  /** Stores a message as delivered mail (`doveadm save`); the folder is created when missing. */
  deliver(user: string, raw: string | Uint8Array, folder?: string): Promise<void>;
  /** The messages of a folder, in UID order; none for a folder that does not exist. */
  list(user: string, folder: string): Promise<StoredMessage[]>;
  /** Gives a folder a new UIDVALIDITY, as a server does after rebuilding its index. */
  setUidValidity(user: string, folder: string, uidValidity: number): Promise<void>;
  /** Ends the user's sessions from the server side, as an admin or an idle timeout would. */
  kick(user: string): Promise<void>;
  /** The server's log so far (logins, with their mechanism, and errors). */
  log(): Promise<string>;
  stop(): Promise<void>;
}

function run(file: string, args: readonly string[], input?: string | Uint8Array): Promise<string> {
  return new Promise((done, fail) => {
    const child = execFile(file, args, { timeout: 15_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) fail(new Error(`${file} ${args.join(' ')}: ${stderr.trim() || error.message}`));
      else done(stdout);
    });
    child.stdin?.end(input);
  });
}

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((done) => {
          const server = createServer();
          server.listen(0, '127.0.0.1', () => done(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
  return ports;
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

/** Who dovecot's processes run as, and who owns the mail. */
interface Accounts {
  readonly internalUser: string;
  readonly internalGroup: string;
  readonly loginUser: string;
  /** The static userdb's owner of every mailbox. */
  readonly mailUid: number;
  readonly mailGid: number;
}

/** The uid and gid of a system user, from /etc/passwd. */
async function systemUser(name: string): Promise<{ uid: number; gid: number }> {
  const line = (await readFile('/etc/passwd', 'utf8')).split('\n').find((l) => l.startsWith(`${name}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) throw new Error(`dovecot harness: no system user ${name}`);
  return { uid: Number(uid), gid: Number(gid) };
}

async function accounts(): Promise<Accounts> {
  if (process.getuid?.() === 0) {
    const owner = await systemUser('dovecot');
    return { internalUser: 'dovecot', internalGroup: 'dovecot', loginUser: 'dovenull', mailUid: owner.uid, mailGid: owner.gid };
  }
  // Unprivileged, dovecot cannot switch users: every process is ours.
  const me = userInfo();
  const group = (await run('/usr/bin/id', ['-gn'])).trim();
  return { internalUser: me.username, internalGroup: group, loginUser: me.username, mailUid: me.uid, mailGid: me.gid };
}

function config(dir: string, ports: DovecotPorts, options: DovecotOptions, who: Accounts): string {
  const mechanisms = options.oauth2 ? (options.oauth2.mechanisms ?? ['xoauth2', 'oauthbearer']).join(' ') : '';
  const oauth = options.oauth2 ? `passdb {\n  driver = oauth2\n  mechanisms = ${mechanisms}\n  args = ${dir}/oauth2.conf.ext\n}\n` : '';
  const folders = (options.autoFolders ?? []).map((f) => `  mailbox "${f}" {\n    auto = create\n  }\n`).join('');
  const tls = options.tls ? `ssl = yes\nssl_cert = <${options.tls.certFile}\nssl_key = <${options.tls.keyFile}\nssl_min_protocol = TLSv1.2` : 'ssl = no';
  const home = `${dir}/home`;
  return `# A ${options.purpose ?? 'test'}'s own dovecot on loopback: nothing here is fit for a real server.
protocols = imap pop3
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
instance_name = postroom-${options.purpose ?? 'test'}-${ports.imap}
default_internal_user = ${who.internalUser}
default_internal_group = ${who.internalGroup}
default_login_user = ${who.loginUser}
first_valid_uid = 1
disable_plaintext_auth = no
auth_mechanisms = plain login ${mechanisms}
# A refused login is answered at once: the tests refuse many on purpose.
auth_failure_delay = 0
mail_location = maildir:~/Maildir
${tls}
${oauth}passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
# allow_all_users: the passdbs answer for one mechanism each, so doveadm's user lookups skip them.
userdb {
  driver = static
  args = uid=${who.mailUid} gid=${who.mailGid} home=${home}/%u allow_all_users=yes
}
namespace inbox {
  inbox = yes
  separator = /
${folders}}
# No chroot: an unprivileged dovecot cannot, and a test's own instance gains nothing from it.
service imap-login {
  chroot =
  inet_listener imap {
    port = ${ports.imap}
  }
${options.tls ? `  inet_listener imaps {\n    port = ${ports.imaps}\n    ssl = yes\n  }` : ''}
}
service pop3-login {
  chroot =
  inet_listener pop3 {
    port = ${ports.pop3}
  }
${options.tls ? `  inet_listener pop3s {\n    port = ${ports.pop3s}\n    ssl = yes\n  }` : ''}
}
# No growing delay after refused logins (the auth penalty) either.
service anvil {
  chroot =
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
`;
}

/** Debian's dovecot packages are not installed. */
export class DovecotMissingError extends Error {
  override readonly name = 'DovecotMissingError';
}

/** True when Debian's dovecot is installed here. */
export function dovecotInstalled(): boolean {
  return existsSync(DOVECOT) && existsSync(DOVEADM);
}

/** Starts dovecot and resolves once every listener accepts connections. */
export async function startDovecot(options: DovecotOptions): Promise<Dovecot> {
  if (!existsSync(DOVECOT) || !existsSync(DOVEADM)) {
    throw new DovecotMissingError('dovecot is not installed: apt-get install dovecot-imapd dovecot-pop3d');
  }
  const who = await accounts();
  const dir = await mkdtemp(join(tmpdir(), 'postroom-dovecot-'));
  // dovecot's auth and mail processes may run as other users: a 0700 folder would lock them out.
  await chmod(dir, 0o755);
  await mkdir(join(dir, 'home'));
  await chown(join(dir, 'home'), who.mailUid, who.mailGid);
  for (const { user, password } of options.users) {
    if (/[:\r\n]/.test(user + password)) throw new Error(`dovecot harness: ${user}: no ':' or line breaks in a passwd-file entry`);
  }
  await writeFile(join(dir, 'passwd'), options.users.map((u) => `${u.user}:{PLAIN}${u.password}::::::\n`).join(''), { mode: 0o644 });
  if (options.oauth2) {
    await writeFile(
      join(dir, 'oauth2.conf.ext'),
      [
        'introspection_mode = post',
        `introspection_url = ${options.oauth2.introspectionUrl}`,
        'force_introspection = yes',
        'username_attribute = username',
        'active_attribute = active',
        'active_value = true',
        'timeout_msecs = 5000',
        '',
      ].join('\n'),
      { mode: 0o644 },
    );
  }
  const [imap = 0, imaps = 0, pop3 = 0, pop3s = 0] = await freePorts(4);
  const wanted = options.ports ?? {};
  const ports: DovecotPorts = { imap: wanted.imap || imap, imaps: wanted.imaps || imaps, pop3: wanted.pop3 || pop3, pop3s: wanted.pop3s || pop3s };
  const listening = options.tls ? Object.values(ports) : [ports.imap, ports.pop3];
  const file = join(dir, 'dovecot.conf');
  await writeFile(file, config(dir, ports, options, who), { mode: 0o644 });

  const master = spawn(DOVECOT, ['-F', '-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  master.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((done) => master.once('exit', () => done()));
  // A test run that ends without stop() (a crash, a timeout) must not leave this dovecot behind.
  const orphanGuard = (): void => stopChild(master);
  process.once('exit', orphanGuard);
  const readLog = (): Promise<string> => readFile(join(dir, 'dovecot.log'), 'utf8').catch(() => '');
  const stop = async (): Promise<void> => {
    process.off('exit', orphanGuard);
    if (master.exitCode === null && master.signalCode === null) {
      await run(DOVEADM, ['-c', file, 'stop']).catch(() => stopChild(master));
      await Promise.race([exited, new Promise((done) => setTimeout(done, 5_000))]);
      if (master.exitCode === null && master.signalCode === null) stopChild(master);
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 15_000;
  for (;;) {
    if (master.exitCode !== null || master.signalCode !== null) {
      const log = await readLog();
      await rm(dir, { recursive: true, force: true });
      throw new Error(`dovecot did not start: ${stderr.trim()} ${log.trim()}`.trim());
    }
    const ready = await Promise.all(listening.map(accepts));
    if (ready.every(Boolean)) break;
    if (Date.now() > deadline) {
      const log = await readLog();
      await stop();
      throw new Error(`dovecot did not listen within 15 s: ${log.trim()}`);
    }
    await new Promise((done) => setTimeout(done, 50));
  }

  const doveadm = (args: readonly string[], input?: string | Uint8Array): Promise<string> => run(DOVEADM, ['-c', file, ...args], input);
  return {
    host: '127.0.0.1',
    ports,
    async deliver(user, raw, folder = 'INBOX') {
      if (folder !== 'INBOX') await doveadm(['mailbox', 'create', '-u', user, folder]).catch(() => undefined);
      await doveadm(['save', '-u', user, '-m', folder], raw);
    },
    async list(user, folder) {
      const out = await doveadm(['-f', 'json', 'fetch', '-u', user, 'uid flags size.virtual hdr.subject', 'mailbox', folder, 'all']);
      const rows = JSON.parse(out.trim() || '[]') as Record<string, string>[];
      return rows.map((r) => ({
        uid: Number(r.uid),
        flags: (r.flags ?? '').split(' ').filter(Boolean),
        size: Number(r['size.virtual']),
        subject: r['hdr.subject'] ?? '',
      }));
    },
    async setUidValidity(user, folder, uidValidity) {
      await doveadm(['mailbox', 'update', '-u', user, '--uid-validity', String(uidValidity), folder]);
    },
    async kick(user) {
      await doveadm(['kick', user]);
    },
    log: readLog,
    stop,
  };
}

function stopChild(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
}

/**
 * An OAuth 2.0 token introspection endpoint (RFC 7662) on 127.0.0.1 for dovecot's oauth2
 * passdb: `{active: true, username}` for a token granted and not revoked, `{active: false}` otherwise.
 */
export interface Introspection {
  readonly url: string;
  /** Tokens dovecot asked about, in order. */
  readonly asked: string[];
  grant(token: string, username: string): void;
  revoke(token: string): void;
  close(): Promise<void>;
}

export async function startIntrospection(): Promise<Introspection> {
  const tokens = new Map<string, string>();
  const asked: string[] = [];
  const server = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      const token = new URLSearchParams(body).get('token') ?? '';
      asked.push(token);
      const username = tokens.get(token);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(username ? { active: true, username } : { active: false }));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`,
    asked,
    grant: (token, username) => {
      tokens.set(token, username);
    },
    revoke: (token) => {
      tokens.delete(token);
    },
    close: () => new Promise((done) => server.close(() => done())),
  };
}
