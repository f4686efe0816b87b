import { z } from 'zod';
import { IdSchema, TEXT_LIMITS, headerSafeText } from './fields.ts';

/**
 * Who may do what in the API. `agent`: conversations of the channels and skills they belong to
 * (read, reply, note, close, reopen, assign to themselves), their own signature, attachment
 * uploads. `supervisor`: agent rights on every channel, assigning to anyone, failed mail and
 * replays, the suppression list, the audit log. `admin`: everything, including channels, skills,
 * rules, templates, credentials and agents.
 */
export const ROLES = ['agent', 'supervisor', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const RoleSchema = z.enum(ROLES);

/** True when `role` has at least the rights of `needed`. */
export function hasRole(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** An agent id: the one id pattern (`IdSchema`). */
export const AgentIdSchema = IdSchema;

/**
 * An identity the API's authorizer vouches for: `jwt:<subject>` (the JWT's `sub`), `iam:<ARN>`
 * (a user or role ARN; a caller with an assumed-role session matches its role's ARN) or, in the
 * sandbox, `token:<user id>` (a per-user bearer token).
 */
export const IdentitySchema = z
  .string()
  .max(2048)
  .regex(/^(jwt|iam|token):[\x21-\x7e]{1,2000}$/, 'jwt:<subject>, iam:<principal ARN> or token:<user id>, printable ASCII without spaces');

/** An agent of the contact center as the API stores it: role, name, membership and the identities that act as it. */
export const AgentSchema = z.strictObject({
  id: AgentIdSchema,
  role: RoleSchema,
  /** Fills the templates' `{{agentName}}`: a header-safe text. */
  displayName: headerSafeText(TEXT_LIMITS.name).default(''),
  /** Channels whose every conversation the agent may work on. */
  channels: z.array(AgentIdSchema).max(200).default([]),
  /** Skills whose conversations (routed there last) the agent may work on. */
  skills: z.array(AgentIdSchema).max(200).default([]),
  /** Identities that sign in as this agent. */
  identities: z.array(IdentitySchema).max(20).default([]),
});
export type Agent = z.infer<typeof AgentSchema>;
export type AgentInput = z.input<typeof AgentSchema>;

/** An agent as the API takes it: the id is in the path. */
export const AgentInputSchema = AgentSchema.omit({ id: true });

/**
 * The one who makes a request, resolved from the authorizer's identity: their agent record (or,
 * under a JWT role claim, what the claim grants). Every use case acts as this caller.
 */
export interface Caller {
  readonly agentId: string;
  readonly role: Role;
  readonly displayName: string;
  readonly channels: readonly string[];
  readonly skills: readonly string[];
}

/** Whether a caller (or an agent) may work on a conversation of `channelId` last routed to `skill`. */
export function canWorkOn(
  caller: Pick<Caller, 'role' | 'channels' | 'skills'>,
  conversation: { readonly channelId: string; readonly lastSkill: string | null },
): boolean {
  if (hasRole(caller.role, 'supervisor')) return true;
  if (caller.channels.includes(conversation.channelId)) return true;
  return conversation.lastSkill !== null && caller.skills.includes(conversation.lastSkill);
}
