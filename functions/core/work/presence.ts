import { getConversation } from '../admin/conversation-admin.ts';
import type { Caller } from '../model/agent.ts';
import type { ConversationAdmin } from '../ports/admin.ts';
import type { Clock } from '../ports/clock.ts';
import { isLive, PRESENCE_TTL_MS, type PresenceState } from './work-item.ts';
import type { WorkStores } from './work-ports.ts';

export interface PresenceDeps {
  readonly clock: Clock;
  readonly conversations: ConversationAdmin;
  readonly work: WorkStores;
}

/** An agent who has the conversation open, as another agent's app shows it. */
export interface PresenceView {
  readonly agentId: string;
  readonly displayName: string;
  readonly state: PresenceState;
  readonly since: string;
  /** The caller's own entry. */
  readonly self: boolean;
}

/**
 * Says the caller is viewing or answering a conversation they may work on, for `PRESENCE_TTL_MS`
 * from now: a heartbeat, renewed while the app shows it. `since` stays while the state does, so
 * "answering for 4 minutes" survives the heartbeats. A conversation the caller may not see is a
 * 404, as everywhere. Not audited: it changes nothing, and a heartbeat every few seconds would
 * bury the audit log.
 */
export async function markPresence(deps: PresenceDeps, caller: Caller, conversationId: string, state: PresenceState): Promise<void> {
  const { id } = await getConversation(deps, caller, conversationId);
  const now = deps.clock.now();
  const current = await deps.work.presence.get(id, caller.agentId);
  const kept = current && current.state === state && isLive(current.until, now) ? current.since : now.toISOString();
  await deps.work.presence.put({
    conversationId: id,
    agentId: caller.agentId,
    displayName: caller.displayName || caller.agentId,
    state,
    since: kept,
    until: new Date(now.getTime() + PRESENCE_TTL_MS).toISOString(),
  });
}

/** The caller left the conversation: their entry goes at once instead of lapsing. */
export async function leavePresence(deps: PresenceDeps, caller: Caller, conversationId: string): Promise<void> {
  const { id } = await getConversation(deps, caller, conversationId);
  await deps.work.presence.remove(id, caller.agentId);
}

/** Who has the conversation open now (lapsed entries left out), longest first, the caller's own entry marked. */
export async function presenceOn(deps: PresenceDeps, caller: Caller, conversationId: string): Promise<PresenceView[]> {
  const { id } = await getConversation(deps, caller, conversationId);
  const now = deps.clock.now();
  return (await deps.work.presence.list(id))
    .filter((p) => isLive(p.until, now))
    .sort((a, b) => a.since.localeCompare(b.since) || a.agentId.localeCompare(b.agentId))
    .map((p) => ({ agentId: p.agentId, displayName: p.displayName, state: p.state, since: p.since, self: p.agentId === caller.agentId }));
}
