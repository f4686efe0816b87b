import { describe, expect, it } from 'vitest';
import { MemoryVersionedStore } from '../../../../functions/adapters/memory/memory-versioned-store.ts';
import type { AdminRequest } from '../../../../functions/core/admin/admin-context.ts';
import { deleteAgent, putAgent, type AgentAdminDeps } from '../../../../functions/core/admin/agent-admin.ts';
import { AGENT_CACHE_MS, AgentDirectory, resolveCaller, roleFromClaim, type CallerIdentity } from '../../../../functions/core/admin/agent-directory.ts';
import { actingAgent } from '../../../../functions/core/admin/conversation-admin.ts';
import { ConflictError, ForbiddenError, type ValidationError } from '../../../../functions/core/errors.ts';
import type { AuditEntry, ChannelResource, SkillRecord } from '../../../../functions/core/model/admin-resources.ts';
import { canWorkOn, type Agent, type Caller } from '../../../../functions/core/model/agent.ts';
import { TestClock } from '../../../support/clock.ts';

function world() {
  const clock = new TestClock();
  const agents = new MemoryVersionedStore<Agent>();
  const channels = new MemoryVersionedStore<ChannelResource>();
  const skills = new MemoryVersionedStore<SkillRecord>();
  const audit: AuditEntry[] = [];
  let n = 0;
  const deps: AgentAdminDeps = {
    agents,
    channels,
    skills,
    clock,
    agentDirectory: new AgentDirectory(agents, clock),
    ids: { next: () => `id-${++n}` },
    audit: { append: async (e) => void audit.push(e), list: async () => ({ items: audit, cursor: null }) },
  };
  return { deps, agents, skills, clock, audit };
}

const ADMIN: Caller = { agentId: 'root', role: 'admin', displayName: 'Root', channels: [], skills: [] };
const request: AdminRequest = { actor: { kind: 'token', id: 'root' }, requestId: 'r-1', caller: ADMIN };
const jwt = (sub: string, claims: Record<string, unknown> = {}): CallerIdentity => ({ kind: 'jwt', id: sub, claims: { sub, ...claims } });

describe('agents', () => {
  it('creates an agent whose skills exist and audits the fields that changed', async () => {
    // Arrange
    const w = world();
    await w.skills.create('billing', { name: 'billing', description: '', queueUrl: 'q', deadLetterQueueUrl: 'd' }, 'now');
    // Act
    const stored = await putAgent(w.deps, request, 'ann', { role: 'agent', skills: ['billing'], identities: ['jwt:sub-ann'] }, null);
    // Assert
    expect(stored.value).toMatchObject({ id: 'ann', role: 'agent', skills: ['billing'], channels: [] });
    expect(w.audit[0]).toMatchObject({ action: 'agent.create', resource: { type: 'agent', id: 'ann' }, fields: expect.arrayContaining(['role', 'skills']) });
  });

  it('refuses an unknown skill, an identity of another agent, unknown fields and control characters, naming each', async () => {
    // Arrange
    const w = world();
    await putAgent(w.deps, request, 'ann', { role: 'agent', identities: ['jwt:sub-ann'] }, null);
    // Act
    const attempts = await Promise.allSettled([
      putAgent(w.deps, request, 'bob', { role: 'agent', skills: ['nope'] }, null),
      putAgent(w.deps, request, 'bob', { role: 'agent', identities: ['jwt:sub-ann'] }, null),
      putAgent(w.deps, request, 'bob', { role: 'agent', rol: 'admin' }, null),
      putAgent(w.deps, request, 'bob', { role: 'agent', displayName: 'Bob\r\nBcc: x@y' }, null),
    ]);
    // Assert
    const messages = attempts.map((a) => (a.status === 'rejected' ? (a.reason as ValidationError).issues.map((i) => i.path).join(',') : 'accepted'));
    expect(messages).toEqual(['skills[0]', 'identities[0]', 'rol', 'displayName']);
  });

  it('keeps the last admin who can sign in: not demoted, not deleted, not stripped of their identities', async () => {
    // Arrange
    const w = world();
    const root = await putAgent(w.deps, request, 'root', { role: 'admin', identities: ['jwt:root'] }, null);
    // Act / Assert
    await expect(putAgent(w.deps, request, 'root', { role: 'agent', identities: ['jwt:root'] }, root.version)).rejects.toBeInstanceOf(ConflictError);
    await expect(putAgent(w.deps, request, 'root', { role: 'admin', identities: [] }, root.version)).rejects.toBeInstanceOf(ConflictError);
    await expect(deleteAgent(w.deps, request, 'root', root.version)).rejects.toBeInstanceOf(ConflictError);
    await putAgent(w.deps, request, 'second', { role: 'admin' }, null);
    await expect(deleteAgent(w.deps, request, 'root', root.version)).rejects.toBeInstanceOf(ConflictError);
    await putAgent(w.deps, request, 'third', { role: 'admin', identities: ['iam:arn:aws:iam::123456789012:user/third'] }, null);
    await expect(deleteAgent(w.deps, request, 'root', root.version)).resolves.toBeUndefined();
  });
});

