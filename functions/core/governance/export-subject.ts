import type { AuditEntry, Note } from '../model/admin-resources.ts';
import type { StoredMessage } from '../model/stored-message.ts';
import type { SuppressionEntry } from '../model/suppression.ts';
import type { ConversationBundle, ExportArchives, ExportStaging, Finding, MailContents, SubjectData } from '../ports/privacy.ts';
import type { SubjectMatcher } from './address-match.ts';
import type { PrivacyJob } from './privacy-job.ts';
import { involves } from './redact-records.ts';

/** What an export's scan keeps for the packing: findings as JSON, and audit entries. */
export type StagedFinding =
  | { readonly kind: 'conversation'; readonly id: string }
  | { readonly kind: 'loose-message'; readonly message: StoredMessage }
  | { readonly kind: 'mail'; readonly sesMessageId: string; readonly rawKey: string | null; readonly conversationId: string | null }
  | { readonly kind: 'suppression'; readonly entry: SuppressionEntry }
  | { readonly kind: 'record'; readonly what: string; readonly item: unknown }
  | { readonly kind: 'configuration'; readonly what: string }
  | { readonly kind: 'audit'; readonly entry: AuditEntry };

/** The staged form of a finding. */
export function stageOf(finding: Finding): StagedFinding {
  switch (finding.kind) {
    case 'conversation':
      return { kind: 'conversation', id: finding.conversationId };
    case 'loose-message':
      return { kind: 'loose-message', message: finding.message };
    case 'mail':
      return { kind: 'mail', sesMessageId: finding.sesMessageId, rawKey: finding.rawKey, conversationId: finding.conversationId };
    case 'suppression':
      return { kind: 'suppression', entry: finding.entry };
    case 'keyed':
    case 'record':
      return { kind: 'record', what: finding.what, item: jsonSafe(exportable(finding.ref.pk ?? '', finding.item)) };
    case 'configuration':
      return { kind: 'configuration', what: finding.what };
  }
}

/**
 * What of an item goes into an archive: a work lease (`LEASE#`) without the queue's receipt handle
 * (it acts on the message in the queue) and the queue's URL; any other item as it is.
 */
function exportable(pk: string, item: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  if (!pk.startsWith('LEASE#')) return item;
  const { lease, ...rest } = item;
  try {
    const { receiptHandle: _handle, queueUrl: _queue, ...kept } = JSON.parse(String(lease)) as Record<string, unknown>;
    return { ...rest, lease: kept };
  } catch {
    return rest;
  }
}

/** A stored value as JSON holds it: sets as sorted lists, binary as its size. */
export function jsonSafe(value: unknown): unknown {
  if (value instanceof Set) return [...value].map(jsonSafe).sort();
  if (value instanceof Uint8Array) return { binaryBytes: value.byteLength };
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  return value;
}

export interface ExportDeps {
  readonly data: SubjectData;
  readonly contents: MailContents;
  readonly staging: ExportStaging;
  readonly archives: ExportArchives;
  readonly now: () => Date;
}

/** The layout version of an archive, in its manifest. */
export const EXPORT_FORMAT = 'postroom-subject-export/1';

/**
 * Packs the archive of an export from what its scan staged: per conversation the person is a
 * party of, the messages naming them (JSON with their text, the raw `.eml` of inbound mail, the
 * attachments), notes mentioning them; messages without a conversation; other mail of theirs
 * (failed mail); suppression entries, other records and audit entries naming them; and
 * `manifest.json` listing every file. Other people's messages in a shared conversation that do
 * not name the person are left out: they are those people's data.
 */
