import { recordChange, type AdminRequest, type AuditDeps } from '../admin/admin-context.ts';
import { ForbiddenError } from '../errors.ts';
import { hasRole } from '../model/agent.ts';
import { leaseResource } from './take-work.ts';
import { isLive, LeaseGoneError, visibilityOf, type WorkLease } from './work-item.ts';
import type { WorkStores } from './work-ports.ts';

export interface LeaseDeps extends AuditDeps {
  readonly work: WorkStores;
}

type LeaseAction = 'extend' | 'release' | 'done';

/**
 * The caller's live lease. Unknown, finished and expired leases are a `LeaseGoneError` (404) that
 * says what became of the message; another agent's lease is a 403, but a supervisor or admin may
 * release it (an agent who left with a message in hand).
 */
async function heldLease(deps: LeaseDeps, request: AdminRequest, leaseId: string, action: LeaseAction): Promise<WorkLease> {
  const lease = await deps.work.leases.get(leaseId);
  if (!lease)
    throw new LeaseGoneError(
      `lease ${leaseId} not found: it was done (a reply or close by its holder does that too) or released, or never issued; take the next message`,
    );
  if (!isLive(lease.expiresAt, deps.clock.now())) {
    // The local stand-in keeps expired items (no TTL): forget it now; the queue shows the message again.
    await deps.work.leases.remove(lease).catch(() => undefined);
    throw new LeaseGoneError(`lease ${leaseId} expired at ${lease.expiresAt}: the message is back on skill ${lease.skill}'s queue; take it again`);
  }
  const { caller } = request;
  if (lease.agentId !== caller.agentId && !(action === 'release' && hasRole(caller.role, 'supervisor'))) {
    throw new ForbiddenError(`lease ${leaseId} is another agent's: only its holder may ${action} it (a supervisor may release it)`);
  }
  return lease;
}

/** A queue that no longer holds the message under the lease's handle: the lease is worthless, so it goes too. */
async function forget(deps: LeaseDeps, lease: WorkLease, error: unknown): Promise<never> {
  if (error instanceof LeaseGoneError) {
    await deps.work.leases.remove(lease).catch(() => undefined);
    throw new LeaseGoneError(`lease ${lease.id} no longer holds its message (the queue let it go): take the next message`);
  }
  throw error;
}

/**
 * Keeps the message invisible for `visibilitySeconds` more (the lease's own length unless given):
 * the heartbeat of an agent still working. Returns the lease with its new end.
 */
export async function extendLease(deps: LeaseDeps, request: AdminRequest, leaseId: string, visibilitySeconds?: number): Promise<WorkLease> {
  const lease = await heldLease(deps, request, leaseId, 'extend');
  const seconds = visibilityOf(visibilitySeconds, lease.visibilitySeconds);
  const before = deps.clock.now();
  await deps.work.queue.setVisibility(lease.queueUrl, lease.receiptHandle, seconds).catch((error: unknown) => forget(deps, lease, error));
  const extended: WorkLease = { ...lease, visibilitySeconds: seconds, expiresAt: new Date(before.getTime() + seconds * 1000).toISOString() };
  if (!(await deps.work.leases.replace(extended))) throw new LeaseGoneError(`lease ${leaseId} was done or released meanwhile`);
  return extended;
}

/** Puts the message back on the queue at once (visibility 0), for the next agent; the lease ends. */
export async function releaseLease(deps: LeaseDeps, request: AdminRequest, leaseId: string): Promise<void> {
  const lease = await heldLease(deps, request, leaseId, 'release');
  try {
    await deps.work.queue.setVisibility(lease.queueUrl, lease.receiptHandle, 0);
  } catch (error) {
    // Back on the queue already, or deleted: either way the caller no longer holds it, which a release asks for.
    if (!(error instanceof LeaseGoneError)) throw error;
  }
  await deps.work.leases.remove(lease);
  const holder = lease.agentId === request.caller.agentId ? {} : { onBehalfOf: lease.agentId };
  await recordChange(deps, request, 'lease.release', leaseResource(lease), [], holder);
}

/** The message is handled: it is deleted from the queue, and the conversation's next message (if any) can be taken. */
export async function completeLease(deps: LeaseDeps, request: AdminRequest, leaseId: string): Promise<void> {
  const lease = await heldLease(deps, request, leaseId, 'done');
  await finish(deps, request, lease);
}

async function finish(deps: LeaseDeps, request: AdminRequest, lease: WorkLease): Promise<void> {
  await deps.work.queue.delete(lease.queueUrl, lease.receiptHandle).catch((error: unknown) => forget(deps, lease, error));
  await deps.work.leases.remove(lease);
  await recordChange(deps, request, 'lease.done', leaseResource(lease));
}

/**
 * Completes the caller's live leases on a conversation (given by every id it is known by: the one
 * asked for and the one it resolved to), after the caller answered or closed it: so "deleted when
 * answered or closed" holds for any agent app, whether it calls `done` or not. Best effort: the
 * reply or close already happened and must not be reported as failed (a retry would send twice);
 * a lease that could not be completed stays with its holder to finish, or expires. Returns how
 * many were completed.
 */
export async function completeOwnLeases(deps: LeaseDeps, request: AdminRequest, conversationIds: readonly string[]): Promise<number> {
  let completed = 0;
  const now = deps.clock.now();
  for (const id of new Set(conversationIds)) {
    const leases = await deps.work.leases.onConversation(id).catch(() => [] as WorkLease[]);
    for (const lease of leases) {
      if (lease.agentId !== request.caller.agentId || !isLive(lease.expiresAt, now)) continue;
      try {
        await finish(deps, request, lease);
        completed += 1;
      } catch {
        // Left to its holder's `done` or its expiry (see above).
      }
    }
  }
  return completed;
}
