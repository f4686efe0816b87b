/*
 * One local server in a process of its own, so a test can kill it (SIGKILL: no shutdown code
 * runs) and start it again on the same port and data folder. Started by `servers-process.ts`
 * through `fork` and run by Node's own type stripping: only erasable TypeScript here, and no
 * import of the project's code.
 *
 * argv[2] is the JSON of `ChildSpec`. The child binds 127.0.0.1 only, answers `{ ready: port }`
 * (or `{ error }`) over the IPC channel, and exits when that channel closes, so a parent that
 * dies leaves no server behind. The SMTP peer also reports `{ event: 'data-ended' }` for each mail.
 */
import dynalite from 'dynalite';
import { appendFileSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SMTPServer } from 'smtp-server';

export type ChildSpec =
  | { readonly kind: 'dynamodb'; readonly port: number; readonly dir: string }
  | { readonly kind: 'sqs-s3'; readonly port: number; readonly dir: string }
  | {
      readonly kind: 'smtp';
      readonly port: number;
      readonly dir: string;
      readonly user: string;
      readonly password: string;
      readonly keyFile: string;
      readonly certFile: string;
      /** How long the peer takes between the end of DATA and storing the mail: sessions are in flight when it is killed. */
      readonly replyDelayMs: number;
    };

/** One line of the SMTP peer's `received.jsonl`, written before it answers 250. */
export interface PeerReceipt {
  readonly messageId: string | null;
  readonly from: string;
  readonly to: readonly string[];
  readonly bytes: number;
  readonly pid: number;
}

const send = (message: object): void => {
  process.send?.(message);
};

process.on('disconnect', () => process.exit(0));

async function main(spec: ChildSpec): Promise<number> {
  if (spec.kind === 'dynamodb') return startDynamo(spec.port, spec.dir);
  if (spec.kind === 'sqs-s3') return startSqsS3(spec.port, spec.dir);
  return startPeer(spec);
}

/** dynalite on LevelDB files in `dir`: a write it answered is in LevelDB's log, which outlives the process (not the machine). */
async function startDynamo(port: number, dir: string): Promise<number> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, path: dir });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

interface FauxqsMessage {
  readonly messageId: string;
  readonly sentTimestamp: number;
  readonly messageDeduplicationId?: string;
  readonly sequenceNumber?: string;
}
interface FauxqsQueue {
  persistence: unknown;
  isFifo(): boolean;
  inspectMessages(): { ready: FauxqsMessage[]; delayed: FauxqsMessage[]; inflight: { message: FauxqsMessage }[] };
  recordDeduplication(dedupId: string, messageId: string, sequenceNumber: string | undefined): void;
}
interface FauxqsStore {
  persistence: unknown;
  allQueues(): FauxqsQueue[];
}
interface FauxqsPersistence {
  readonly db: { prepare(sql: string): { run(...values: unknown[]): unknown } };
  load(sqs: FauxqsStore, sns: FauxqsStore, s3: FauxqsStore): void;
  updateMessageReady(messageId: string): void;
  close(): void;
}
interface FauxqsApp {
  addHook(name: 'preClose', hook: () => void): void;
  listen(options: { host: string; port: number }): Promise<string>;
  readonly server: { address(): AddressInfo | string | null };
}

/** SQS deduplicates a FIFO message id for five minutes. */
const DEDUP_WINDOW_MS = 5 * 60_000;

/**
 * fauxqs (S3 and SQS) with its SQLite persistence in `dir`: queues, messages and objects are
 * written through before it answers, and loaded again at start. `startFauxqs` does this wiring
 * but binds every interface, so it is repeated here from the package's own modules, bound to
 * 127.0.0.1 (the package exports only its entry point, hence the file URLs).
 *
 * One gap is closed: fauxqs keeps a FIFO queue's deduplication ids in memory only, so after a
 * restart it would enqueue again a message sent (with the same deduplication id) just before the
 * crash. SQS's five-minute window does not end when one of its hosts restarts; the ids of the
 * messages still stored and sent within the window are put back, as SQS would still know them.
 */
