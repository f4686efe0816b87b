import { parseArgs } from 'node:util';
import { RETENTION_DEFAULTS } from '../core/model/retention.ts';
import { sweepExpired, type SweepReport } from '../core/retention/sweep-expired.ts';
import { sandboxSweepDeps } from '../local/sandbox-retention.ts';
import { type Command, UsageError } from './command.ts';
import { writeJsonLine } from './output.ts';
import { sandboxClients, unreachable } from './sandbox-clients.ts';
import { readSandboxInfo } from './sandbox-file.ts';

const HELP = `Usage: postroom retention sweep [--now ISO] [--json]

Expires what is due in the running sandbox, now, as DynamoDB's TTL and S3's lifecycle rules do in
AWS (the sandbox also sweeps by itself every 10 minutes): each conversation whose expiry has
passed goes with its messages, raw mail, attachments and plans; messages outside a conversation,
failed mail and audit records by their own expiry; reply uploads by age. A conversation under a
legal hold has no expiry and is never touched. See docs/retention.md.

Options:
  --now ISO   sweep as if it were this time (ISO 8601, e.g. 2029-01-01T00:00:00Z), to see what
              the settings would expire then; the deletes are real
  --json      print the report as one JSON line

Examples:
  npx postroom retention sweep
  npx postroom retention sweep --now 2030-01-01T00:00:00Z --json`;

export const retentionCommand: Command = {
  help: HELP,
  async run(args) {
    const { values, positionals } = parseArgs({ args: [...args], options: { now: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true });
    const [action, ...extra] = positionals;
    if (action !== 'sweep') throw new UsageError('name a command: sweep (see --help)');
    if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    const now = nowOf(values.now);
    const info = await readSandboxInfo();
    const clients = sandboxClients(info);
    try {
      // A state file written before the audit table was named in it: the sandbox names it after its table.
      const target = { db: clients.db, s3: clients.s3, tableName: info.table, auditTableName: info.auditTable ?? `${info.table}-audit`, bucket: info.bucket };
      const report = await sweepExpired(sandboxSweepDeps(target, info.retention ?? RETENTION_DEFAULTS), now);
      if (values.json) await writeJsonLine(report);
      else process.stdout.write(describe(report));
      return 0;
    } catch (error) {
      throw unreachable(error, info.aws.endpoints.dynamodb);
    } finally {
      clients.destroy();
    }
  },
};

/** An ISO 8601 time with its zone, or the clock's now. */
function nowOf(text: string | undefined): Date {
  if (text === undefined) return new Date();
  // A date-time with a zone (Z or ±hh:mm), so the same text means the same instant on every machine.
  const ms = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:\d\d)$/.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(ms)) throw new UsageError(`--now takes an ISO 8601 time with its zone, e.g. 2030-01-01T00:00:00Z, not '${text}'`);
  return new Date(ms);
}

/** The report in words: one line per conversation, counts for the rest. Ids and ticket numbers only. */
function describe(report: SweepReport): string {
  const lines: string[] = [];
  const count = (kind: string) => report.expired.filter((e) => e.kind === kind);
  for (const e of count('conversation')) {
    const c = e.conversation;
    lines.push(
      `expired conversation ${c?.id ?? '?'} (ticket ${c?.ticketNumber || '-'}, channel ${c?.channelId || '-'}): ${e.messages} message(s), ${e.objects} object(s)`,
    );
  }
  const loose = count('message');
  if (loose.length > 0) lines.push(`expired ${loose.length} message(s) outside a conversation, ${sum(loose.map((e) => e.objects))} object(s)`);
  const failed = count('failed-mail');
  if (failed.length > 0) lines.push(`expired ${failed.length} failed mail(s), ${sum(failed.map((e) => e.objects))} raw cop(ies)`);
  const other = count('other');
  if (other.length > 0) lines.push(`expired ${other.length} other item(s) (window events, acknowledgement claims, audit records)`);
  if (report.aged > 0) lines.push(`expired ${report.aged} reply upload(s) by age`);
  if (report.kept > 0) lines.push(`kept ${report.kept} item(s) past their expiry: a legal hold or a newer write stands`);
  lines.push(
    `swept as of ${report.now}: ${report.expired.length} item(s) expired${report.expired.length === 0 && report.aged === 0 ? ' (nothing was due)' : ''}`,
  );
  return `${lines.join('\n')}\n`;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
