import { everything, recordChange, type AdminRequest, type AuditDeps } from '../admin/admin-context.ts';
import { ConfigError, ForbiddenError, NotFoundError } from '../errors.ts';
import { hasRole, type Caller } from '../model/agent.ts';
import type { SkillStore } from '../ports/admin.ts';
import { readPointer, visibilityOf, type WorkLease } from './work-item.ts';
import type { WorkStores } from './work-ports.ts';

export interface WorkDeps extends AuditDeps {
  readonly skills: SkillStore;
  readonly work: WorkStores;
}

/** A skill queue as an agent's app lists it. */
export interface QueueSummary {
  readonly skill: string;
  readonly description: string | null;
  readonly waiting: number;
  readonly inFlight: number;
}

/** Whether the caller takes work from a skill: its members, and supervisors and admins on every skill. */
export function worksOnSkill(caller: Pick<Caller, 'role' | 'skills'>, skill: string): boolean {
  return hasRole(caller.role, 'supervisor') || caller.skills.includes(skill);
}

/** The skill queues the caller works (an agent: their own skills; supervisors and admins: every skill), with their counts. */
export async function listQueues(deps: WorkDeps, caller: Caller): Promise<QueueSummary[]> {
  const skills = (await everything((page) => deps.skills.list(page))).map((s) => s.value).filter((s) => worksOnSkill(caller, s.name));
  return Promise.all(
    skills.map(async (s) => ({
      skill: s.name,
      description: s.description === '' ? null : s.description,
      ...(s.queueUrl ? await deps.work.queue.counts(s.queueUrl) : { waiting: 0, inFlight: 0 }),
    })),
  );
}

/**
 * Takes the next message of a skill's FIFO queue for the caller: one message, invisible to every
 * other consumer for `visibilitySeconds` (`VISIBILITY_SECONDS.default` unless given), under a lease
 * bound to the caller. The FIFO group keeps the conversation's later mail back meanwhile, so a
 * conversation is with one agent at a time. Null when nothing is ready. An unknown skill is a 404
 * before membership is checked (403).
 */
export async function takeNext(deps: WorkDeps, request: AdminRequest, skill: string, visibilitySeconds?: number): Promise<WorkLease | null> {
  const { caller } = request;
  const record = (await deps.skills.get(skill))?.value;
  if (!record) throw new NotFoundError(`skill ${skill} not found`);
  if (!worksOnSkill(caller, skill)) {
    throw new ForbiddenError(`taking work from skill ${skill} needs membership of it; your skills: ${caller.skills.join(', ') || '(none)'}`);
  }
  const seconds = visibilityOf(visibilitySeconds);
  if (!record.queueUrl) throw new ConfigError(`skill ${skill} has no queue`);
  // Read before the receive: the queue's own invisibility starts later, so it never ends before the lease does.
  const before = deps.clock.now();
  const received = await deps.work.queue.receive(record.queueUrl, seconds);
  if (!received) return null;
  const lease: WorkLease = {
    id: deps.ids.next(),
    skill,
    agentId: caller.agentId,
    queueUrl: record.queueUrl,
    receiptHandle: received.receiptHandle,
    ...readPointer(received.body, received.queueMessageId),
    visibilitySeconds: seconds,
    takenAt: before.toISOString(),
    expiresAt: new Date(before.getTime() + seconds * 1000).toISOString(),
  };
  try {
    await deps.work.leases.put(lease);
    await recordChange(deps, request, 'lease.take', leaseResource(lease));
  } catch (error) {
    // The caller never learns of this lease: put the message back now rather than hide it for the whole visibility.
    await deps.work.queue.setVisibility(lease.queueUrl, lease.receiptHandle, 0).catch(() => undefined);
    await deps.work.leases.remove(lease).catch(() => undefined);
    throw error;
  }
  return lease;
}

/** What an audit record of a lease names: its conversation, or its skill for a message that names none. */
export function leaseResource(lease: WorkLease): { readonly type: string; readonly id: string } {
  return lease.conversationId ? { type: 'conversation', id: lease.conversationId } : { type: 'skill', id: lease.skill };
}
