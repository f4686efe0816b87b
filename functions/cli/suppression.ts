import { parseArgs } from 'node:util';
import { DynamoChannelDirectory } from '../adapters/dynamo-channel-directory.ts';
import { DynamoSuppressionList } from '../adapters/dynamo-suppression-list.ts';
import {
  SUPPRESSION_REASONS,
  SuppressionEntrySchema,
  type SuppressionEntry,
  type SuppressionReason,
  type SuppressionScope,
} from '../core/model/suppression.ts';
import { describeSuppression } from '../core/outbound/send/suppression-check.ts';
import { createDocumentClient } from '../runtime/clients.ts';
import { type Command, UsageError } from './command.ts';
import { writeJsonLine } from './output.ts';
import { unreachable } from './sandbox-clients.ts';
import { readSandboxInfo } from './sandbox-file.ts';

const HELP = `Usage: postroom suppression list|add|remove [ADDRESS] (--channel ID | --account) [options]

The suppression list of the running sandbox: addresses no mail is sent to. Feedback adds hard
bounces, complaints and repeated soft failures; here an admin lists, adds and lifts entries.
A send checks the channel's own list and the account-wide one. A channel the sandbox does not
have exits 1, naming the channels there are.

Commands:
  list             the entries of the channel's list (or the account-wide one), by address;
                   without --channel or --account, every list: the account-wide one, then each channel's
  add ADDRESS      suppress ADDRESS (replaces an entry the scope has for it)
  remove ADDRESS   lift the suppression of ADDRESS in that scope

Options:
  --channel ID     the channel's own list
  --account        the account-wide list, for every channel
  --reason R       why, for add: ${SUPPRESSION_REASONS.join(', ')} (default manual)
  --detail TEXT    what caused it, for add (default: added with the CLI)
  --limit N        entries per page, for list (default 100); --cursor ADDRESS continues one list after it
  --json           print entries (and results) as JSON lines

Examples:
  npx postroom suppression list
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
    // `list` alone lists every list; add and remove act on one, named.
    const scope = action === 'list' && !values.channel && !values.account ? null : scopeOf(values.channel, values.account ?? false);
    if (!scope && values.cursor) throw new UsageError('--cursor continues one list: name it with --channel ID or --account');
    const info = await readSandboxInfo();
    const client = createDocumentClient({
      region: info.aws.region,
      endpoint: info.aws.endpoints.dynamodb,
      credentials: { ...info.aws.credentials },
      maxAttempts: 1,
    });
    const list = new DynamoSuppressionList(client, info.table);
    try {
      const channels = (await new DynamoChannelDirectory(client, info.table, { clock: { now: () => new Date() }, cacheMs: 0 }).all()).map((c) => c.id);
      if (scope?.kind === 'channel' && !channels.includes(scope.channelId)) {
        process.stderr.write(`postroom suppression: unknown channel '${scope.channelId}': the sandbox has ${channels.join(', ') || 'no channels'}\n`);
        return 1;
      }
      if (action === 'list') {
        const scopes: SuppressionScope[] = scope ? [scope] : [{ kind: 'account' }, ...channels.map((channelId) => ({ kind: 'channel' as const, channelId }))];
        for (const each of scopes) await listEntries(list, each, scope ? values : { ...values, all: true });
        return 0;
      }
      const wanted = addressOf(address);
      if (!scope) throw new UsageError('name the list: --channel ID or --account');
      if (action === 'remove') {
        const removed = await list.remove(scope, wanted);
        if (values.json) await writeJsonLine({ address: wanted, scope, removed });
        else
          process.stdout.write(removed ? `${wanted} is no longer suppressed (${scopeText(scope)})\n` : `${wanted} was not suppressed (${scopeText(scope)})\n`);
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

/** One list's entries, a page of `--limit` from `--cursor`; with `all`, every page of it. */
async function listEntries(
  list: DynamoSuppressionList,
  scope: SuppressionScope,
  values: { limit?: string; cursor?: string; json?: boolean; all?: boolean },
): Promise<void> {
  const limit = values.limit === undefined ? 100 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit takes a whole number above 0');
  let cursor = values.cursor;
  let count = 0;
  let more: string | null;
  do {
    const page = await list.list(scope, { limit, ...(cursor ? { cursor } : {}) });
    for (const entry of page.entries) {
      if (values.json) await writeJsonLine(entry);
      else process.stdout.write(`${line(entry)}\n`);
    }
    count += page.entries.length;
    more = page.cursor;
    cursor = page.cursor ?? undefined;
  } while (values.all && more);
  if (!values.json) {
    process.stdout.write(`${count} suppressed address(es) (${scopeText(scope)})${more ? `; more with --cursor ${more}` : ''}\n`);
  }
}

function line(e: SuppressionEntry): string {
  // An erased address is kept as its hash only: the line says so rather than look like an address.
  const address = e.hashed ? `${e.address} (hashed)` : e.address;
  return `${address.padEnd(36)} ${e.reason.padEnd(18)} since ${e.since.slice(0, 10)}  ${e.detail ?? ''}`.trimEnd();
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
  // The hashed entry of an erased address is lifted by its hash, as `list` shows it (--json).
  if (/^sha256:[0-9a-f]{64}$/.test(wanted)) return wanted;
  if (!/^[^\s@]+@[^\s@]+$/.test(wanted)) throw new UsageError(address ? `'${address}' is not an email address` : 'name the address');
  return wanted;
}

function reasonOf(reason: string | undefined): SuppressionReason {
  if (reason === undefined) return 'manual';
  if ((SUPPRESSION_REASONS as readonly string[]).includes(reason)) return reason as SuppressionReason;
  throw new UsageError(`--reason is one of ${SUPPRESSION_REASONS.join(', ')}`);
}