async function startSqsS3(port: number, dir: string): Promise<number> {
  const dist = dirname(fileURLToPath(import.meta.resolve('fauxqs')));
  const load = async <T>(file: string): Promise<T> => (await import(pathToFileURL(join(dist, file)).href)) as T;
  const { SqsStore } = await load<{ SqsStore: new () => FauxqsStore }>('sqs/sqsStore.js');
  const { SnsStore } = await load<{ SnsStore: new () => FauxqsStore }>('sns/snsStore.js');
  const { S3Store } = await load<{ S3Store: new () => FauxqsStore }>('s3/s3Store.js');
  const { PersistenceManager } = await load<{ PersistenceManager: new (dir: string) => FauxqsPersistence }>('persistence.js');
  const { buildApp } = await load<{ buildApp: (options: object) => FauxqsApp }>('app.js');

  const [sqsStore, snsStore, s3Store] = [new SqsStore(), new SnsStore(), new S3Store()];
  const persistence = new PersistenceManager(dir);
  // fauxqs 2.4.1 writes NULL into the NOT NULL receive count when a message becomes visible again
  // (ChangeMessageVisibility to 0): SQLite refuses, the request fails after the message left the
  // in-flight list and before it is back in its group, and it is gone until a restart. Only the
  // receipt handle and the deadline are cleared here; the receive count stays, as in SQS.
  persistence.updateMessageReady = (messageId: string) => {
    persistence.db.prepare('UPDATE sqs_messages SET receipt_handle = NULL, visibility_deadline = NULL WHERE message_id = ?').run(messageId);
  };
  // Loaded before the stores get the manager, as startFauxqs does: loading must not write back.
  persistence.load(sqsStore, snsStore, s3Store);
  for (const store of [sqsStore, snsStore, s3Store]) store.persistence = persistence;
  const now = Date.now();
  for (const queue of sqsStore.allQueues()) {
    queue.persistence = persistence;
    if (!queue.isFifo()) continue;
    const { ready, delayed, inflight } = queue.inspectMessages();
    for (const m of [...ready, ...delayed, ...inflight.map((i) => i.message)]) {
      if (m.messageDeduplicationId && now - m.sentTimestamp < DEDUP_WINDOW_MS)
        queue.recordDeduplication(m.messageDeduplicationId, m.messageId, m.sequenceNumber);
    }
  }
  const app = buildApp({ logger: false, stores: { sqsStore, snsStore, s3Store } });
  app.addHook('preClose', () => persistence.close());
  await app.listen({ host: '127.0.0.1', port });
  return (app.server.address() as AddressInfo).port;
}

/**
 * A customer's SMTP server: STARTTLS with the test certificate, one password login. Each mail is
 * appended to `received.jsonl` in `dir` (synchronously) before the 250, as a real server stores
 * mail before it accepts it; the file outlives the process.
 */
async function startPeer(spec: Extract<ChildSpec, { kind: 'smtp' }>): Promise<number> {
  const log = join(spec.dir, 'received.jsonl');
  const server = new SMTPServer({
    key: readFileSync(spec.keyFile),
    cert: readFileSync(spec.certFile),
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === spec.user && auth.password === spec.password) return callback(null, { user: auth.username });
      return callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        // Told at once: the parent can kill the peer while this mail waits to be stored.
        send({ event: 'data-ended' });
        setTimeout(() => {
          const raw = Buffer.concat(chunks);
          const receipt: PeerReceipt = {
            messageId: messageIdOf(raw),
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            bytes: raw.length,
            pid: process.pid,
          };
          appendFileSync(log, `${JSON.stringify(receipt)}\n`);
          callback(null, `2.0.0 Ok: queued as P${process.pid}X${raw.length}`);
        }, spec.replyDelayMs);
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(spec.port, '127.0.0.1', () => resolve());
  });
  return (server.server.address() as AddressInfo).port;
}

/** The Message-ID header of a raw mail, without its angle brackets. */
function messageIdOf(raw: Buffer): string | null {
  const head = raw.subarray(0, Math.max(0, raw.indexOf('\r\n\r\n'))).toString('latin1');
  const match = /^message-id:[ \t]*<?([^>\r\n]+)>?/im.exec(head);
  return match?.[1]?.trim() ?? null;
}

main(JSON.parse(process.argv[2] ?? '{}') as ChildSpec).then(
  (port) => send({ ready: port }),
  (error: unknown) => {
    send({ error: error instanceof Error ? `${(error as NodeJS.ErrnoException).code ?? error.name}: ${error.message}` : String(error) });
    process.exit(1);
  },
);
