import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { provisionLocalAws } from '../../../functions/local/local-aws.ts';
import { type LocalAws, withDrain } from '../../support/local-aws.ts';
import type { ChildSpec, PeerReceipt } from './servers-child.ts';

export type { PeerReceipt };

const CHILD = join(import.meta.dirname, 'servers-child.ts');
const TLS_DIR = join(import.meta.dirname, '../../fixtures/tls');

/** A server in a child process, on a port fixed at its first start and kept across restarts. */
export interface ServerProcess {
  readonly kind: ChildSpec['kind'];
  readonly port: number;
  readonly endpoint: string;
  /** The running child's pid; null while it is down. */
  readonly pid: number | null;
  /** How often it was killed. */
  readonly kills: number;
  /** How often the child reported `event`, over all its lives. */
  eventCount(event: string): number;
  /** Kills the child with SIGKILL (no shutdown code runs) and waits until it is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data folder. */
  restart(): Promise<void>;
  /** Ends it for good. */
  stop(): Promise<void>;
}

type SpecWithoutPort = ChildSpec extends infer S ? (S extends ChildSpec ? Omit<S, 'port'> : never) : never;

/**
 * Starts a server child (`servers-child.ts`) with Node's type stripping. The first start takes
 * a free port; restarts bind the same one, retried for a while in case the old socket lingers.
 */
export async function startServerProcess(spec: SpecWithoutPort): Promise<ServerProcess> {
  mkdirSync(spec.dir, { recursive: true });
  let child: ChildProcess | null = null;
  let kills = 0;
  const events = new Map<string, number>();
  const onEvent = (event: string): void => void events.set(event, (events.get(event) ?? 0) + 1);
  let port = await spawnChild({ ...spec, port: 0 } as ChildSpec, (c) => (child = c), onEvent);
  const running = (): ChildProcess | null => child;

  const end = async (signal: NodeJS.Signals): Promise<void> => {
    const c = running();
    if (!c) return;
    child = null;
    if (c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill(signal);
    await gone;
  };

  return {
    kind: spec.kind,
    get port() {
      return port;
    },
    get endpoint() {
      return `http://127.0.0.1:${port}`;
    },
    get pid() {
      return running()?.pid ?? null;
    },
    get kills() {
      return kills;
    },
    eventCount: (event) => events.get(event) ?? 0,
    async kill() {
      kills++;
      await end('SIGKILL');
    },
    async restart() {
      if (running()) throw new Error(`${spec.kind} is still running`);
      for (let attempt = 1; ; attempt++) {
        try {
          port = await spawnChild({ ...spec, port } as ChildSpec, (c) => (child = c), onEvent);
          return;
        } catch (error) {
          if (attempt >= 20 || !String(error).includes('EADDRINUSE')) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    },
    async stop() {
      await end('SIGTERM');
    },
  };
}

function spawnChild(spec: ChildSpec, started: (child: ChildProcess) => void, onEvent: (event: string) => void): Promise<number> {
  // execArgv empty: the test runner's own loader flags have no business in the server.
  const child = fork(CHILD, [JSON.stringify(spec)], { execPath: process.execPath, execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = `${stderr}${chunk.toString()}`.slice(-2000);
  });
  child.on('message', (message: { event?: string }) => {
    if (message.event) onEvent(message.event);
  });
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${spec.kind} child did not start in 15 s: ${stderr}`));
    }, 15_000);
    child.once('message', (message: { ready?: number; error?: string }) => {
      clearTimeout(timer);
      if (message.ready) {
        started(child);
        resolve(message.ready);
      } else {
        reject(new Error(`${spec.kind} child failed: ${message.error ?? 'unknown'} ${stderr}`));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${spec.kind} child exited before it was ready (${code ?? signal}): ${stderr}`));
    });
  });
}

/** dynalite and fauxqs, each in its own process, and the table, bucket and queues of a deployment on them. */
export interface SeparateServers {
  readonly dynamodb: ServerProcess;
  /** fauxqs: S3 and SQS in one process, as the sandbox runs them. */
  readonly sqsS3: ServerProcess;
  /** Clients and names as `test/support/local-aws.ts` gives them, on the child servers. */
  readonly aws: LocalAws;
  stop(): Promise<void>;
}

/**
 * Starts dynalite (LevelDB files under `dir/dynamodb`) and fauxqs (SQLite under `dir/sqs-s3`)
 * as child processes and creates what `startLocalAws` creates: the table and the audit table,
 * the mail bucket, a FIFO queue and dead-letter queue per skill, the outbound and feedback queues.
 */
export async function startSeparateServers(dir: string, skills: readonly string[]): Promise<SeparateServers> {
  const [dynamodb, sqsS3] = await Promise.all([
    startServerProcess({ kind: 'dynamodb', dir: join(dir, 'dynamodb') }),
    startServerProcess({ kind: 'sqs-s3', dir: join(dir, 'sqs-s3') }),
  ]);
  const endpoints = { dynamodb: dynamodb.endpoint, s3: sqsS3.endpoint, sqs: sqsS3.endpoint };
  // The servers are ended by `stop` below (and killed and restarted by the tests): the clients only here.
  const aws = withDrain(
    await provisionLocalAws(
      endpoints,
      { skills, tableName: 'postroom-faults', bucket: 'postroom-faults-mail' },
      {
        pids: () => [dynamodb.pid, sqsS3.pid].filter((pid) => pid !== null),
        stop: async () => undefined,
      },
    ),
  );
  return {
    dynamodb,
    sqsS3,
    aws,
    async stop() {
      await aws.stop();
      await Promise.all([dynamodb.stop(), sqsS3.stop()]);
    },
  };
}

/** The login the SMTP peer takes. */
export const PEER_USER = 'postroom@example.com';
export const PEER_PASSWORD = 'peer-pass-1-secret';
/** The test-only CA that signed the peer's certificate (for 127.0.0.1 and localhost). */
export const PEER_CA_FILE = join(TLS_DIR, 'test-only-ca.crt');

/** A customer's SMTP server in a child process, and what it stored across all its lives. */
export interface SmtpPeerProcess extends ServerProcess {
  received(): PeerReceipt[];
}

/** Starts the SMTP peer (STARTTLS, password login); `replyDelayMs` between the end of DATA and storing the mail. */
export async function startSmtpPeer(dir: string, replyDelayMs: number): Promise<SmtpPeerProcess> {
  const peer = await startServerProcess({
    kind: 'smtp',
    dir,
    user: PEER_USER,
    password: PEER_PASSWORD,
    replyDelayMs,
    keyFile: join(TLS_DIR, 'test-only-server.key'),
    certFile: join(TLS_DIR, 'test-only-server.crt'),
  });
  const log = join(dir, 'received.jsonl');
  return Object.assign(peer, {
    received: (): PeerReceipt[] => {
      let text = '';
      try {
        text = readFileSync(log, 'utf8');
      } catch {
        return [];
      }
      return text
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as PeerReceipt);
    },
  });
}
