import { ConflictError, NotFoundError, ValidationError, type ValidationIssue } from '../errors.ts';
import { AgentInputSchema, type Agent } from '../model/agent.ts';
import type { AgentStore, ChannelStore, SkillStore, Versioned } from '../ports/admin.ts';
import { parseOrThrow } from '../validation.ts';
import { changedFields, everything, recordChange, type AdminRequest, type AuditDeps } from './admin-context.ts';
import type { AgentDirectory } from './agent-directory.ts';

export interface AgentAdminDeps extends AuditDeps {
  readonly agents: AgentStore;
  readonly agentDirectory: AgentDirectory;
  readonly channels: ChannelStore;
  readonly skills: SkillStore;
}

/** Reads an agent, or 404. */
export async function agentOf(deps: Pick<AgentAdminDeps, 'agents'>, id: string): Promise<Versioned<Agent>> {
  const agent = await deps.agents.get(id);
  if (!agent) throw new NotFoundError(`agent ${id} not found`);
  return agent;
}

/**
 * Creates (`expectedVersion` null) or replaces an agent. Its channels and skills must exist, and
 * none of its identities may belong to another agent (one identity signs in as one agent). The
 * last admin who can sign in cannot be demoted or lose their identities: someone must be able to
 * manage the agents.
 */
export async function putAgent(
  deps: AgentAdminDeps,
  request: AdminRequest,
  id: string,
  input: unknown,
  expectedVersion: number | null,
): Promise<Versioned<Agent>> {
  const agent: Agent = { id, ...parseOrThrow(AgentInputSchema, input, 'agent') };
  const all = (await everything((p) => deps.agents.list(p))).map((v) => v.value);
  await checkMembership(deps, agent);
  const issues: ValidationIssue[] = [];
  agent.identities.forEach((identity, i) => {
    const owner = all.find((a) => a.id !== id && a.identities.includes(identity));
    if (owner) issues.push({ path: `identities[${i}]`, message: `already signs in as agent ${owner.id}` });
  });
  if (issues.length > 0) throw new ValidationError(`agent: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
  const before = all.find((a) => a.id === id) ?? null;
  // Someone must still be able to sign in as an admin: the last one keeps the role and an identity.
  const signsInAsAdmin = (a: Agent) => a.role === 'admin' && a.identities.length > 0;
  if (before && signsInAsAdmin(before) && !signsInAsAdmin(agent) && !all.some((a) => a.id !== id && signsInAsAdmin(a))) {
    throw new ConflictError(`agent ${id} is the last admin who can sign in; make another agent admin (with an identity) first`);
  }
  const at = deps.clock.now().toISOString();
  const stored = expectedVersion === null ? await deps.agents.create(id, agent, at) : await deps.agents.replace(id, agent, expectedVersion, at);
  deps.agentDirectory.invalidate();
  await recordChange(deps, request, expectedVersion === null ? 'agent.create' : 'agent.update', { type: 'agent', id }, changedFields(before, agent));
  return stored;
}

/** Deletes an agent: their identities sign in as nobody from then on. The last admin stays. */
export async function deleteAgent(deps: AgentAdminDeps, request: AdminRequest, id: string, expectedVersion: number): Promise<void> {
  const current = await agentOf(deps, id);
  if (current.value.role === 'admin' && current.value.identities.length > 0) {
    const others = (await everything((p) => deps.agents.list(p))).filter((a) => a.value.id !== id && a.value.role === 'admin' && a.value.identities.length > 0);
    if (others.length === 0) throw new ConflictError(`agent ${id} is the last admin who can sign in; make another agent admin (with an identity) first`);
  }
  await deps.agents.delete(id, expectedVersion);
  deps.agentDirectory.invalidate();
  await recordChange(deps, request, 'agent.delete', { type: 'agent', id });
}

async function checkMembership(deps: Pick<AgentAdminDeps, 'channels' | 'skills'>, agent: Agent): Promise<void> {
  const issues: ValidationIssue[] = [];
  const [channels, skills] = await Promise.all([
    Promise.all(agent.channels.map((c) => deps.channels.get(c))),
    Promise.all(agent.skills.map((s) => deps.skills.get(s))),
  ]);
  agent.channels.forEach((c, i) => {
    if (!channels[i]) issues.push({ path: `channels[${i}]`, message: `no channel ${c}` });
  });
  agent.skills.forEach((s, i) => {
    if (!skills[i]) issues.push({ path: `skills[${i}]`, message: `no skill ${s}` });
  });
  if (issues.length > 0) throw new ValidationError(`agent: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}
