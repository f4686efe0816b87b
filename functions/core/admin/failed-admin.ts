import { NotFoundError, ValidationError } from '../errors.ts';
import type { ReceiveOutcome } from '../inbound/receive-mail.ts';
import type { FailedMail, InboundMail } from '../model/inbound-record.ts';
import type { FailedMailAdmin } from '../ports/admin.ts';
import { recordChange, type AdminRequest, type AuditDeps } from './admin-context.ts';

export interface FailedAdminDeps extends AuditDeps {
  readonly failed: FailedMailAdmin;
  /** `receiveMail` with `replay: true`, its dependencies loaded on demand (they include the MIME parser). */
  readonly replay: (mail: InboundMail) => Promise<ReceiveOutcome>;
}

/** The id of a failed mail in URLs: SES message id and channel (`-` when no channel matched). */
export function failedId(failure: Pick<FailedMail, 'sesMessageId' | 'channelId'>): string {
  return `${failure.sesMessageId}:${failure.channelId ?? '-'}`;
}

export function parseFailedId(id: string): { readonly sesMessageId: string; readonly channelId: string | null } {
  const at = id.lastIndexOf(':');
  if (at <= 0 || at === id.length - 1)
    throw new ValidationError('id: <sesMessageId>:<channelId or ->', [{ path: 'id', message: 'expected <sesMessageId>:<channelId or ->' }]);
  const channel = id.slice(at + 1);
  return { sesMessageId: id.slice(0, at), channelId: channel === '-' ? null : channel };
}

export interface ReplayResult {
  readonly id: string;
  readonly outcome: ReceiveOutcome;
}

/**
 * Processes a failed mail again, as it first arrived (its raw copy, recipients and verdicts).
 * A mail that now succeeds leaves the failed list; one that fails again stays with its new reason.
 */
export async function replayOne(deps: FailedAdminDeps, request: AdminRequest, id: string): Promise<ReplayResult> {
  const key = parseFailedId(id);
  const failure = await deps.failed.get(key.sesMessageId, key.channelId);
  if (!failure) throw new NotFoundError(`no failed mail ${id}`);
  const outcome = await deps.replay(failure.mail);
  // A replay that found a channel now (one created since) succeeds under the new key: the old one goes too.
  if (outcome.status !== 'failed') await deps.failed.remove(failure.sesMessageId, failure.channelId);
  await recordChange(deps, request, 'failed.replay', { type: 'failed-message', id }, []);
  return { id, outcome };
}

/** Replays up to `limit` failed mails, oldest listed last; returns each outcome and where to go on. */
export async function replayAll(
  deps: FailedAdminDeps,
  request: AdminRequest,
  limit: number,
  cursor?: string,
): Promise<{ readonly results: readonly ReplayResult[]; readonly cursor: string | null }> {
  const page = await deps.failed.list({ limit, cursor });
  const results: ReplayResult[] = [];
  for (const failure of page.items) results.push(await replayOne(deps, request, failedId(failure)));
  return { results, cursor: page.cursor };
}
