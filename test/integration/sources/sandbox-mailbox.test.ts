import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostroomConfigSchema } from '../../../functions/core/model/postroom-config.ts';
import { type Sandbox, startSandbox } from '../../../functions/local/sandbox.ts';
import { customerMail } from '../../support/inbound-deps.ts';
import { takeFromSandbox } from '../../support/sandbox.ts';

/**
 * The "done means" in the sandbox: the sample channel reads the sandbox's IMAP mailbox
 * holding three old mails, two new ones arrive; an mbox is imported twice through the API.
 */
const CORPUS = join(import.meta.dirname, '../../../../shared/corpus');
let sandbox: Sandbox;
let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'postroom-mailbox-'));
  const config = PostroomConfigSchema.parse(JSON.parse(await readFile(join(import.meta.dirname, '../../../postroom.sandbox.json'), 'utf8')));
  sandbox = await startSandbox({ config, smtpPort: 0, outboxSmtpPort: 0, imapPort: 0, pop3Port: 0, apiPort: 0, logLevel: 'SILENT', stateFile: null, workDir });
});

afterAll(async () => {
  await sandbox?.stop();
  await rm(workDir, { recursive: true, force: true });
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${sandbox.info.adminApi?.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${sandbox.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function imap<T>(work: (client: ImapFlow) => Promise<T>): Promise<T> {
  const box = sandbox.info.mailbox;
  if (!box) throw new Error('the sandbox runs no mailbox server (dovecot missing)');
  const client = new ImapFlow({
    host: box.imap.host,
    port: box.imap.port,
    secure: false,
    auth: { user: box.user, pass: (await readFile(box.passwordFile, 'utf8')).trim() },
    logger: false,
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.logout().catch(() => undefined);
  }
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > end) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
}

function mbox(mails: readonly string[]): string {
  // mboxrd: a body line starting with "From " (after any ">") gets one more ">".
  return mails.map((m) => `From import@example.test Mon Jan  5 09:00:00 2026\n${m.replace(/\r\n/g, '\n').replace(/^(>*From )/gm, '>$1')}\n`).join('');
}

// The sandbox polls every few seconds and runs imports in the background: on a loaded machine that takes a while.
describe('a mailbox channel and an import in the sandbox', { timeout: 90_000 }, () => {
  it('makes the three old mails closed conversations, routes the two new ones, and moves every processed mail to Handled', async () => {
    const source = await until(
      () => api('GET', '/channels/mailbox/source'),
      (r) => (r.body.counts as { imported: number }).imported === 3,
    );
    await imap(async (client) => {
      await client.append('INBOX', customerMail({ messageId: 'new-1@customer.example', to: 'mailbox@example.test', subject: 'Where is my parcel?' }));
      await client.append(
        'INBOX',
        customerMail({ messageId: 'new-2@customer.example', to: 'mailbox@example.test', subject: 'Refund please', from: 'bob@customer.example' }),
      );
    });
    const polled = await api('POST', '/channels/mailbox/source/poll');
    const queued = await takeFromSandbox(sandbox.info, 'support');
    const conversations = await api('GET', '/conversations?channelId=mailbox&limit=20');
    const count = async (client: ImapFlow, folder: string) => {
      const status = await client.status(folder, { messages: true });
      return status === false ? -1 : status.messages;
    };
    const folders = await imap(async (client) => ({ inbox: await count(client, 'INBOX'), handled: await count(client, 'Handled') }));

    expect(source.body).toMatchObject({ type: 'imap', health: { status: 'healthy' }, initialized: true });
    expect(polled.status).toBe(200);
    expect((polled.body.items as { outcome: string }[]).map((i) => i.outcome)).toEqual(['routed', 'routed']);
    expect(queued.map((q) => q.subject).sort()).toEqual(['Refund please', 'Where is my parcel?']);
    const statuses = (conversations.body.items as { status: string }[]).map((c) => c.status).sort();
    expect(statuses).toEqual(['closed', 'closed', 'closed', 'open', 'open']);
    expect(folders).toEqual({ inbox: 0, handled: 5 });
  });

  it('imports an mbox through an upload as closed conversations threaded among themselves, and a second import finds each message once', async () => {
    // One real thread of five (notmuch's default-T01 in threads.csv), and its first message once more.
    const files = ['01.eml', '02.eml', 'foo_cur_07.eml', 'foo_baz_11.eml', 'cur_40.eml'];
    const thread = await Promise.all(files.map((f) => readFile(join(CORPUS, 'notmuch/default', f), 'utf8')));
    const archive = mbox([...thread, thread[0] ?? '']);
    const runImport = async () => {
      const created = await api('POST', '/channels/support/imports');
      const { upload } = created.body as { upload: { url: string; fields: Record<string, string> } };
      const form = new FormData();
      for (const [k, v] of Object.entries(upload.fields)) form.append(k, v);
      form.append('file', new Blob([archive]), 'archive.mbox');
      const uploaded = await fetch(upload.url, { method: 'POST', body: form });
      const id = (created.body.import as { id: string }).id;
      const started = await api('POST', `/channels/support/imports/${id}/start`);
      const finished = await until(
        () => api('GET', `/channels/support/imports/${id}`),
        (r) => r.body.status === 'done' || r.body.status === 'failed',
      );
      return { created: created.status, uploaded: uploaded.status, started: started.status, finished: finished.body };
    };

    const first = await runImport();
    const second = await runImport();
    const queued = await takeFromSandbox(sandbox.info, 'support');
    const page = await api('GET', '/conversations?channelId=support&status=closed&limit=50');

    expect([first.created, first.uploaded, first.started]).toEqual([201, 204, 202]);
    expect(first.finished).toMatchObject({ status: 'done', counts: { processed: 6, imported: 5, duplicates: 1, failed: 0 } });
    expect(second.finished).toMatchObject({ status: 'done', counts: { processed: 6, imported: 0, duplicates: 6, failed: 0 } });
    expect(queued).toEqual([]);
    // The five messages of one real thread make one closed conversation.
    expect((page.body.items as { status: string }[]).filter((c) => c.status === 'closed')).toHaveLength(1);
  });
});
