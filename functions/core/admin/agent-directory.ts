import { TEXT_LIMITS, isHeaderSafe } from '../model/fields.ts';
import { AgentIdSchema, ROLES, hasRole, type Agent, type Caller, type Role } from '../model/agent.ts';
import type { Clock } from '../ports/clock.ts';
import type { AgentStore } from '../ports/admin.ts';
import { everything } from './admin-context.ts';

/** What the authorizer vouches for: an IAM principal, a JWT subject with its claims, or a sandbox user's token. */
export interface CallerIdentity {
  readonly kind: 'iam' | 'jwt' | 'token';
  readonly id: string;
  readonly claims: Readonly<Record<string, unknown>>;
}

export interface CallerOptions {
  /**
   * A JWT claim that carries roles (`cognito:groups`, `groups`, `roles`, `scope`): its values
   * `admin`, `supervisor` or `agent` (also with a `postroom-`, `postroom:` or `postroom/` prefix)
   * give the role; the highest wins and overrides the agent record's.
   */
  readonly roleClaim?: string | undefined;
}

/** How long a read of the agents is reused: a role change or a new agent takes effect within this. */
export const AGENT_CACHE_MS = 5_000;

/**
 * Finds the agent an identity signs in as. The agents are few (tens to hundreds) and read on every
 * request, so one listing is kept for `AGENT_CACHE_MS`; a miss rereads at once, so a new agent
 * needs no wait.
 */
export class AgentDirectory {
  private cached: { readonly at: number; readonly agents: readonly Agent[] } | null = null;

  constructor(
    private readonly store: AgentStore,
    private readonly clock: Clock,
  ) {}

  async byIdentity(identity: CallerIdentity): Promise<Agent | null> {
    const keys = identityKeys(identity);
    const find = (agents: readonly Agent[]) => agents.find((a) => a.identities.some((i) => keys.has(normalizeIdentity(i)))) ?? null;
    const now = this.clock.now().getTime();
    if (this.cached && now - this.cached.at < AGENT_CACHE_MS) {
      const hit = find(this.cached.agents);
      if (hit) return hit;
    }
    const agents = (await everything((page) => this.store.list(page))).map((v) => v.value);
    this.cached = { at: now, agents };
    return find(agents);
  }

  /** Forgets the cached listing (after a write through this API). */
  invalidate(): void {
    this.cached = null;
  }
}

/**
 * The caller an identity acts as: its agent record, with the role of the JWT claim when one is
 * configured and present. An identity with no record acts only through a claim that grants a role
 * (and then with no channels or skills of its own); otherwise it is nobody (null, a 403).
 */
export async function resolveCaller(directory: AgentDirectory, identity: CallerIdentity, options: CallerOptions = {}): Promise<Caller | null> {
  const agent = await directory.byIdentity(identity);
  const claimed = identity.kind === 'jwt' && options.roleClaim ? roleFromClaim(identity.claims[options.roleClaim]) : null;
  if (agent) {
    return { agentId: agent.id, role: claimed ?? agent.role, displayName: agent.displayName, channels: agent.channels, skills: agent.skills };
  }
  if (!claimed) return null;
  const id = AgentIdSchema.safeParse(identity.id.toLowerCase());
  if (!id.success) return null;
  const name = identity.claims.name ?? identity.claims.email;
  return {
    agentId: id.data,
    role: claimed,
    displayName: typeof name === 'string' && isHeaderSafe(name) ? name.slice(0, TEXT_LIMITS.name) : '',
    channels: [],
    skills: [],
  };
}

/**
 * The highest role a claim value names. API Gateway passes a list claim as `[a b c]`; a scope
 * claim is space-separated; a JSON array arrives as an array.
 */
export function roleFromClaim(value: unknown): Role | null {
  const values = Array.isArray(value)
    ? value.filter((v): v is string => typeof v === 'string')
    : typeof value === 'string'
      ? value.replace(/^\[|\]$/g, '').split(/[\s,]+/)
      : [];
  let best: Role | null = null;
  for (const raw of values) {
    const name = raw
      .trim()
      .toLowerCase()
      .replace(/^postroom[-:/]/, '');
    const role = ROLES.find((r) => r === name);
    if (role && (!best || hasRole(role, best))) best = role;
  }
  return best;
}

/** The forms an identity may be stored under. An assumed-role session also matches its role's ARN (any path). */
function identityKeys(identity: CallerIdentity): Set<string> {
  const keys = new Set([normalizeIdentity(`${identity.kind}:${identity.id}`)]);
  if (identity.kind === 'iam') {
    const session = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(identity.id);
    if (session) keys.add(`iam:role:${session[1]}:${session[2]}:${session[3]}`);
  }
  return keys;
}

/** A stored identity in the form `identityKeys` compares: role ARNs by partition, account and name. */
function normalizeIdentity(identity: string): string {
  const role = /^iam:arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:[^/]+\/)*([^/]+)$/.exec(identity);
  return role ? `iam:role:${role[1]}:${role[2]}:${role[3]}` : identity;
}