export async function packExport(
  deps: ExportDeps,
  job: PrivacyJob,
  m: SubjectMatcher,
): Promise<{ readonly key: string; readonly bytes: number; readonly counts: Record<string, number> }> {
  const staged: StagedFinding[] = [];
  for (let part = 0; part < job.parts; part++) staged.push(...((await deps.staging.get(job.id, part)) as StagedFinding[]));
  const writer = await deps.archives.create(job.id);
  const files: { path: string; kind: string; bytes: number }[] = [];
  const counts: Record<string, number> = {};
  const count = (name: string, n = 1) => {
    counts[name] = (counts[name] ?? 0) + n;
  };
  const put = async (path: string, kind: string, data: Uint8Array | string) => {
    await writer.add(path, data);
    files.push({ path, kind, bytes: typeof data === 'string' ? new TextEncoder().encode(data).byteLength : data.byteLength });
  };
  const exportedMails = new Set<string>();
  try {
    const conversationIds = [
      ...new Set(staged.flatMap((s) => (s.kind === 'conversation' ? [s.id] : s.kind === 'mail' && s.conversationId ? [s.conversationId] : []))),
    ];
    for (const id of conversationIds) {
      const bundle = await deps.data.conversation(id);
      if (!bundle) continue;
      const wanted = bundle.messages.filter((message) => involves(message, m));
      const notes = bundle.notes.filter((n) => m.mentions(n.text));
      if (wanted.length === 0 && notes.length === 0) continue;
      const folder = `conversations/${segment(bundle.conversation.ticketNumber)}_${segment(id)}`;
      await put(`${folder}/conversation.json`, 'conversation', json(conversationOf(bundle, wanted.length)));
      count('conversations');
      let n = 0;
      for (const message of wanted) {
        n += 1;
        await exportMessage(
          deps,
          { put, count },
          `${folder}/messages/${String(n).padStart(3, '0')}_${message.direction}_${segment(message.messageId)}`,
          message,
        );
        if (message.direction === 'inbound') exportedMails.add(message.sesMessageId);
      }
      if (notes.length > 0) {
        await put(`${folder}/notes.json`, 'notes', json(notes.map(noteOf)));
        count('notes', notes.length);
      }
    }
    for (const s of staged) {
      if (s.kind !== 'loose-message' || !involves(s.message, m)) continue;
      await exportMessage(deps, { put, count }, `unattached/${segment(s.message.messageId)}`, s.message);
      if (s.message.direction === 'inbound') exportedMails.add(s.message.sesMessageId);
    }
    for (const s of staged) {
      if (s.kind !== 'mail' || !s.rawKey || exportedMails.has(s.sesMessageId)) continue;
      exportedMails.add(s.sesMessageId);
      const raw = await deps.data.rawMail(s.rawKey);
      if (!raw) continue;
      const read = await deps.contents.read(raw);
      if (!read.from.some((a) => m.isAddress(a)) && !m.mentions(new TextDecoder().decode(raw))) continue;
      await put(`other-mail/${segment(s.sesMessageId)}.eml`, 'raw-mail', raw);
      await put(
        `other-mail/${segment(s.sesMessageId)}.json`,
        'mail-text',
        json({ sesMessageId: s.sesMessageId, from: read.from, subject: read.subject, text: read.text }),
      );
      count('otherMails');
    }
    const suppressions = staged.flatMap((s) => (s.kind === 'suppression' ? [s.entry] : []));
    const records = staged.flatMap((s) => (s.kind === 'record' ? [{ what: s.what, item: s.item }] : []));
    const audit = staged.flatMap((s) => (s.kind === 'audit' ? [s.entry] : []));
    const configuration = [...new Set(staged.flatMap((s) => (s.kind === 'configuration' ? [s.what] : [])))];
    await put('suppressions.json', 'suppressions', json(suppressions));
    await put('records.json', 'records', json(records));
    await put('audit.json', 'audit', json(audit));
    count('suppressions', suppressions.length);
    count('records', records.length);
    count('auditEntries', audit.length);
    await writer.add(
      'manifest.json',
      json({
        format: EXPORT_FORMAT,
        address: m.address,
        jobId: job.id,
        requestedAt: job.createdAt,
        generatedAt: deps.now().toISOString(),
        counts,
        configuration,
        notIncluded: [
          "messages of shared conversations that do not name this address: they are other people's data",
          'mail already deleted by the retention period',
        ],
        files,
      }),
    );
    const closed = await writer.close();
    return { ...closed, counts };
  } catch (error) {
    await writer.abort().catch(() => undefined);
    throw error;
  }
}

interface Sink {
  put(path: string, kind: string, data: Uint8Array | string): Promise<void>;
  count(name: string, n?: number): void;
}

/** One message: its JSON with the text, its raw copy and attachments (inbound), or its planned text and uploads (ours). */
async function exportMessage(deps: ExportDeps, sink: Sink, base: string, message: StoredMessage): Promise<void> {
  sink.count('messages');
  if (message.direction === 'inbound') {
    const raw = await deps.data.rawMail(message.rawKey);
    const read = raw ? await deps.contents.read(raw) : null;
    await sink.put(`${base}.json`, 'message', json({ ...message, text: read?.text ?? null }));
    if (!raw || !read) return;
    await sink.put(`${base}.eml`, 'raw-mail', raw);
    sink.count('rawMails');
    let i = 0;
    for (const a of read.attachments) {
      i += 1;
      await sink.put(`${base}_attachments/${String(i).padStart(2, '0')}_${segment(a.filename)}`, 'attachment', a.content);
      sink.count('attachments');
    }
    return;
  }
  const plan = await deps.data.plan(message.channelId, message.messageId);
  const content = plan?.content as { text?: unknown; html?: unknown } | undefined;
  await sink.put(
    `${base}.json`,
    'message',
    json({
      ...message,
      text: typeof content?.text === 'string' ? content.text : null,
      html: typeof content?.html === 'string' ? content.html : null,
    }),
  );
  const attachments = Array.isArray(plan?.attachments) ? (plan.attachments as { source?: unknown; key?: unknown; filename?: unknown }[]) : [];
  let i = 0;
  for (const a of attachments) {
    if (a.source !== 's3' || typeof a.key !== 'string') continue;
    const bytes = await deps.data.upload(a.key);
    if (!bytes) continue;
    i += 1;
    await sink.put(`${base}_attachments/${String(i).padStart(2, '0')}_${segment(String(a.filename ?? 'attachment'))}`, 'attachment', bytes);
    sink.count('attachments');
  }
}

function conversationOf(bundle: ConversationBundle, messages: number) {
  const c = bundle.conversation;
  // Other participants' addresses are theirs: the file says how many there were, not who.
  return {
    id: c.id,
    channelId: c.channelId,
    ticketNumber: c.ticketNumber,
    status: c.status,
    createdAt: c.createdAt,
    otherParticipants: Math.max(0, c.participants.length - 1),
    messagesIncluded: messages,
  };
}

function noteOf(note: Note) {
  return { id: note.id, at: note.at, text: note.text };
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** A path segment safe in any unzip tool: letters, digits, `.`, `_`, `-`; never `..`. */
function segment(text: string): string {
  const cleaned = text
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^\.+/, '_')
    .slice(0, 100);
  return cleaned === '' ? '_' : cleaned;
}
