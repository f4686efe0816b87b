import { ConflictError, NotFoundError } from '../errors.ts';
import { SkillSchema } from '../model/postroom-config.ts';
import type { SkillRecord } from '../model/admin-resources.ts';
import type { ChannelStore, SkillQueues, SkillStore, Versioned } from '../ports/admin.ts';
import { parseOrThrow } from '../validation.ts';
import { everything, recordChange, type AdminRequest, type AuditDeps } from './admin-context.ts';
import { skillReferences } from './channel-admin.ts';

export interface SkillAdminDeps extends AuditDeps {
  readonly skills: SkillStore;
  readonly channels: ChannelStore;
  readonly queues: SkillQueues;
}

/**
 * Creates a skill with its FIFO queue and dead-letter queue, no redeploy needed. The queues
 * first (creating them again is harmless), so a skill that exists always has somewhere to route.
 */
export async function createSkill(deps: SkillAdminDeps, request: AdminRequest, input: unknown): Promise<Versioned<SkillRecord>> {
  const skill = parseOrThrow(SkillSchema, input, 'skill');
  if (await deps.skills.get(skill.name)) throw new ConflictError(`skill ${skill.name} exists`);
  const queues = await deps.queues.create(skill.name);
  const stored = await deps.skills.create(skill.name, { ...skill, ...queues }, deps.clock.now().toISOString());
  await recordChange(deps, request, 'skill.create', { type: 'skill', id: skill.name }, ['name', 'description']);
  return stored;
}

/** Changes a skill's description (its name is its identity and its queue's). */
export async function updateSkill(
  deps: SkillAdminDeps,
  request: AdminRequest,
  name: string,
  input: { readonly description: string },
  expectedVersion: number,
): Promise<Versioned<SkillRecord>> {
  const current = await deps.skills.get(name);
  if (!current) throw new NotFoundError(`skill ${name} not found`);
  const stored = await deps.skills.replace(name, { ...current.value, description: input.description }, expectedVersion, deps.clock.now().toISOString());
  await recordChange(deps, request, 'skill.update', { type: 'skill', id: name }, ['description']);
  return stored;
}

/**
 * Deletes a skill and its queues. Refused (409) while a channel or a routing rule names it,
 * while messages wait on its queues (they would be lost), and for a skill of the deploy config
 * (its queues belong to the stack: remove it from the config instead).
 */
export async function deleteSkill(deps: SkillAdminDeps, request: AdminRequest, name: string, expectedVersion: number): Promise<void> {
  const current = await deps.skills.get(name);
  if (!current) throw new NotFoundError(`skill ${name} not found`);
  if (current.managedBy === 'config') throw new ConflictError(`skill ${name} comes from the deploy config; remove it there and redeploy`);
  const users = (await everything((p) => deps.channels.list(p))).flatMap((c) =>
    skillReferences(c.value)
      .filter((r) => r.skill === name)
      .map((r) => `${c.value.id}.${r.field}`),
  );
  if (users.length > 0) throw new ConflictError(`skill ${name} is in use: ${users.join(', ')}`);
  const waiting = await deps.queues.depth(name);
  if (waiting > 0) throw new ConflictError(`skill ${name} has ${waiting} message(s) on its queues; let agents work them off first`);
  await deps.skills.delete(name, expectedVersion);
  await deps.queues.delete(name);
  await recordChange(deps, request, 'skill.delete', { type: 'skill', id: name });
}