describe('the caller behind an identity', () => {
  it('is the agent whose identities hold it; nobody otherwise', async () => {
    // Arrange
    const w = world();
    await putAgent(w.deps, request, 'ann', { role: 'supervisor', displayName: 'Ann', identities: ['jwt:sub-ann'] }, null);
    // Act
    const ann = await resolveCaller(w.deps.agentDirectory, jwt('sub-ann'));
    const nobody = await resolveCaller(w.deps.agentDirectory, jwt('sub-eve'));
    // Assert
    expect(ann).toMatchObject({ agentId: 'ann', role: 'supervisor', displayName: 'Ann' });
    expect(nobody).toBeNull();
  });

  it('matches an assumed-role session to the role ARN it was stored as, with or without a path', async () => {
    // Arrange
    const w = world();
    await putAgent(w.deps, request, 'ops', { role: 'admin', identities: ['iam:arn:aws:iam::123456789012:role/team/PostroomAdmin'] }, null);
    // Act
    const session = await resolveCaller(w.deps.agentDirectory, { kind: 'iam', id: 'arn:aws:sts::123456789012:assumed-role/PostroomAdmin/alice', claims: {} });
    const otherAccount = await resolveCaller(w.deps.agentDirectory, {
      kind: 'iam',
      id: 'arn:aws:sts::999999999999:assumed-role/PostroomAdmin/eve',
      claims: {},
    });
    // Assert
    expect(session?.agentId).toBe('ops');
    expect(otherAccount).toBeNull();
  });

  it('takes the role from a configured claim, over the record, and lets a claim alone grant a role', async () => {
    // Arrange
    const w = world();
    await putAgent(w.deps, request, 'ann', { role: 'agent', identities: ['jwt:sub-ann'] }, null);
    // Act
    const promoted = await resolveCaller(w.deps.agentDirectory, jwt('sub-ann', { 'cognito:groups': '[postroom-supervisor other]' }), {
      roleClaim: 'cognito:groups',
    });
    const ignored = await resolveCaller(w.deps.agentDirectory, jwt('sub-ann', { 'cognito:groups': '[postroom-admin]' }));
    const claimOnly = await resolveCaller(w.deps.agentDirectory, jwt('0b1c-42', { scope: 'openid postroom:admin', email: 'ops@example.com' }), {
      roleClaim: 'scope',
    });
    const noRole = await resolveCaller(w.deps.agentDirectory, jwt('0b1c-43', { scope: 'openid' }), { roleClaim: 'scope' });
    // Assert
    expect(promoted?.role).toBe('supervisor');
    expect(ignored?.role).toBe('agent');
    expect(claimOnly).toMatchObject({ agentId: '0b1c-42', role: 'admin', displayName: 'ops@example.com', skills: [] });
    expect(noRole).toBeNull();
  });

  it('reads the highest role a claim names, in the forms API Gateway passes', () => {
    expect(roleFromClaim(['agent', 'admin'])).toBe('admin');
    expect(roleFromClaim('[postroom-agent postroom-supervisor]')).toBe('supervisor');
    expect(roleFromClaim('openid email')).toBeNull();
    expect(roleFromClaim(42)).toBeNull();
  });

  it('reuses one listing for a few seconds, yet finds a new agent at once', async () => {
    // Arrange
    const w = world();
    await putAgent(w.deps, request, 'ann', { role: 'agent', identities: ['jwt:sub-ann'] }, null);
    await resolveCaller(w.deps.agentDirectory, jwt('sub-ann'));
    // Act: an agent written behind the directory's back (another container)
    await w.agents.create('bob', { id: 'bob', role: 'agent', displayName: '', channels: [], skills: [], identities: ['jwt:sub-bob'] }, 'now');
    await w.agents.replace('ann', { id: 'ann', role: 'supervisor', displayName: '', channels: [], skills: [], identities: ['jwt:sub-ann'] }, 1, 'now');
    const bob = await resolveCaller(w.deps.agentDirectory, jwt('sub-bob'));
    const staleAnn = await resolveCaller(w.deps.agentDirectory, jwt('sub-ann'));
    w.clock.advance(AGENT_CACHE_MS);
    const freshAnn = await resolveCaller(w.deps.agentDirectory, jwt('sub-ann'));
    // Assert
    expect(bob?.agentId).toBe('bob');
    expect(staleAnn?.role).toBe('supervisor'); // the miss for bob reread the listing
    expect(freshAnn?.role).toBe('supervisor');
  });
});

describe('what a caller may do', () => {
  const agent: Caller = { agentId: 'ann', role: 'agent', displayName: '', channels: ['orders'], skills: ['billing'] };

  it('sees conversations of their channels and of their skills only; a supervisor sees all', () => {
    expect(canWorkOn(agent, { channelId: 'orders', lastSkill: null })).toBe(true);
    expect(canWorkOn(agent, { channelId: 'support', lastSkill: 'billing' })).toBe(true);
    expect(canWorkOn(agent, { channelId: 'support', lastSkill: 'support' })).toBe(false);
    expect(canWorkOn(agent, { channelId: 'support', lastSkill: null })).toBe(false);
    expect(canWorkOn({ ...agent, role: 'supervisor' }, { channelId: 'support', lastSkill: null })).toBe(true);
  });

  it('acts as themselves; only a supervisor acts for another agent, and says so', () => {
    expect(actingAgent(agent, undefined, 'replying')).toEqual({ agentId: 'ann' });
    expect(actingAgent(agent, 'ann', 'replying')).toEqual({ agentId: 'ann' });
    expect(() => actingAgent(agent, 'bob', 'replying')).toThrow(ForbiddenError);
    expect(actingAgent({ ...agent, role: 'supervisor' }, 'bob', 'replying')).toEqual({ agentId: 'bob', onBehalfOf: 'bob' });
  });
});
