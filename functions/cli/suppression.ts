import { parseArgs } from 'node:util';
import { DynamoSuppressionList } from '../adapters/dynamo-suppression-list.ts';
import { SUPPRESSION_REASONS, SuppressionEntrySchema, type SuppressionEntry, type SuppressionReason, type SuppressionScope } from '../core/model/suppression.ts';
import { describeSuppression } from '../core/outbound/suppression-policy.ts';
import { createDocumentClient } from '../runtime/clients.ts';
import { type Command, UsageError } from './command.ts';
import { writeJsonLine } from './output.ts';
import { readSandboxInfo } from './sandbox-file.ts';

const HELP = `Usage: postroom suppression list|add|remove [ADDRESS] (--channel ID | --account) [options]

The suppression list of the running sandbox: addresses no mail is sent to. Feedback adds hard
bounces, complaints and repeated soft failures; here an admin lists, adds and lifts entries.
A send checks the channel's own list and the account-wide one.

Commands:
  list             the entries of the channel's list (or the account-wide one), by address
  add ADDRESS      suppress ADDRESS (replaces an entry the scope has for it)
  remove ADDRESS   lift the suppression of ADDRESS in that scope

Options:
  --channel ID     the channel's own list
  --account        the account-wide list, for every channel
  --reason R       why, for add: ${SUPPRESSION_REASONS.join(', ')} (default manual)
  --detail TEXT    what caused it, for add (default: added with the CLI)
  --limit N        entries per page, for list (default 100); --cursor ADDRESS continues after it
  --json           print entries (and results) as JSON lines

Examples:
  npx postroom suppression list --channel support
  npx postroom suppression add carla@customer.example --channel support --detail "asked to stop"
  npx postroom suppression add bounce@simulator.amazonses.com --account --reason bounce
  npx postroom suppression remove carla@customer.example --channel support --json`;

const OPTIONS = {
  channel: { type: 'string' },
  account: { type: 'boolean' },
  reason: { type: 'string' },
  detail: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const suppressionCommand: Command = {
  help: HELP,
  async run(args) {
    const { values, positionals } = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true });
    const [action, address, ...extra] = positionals;
    if (action !== 'list' && action !== 'add' && action !== 'remove') throw new UsageError('name a command: list, add or remove (see --help)');
    if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    const scope = scopeOf(values.channel, values.account ?? false);
    const info = await readSandboxInfo();
    const client = createDocumentClient({ region: info.aws.region, endpoint: info.aws.endpoints.dynamodb, credentials: { ...info.aws.credentials }, maxAttempts: 1 });
    const list = new DynamoSuppressionList(client, info.table);
    try {
      if (action === 'list') return await listEntries(list, scope, values);
      const wanted = addressOf(address);
      if (action === 'remove') {
        const removed = await list.remove(scope, wanted);
        if (values.json) await writeJsonLine({ address: wanted, scope, removed });
        else process.stdout.write(removed ? `${wanted} is no longer suppressed (${scopeText(scope)})\n` : `${wanted} was not suppressed (${scopeText(scope)})\n`);
        return removed ? 0 : 1;
      }
      const entry = SuppressionEntrySchema.parse({
        address: wanted,
        scope,
        reason: reasonOf(values.reason),
        detail: values.detail ?? 'added with the CLI',
        messageId: null,
        since: new Date().toISOString(),
      });
      await list.put(entry);
      if (values.json) await writeJsonLine(entry);
      else process.stdout.write(`${describeSuppression(entry)}\n`);
      return 0;
    } catch (error) {
      throw unreachable(error, info.aws.endpoints.dynamodb);
    } finally {
      client.destroy();
    }
  },
};

async function listEntries(list: DynamoSuppressionList, scope: SuppressionScope, values: { limit?: string; cursor?: string; json?: boolean }): Promise<number> {
  const limit = values.limit === undefined ? 100 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit takes a whole number above 0');
  const page = await list.list(scope, { limit, ...(values.cursor ? { cursor: values.cursor } : {}) });
  for (const entry of page.entries) {
    if (values.json) await writeJsonLine(entry);
    else process.stdout.write(`${line(entry)}\n`);
  }
  if (!values.json) {
    process.stdout.write(`${page.entries.length} suppressed address(es) (${scopeText(scope)})${page.cursor ? `; more with --cursor ${page.cursor}` : ''}\n`);
  }
  return 0;
}

function line(e: SuppressionEntry): string {
  return `${e.address.padEnd(36)} ${e.reason.padEnd(18)} since ${e.since.slice(0, 10)}  ${e.detail ?? ''}`.trimEnd();
}

function scopeOf(channel: string | undefined, account: boolean): SuppressionScope {
  if (account && channel) throw new UsageError('use --channel ID or --account, not both');
  if (account) return { kind: 'account' };
  if (channel) return { kind: 'channel', channelId: channel };
  throw new UsageError('name the list: --channel ID or --account');
}

function scopeText(scope: SuppressionScope): string {
  return scope.kind === 'account' ? 'account-wide' : `channel ${scope.channelId}`;
}

function addressOf(address: string | undefined): string {
  const wanted = address?.trim().toLowerCase() ?? '';
  if (!/^[^\s@]+@[^\s@]+$/.test(wanted)) throw new UsageError(address ? `'${address}' is not an email address` : 'name the address');
  return wanted;
}

function reasonOf(reason: string | undefined): SuppressionReason {
  if (reason === undefined) return 'manual';
  if ((SUPPRESSION_REASONS as readonly string[]).includes(reason)) return reason as SuppressionReason;
  throw new UsageError(`--reason is one of ${SUPPRESSION_REASONS.join(', ')}`);
}

/** A refused connection means the sandbox that wrote the state file is gone. */
function unreachable(error: unknown, endpoint: string): unknown {
  const text = error instanceof Error ? `${error.name} ${error.message} ${String((error as { code?: unknown }).code ?? '')}` : '';
  if (/ECONNREFUSED|ECONNRESET|socket hang up/i.test(text)) {
    return new UsageError(`the sandbox's DynamoDB at ${endpoint} does not answer (stopped without cleaning up?): start one with \`npm start\``);
  }
  return error;
}
