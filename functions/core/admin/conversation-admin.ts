import { DependencyError, ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import { canWorkOn, hasRole, type Agent, type Caller } from '../model/agent.ts';
import type { Note } from '../model/admin-resources.ts';
import { messageTime, type OutboundStoredMessage, type StoredMessage } from '../model/stored-message.ts';
import type { ForwardBody, NewConversationBody, ReplyBody } from '../model/reply-request.ts';
import type { AgentStore, ChannelStore, ConversationAdmin, ConversationSummary, MessageBodies, MessageBody, ReplySender } from '../ports/admin.ts';
import { recordChange, type AdminRequest, type AuditDeps } from './admin-context.ts';
import { completeOwnLeases, type LeaseDeps } from '../work/lease-actions.ts';

export interface ConversationAdminDeps extends AuditDeps, LeaseDeps {
  readonly conversations: ConversationAdmin;
  readonly agents: AgentStore;
  readonly bodies: MessageBodies;
  /** The send path; absent where it is not wired (the route then answers 503). */
  readonly replies: ReplySender | null;
}

/** One entry of a conversation's history: a message of either direction, or an internal note. */
export type HistoryEntry =
  | { readonly type: 'message'; readonly at: string; readonly message: StoredMessage; readonly body: MessageBody | null }
  | { readonly type: 'note'; readonly at: string; readonly note: Note };

export interface History {
  readonly conversation: ConversationSummary;
  readonly entries: readonly HistoryEntry[];
}

/**
 * A conversation the caller may work on. One they may not see is "not found", exactly as one that
 * does not exist, so its existence does not leak.
 */
export async function getConversation(deps: Pick<ConversationAdminDeps, 'conversations'>, caller: Caller, id: string): Promise<ConversationSummary> {
  const conversation = await deps.conversations.get(id);
  if (!conversation || !canWorkOn(caller, conversation)) throw new NotFoundError(`conversation ${id} not found`);
  return conversation;
}

/** Refuses (403) a caller acting for another agent unless they are a supervisor; returns the agent acted for. */
export function actingAgent(caller: Caller, agentId: string | undefined, what: string): { readonly agentId: string; readonly onBehalfOf?: string } {
  if (agentId === undefined || agentId === caller.agentId) return { agentId: caller.agentId };
  if (!hasRole(caller.role, 'supervisor'))
    throw new ForbiddenError(`${what} as agent ${agentId} needs the supervisor role; leave agentId out to act as yourself`);
  return { agentId, onBehalfOf: agentId };
}

/**
 * The whole history in time order: every message (with its lane, tags, thread decision and, for
 * our replies, delivery status) and every note; bodies read when `bodies` is set.
 */
export async function readHistory(deps: ConversationAdminDeps, request: AdminRequest, id: string, options: { readonly bodies: boolean }): Promise<History> {
  const conversation = await getConversation(deps, request.caller, id);
  // A merged conversation resolves to where it ended: read that one's messages.
  const [messages, notes] = await Promise.all([deps.conversations.messages(conversation.id), deps.conversations.notes(conversation.id)]);
  const bodies = options.bodies ? await Promise.all(messages.map((m) => deps.bodies.read(m))) : messages.map(() => null);
  const entries: HistoryEntry[] = [
    ...messages.map((message, i) => ({ type: 'message' as const, at: messageTime(message), message, body: bodies[i] ?? null })),
    ...notes.map((note) => ({ type: 'note' as const, at: note.at, note })),
  ].sort((a, b) => a.at.localeCompare(b.at));
  // Reading a customer's mail is recorded as a change is: data protection asks who saw what.
  await recordChange(deps, request, 'conversation.read', { type: 'conversation', id: conversation.id });
  return { conversation, entries };
}

/** Closes or reopens a conversation. */
export async function setStatus(
  deps: ConversationAdminDeps,
  request: AdminRequest,
  id: string,
  status: 'open' | 'closed',
  expectedUpdatedAt?: string,
): Promise<ConversationSummary> {
  await getConversation(deps, request.caller, id);
  const updated = await deps.conversations.update(id, { status }, now(deps), expectedUpdatedAt);
  await recordChange(deps, request, status === 'closed' ? 'conversation.close' : 'conversation.reopen', { type: 'conversation', id }, ['status']);
  // A closed conversation needs no more work: the caller's queue message of it is done.
  if (status === 'closed') await completeOwnLeases(deps, request, [id, updated.id]);
  return updated;
}

/**
 * Assigns an agent: the next routed message of the conversation carries them as `previousAgent`.
 * Agents assign to themselves; supervisors to any agent that exists.
 */
export async function assign(
  deps: ConversationAdminDeps,
  request: AdminRequest,
  id: string,
  agentId: string,
  expectedUpdatedAt?: string,
): Promise<ConversationSummary> {
  if (agentId !== request.caller.agentId && !hasRole(request.caller.role, 'supervisor')) {
    throw new ForbiddenError(`assigning to another agent needs the supervisor role; an agent assigns to themselves (${request.caller.agentId})`);
  }
  const conversation = await getConversation(deps, request.caller, id);
  if (agentId !== request.caller.agentId) await otherAgentFor(deps, conversation, agentId);
  const updated = await deps.conversations.update(id, { agent: agentId }, now(deps), expectedUpdatedAt);
  await recordChange(deps, request, 'conversation.assign', { type: 'conversation', id }, ['lastAgent']);
  return updated;
}

/** Adds an internal note: part of the history, never sent to the customer. */
export async function addNote(deps: ConversationAdminDeps, request: AdminRequest, id: string, text: string): Promise<Note> {
  const conversation = await getConversation(deps, request.caller, id);
  const note: Note = { id: deps.ids.next(), conversationId: conversation.id, author: request.actor, text, at: now(deps) };
  await deps.conversations.addNote(note);
  await recordChange(deps, request, 'conversation.note', { type: 'conversation', id: conversation.id }, ['notes']);
  return note;
}

/**
 * Queues an agent's reply through the send path, as the caller. A body naming another agent is
 * refused (403) unless the caller is a supervisor acting for them, which the audit record says.
 */
export async function reply(deps: ConversationAdminDeps, request: AdminRequest, id: string, body: ReplyBody): Promise<OutboundStoredMessage> {
  const acting = actingAgent(request.caller, body.agentId, 'replying');
  const conversation = await getConversation(deps, request.caller, id);
  // The template's {{agentName}} is the replying agent's display name, never the caller's say-so.
  const agentName = acting.onBehalfOf ? (await otherAgentFor(deps, conversation, acting.onBehalfOf)).displayName : request.caller.displayName;
  if (!deps.replies) throw new DependencyError('dependency-unavailable', 'replies are not wired into this API (the send path is not deployed)');
  // A supervisor replying for an agent may attach the agent's uploads or their own.
  const callerId = acting.onBehalfOf ? { callerId: request.caller.agentId } : {};
  const queued = await deps.replies.reply({ ...body, conversationId: conversation.id, agentId: acting.agentId, agentName, ...callerId });
  await recordChange(deps, request, 'conversation.reply', { type: 'conversation', id: conversation.id }, ['messages'], acting);
  // Answered: the caller's queue message of this conversation is done, whichever app they answer from.
  await completeOwnLeases(deps, request, [id, conversation.id]);
  return queued;
}

/**
 * Starts a conversation with the caller's (or, for a supervisor, the named agent's) new mail to a
 * customer on a channel they work on (its channel, or its default skill); the channel's
 * `outboundFlow` must be on (409 otherwise). Returns the conversation and the queued mail.
 */
export async function startConversation(
  deps: ConversationAdminDeps & { readonly channels: ChannelStore },
  request: AdminRequest,
  body: NewConversationBody,
): Promise<{ readonly conversation: ConversationSummary; readonly message: OutboundStoredMessage }> {
  const acting = actingAgent(request.caller, body.agentId, 'starting a conversation');
  const channel = await deps.channels.get(body.channelId);
  const where = channel ? { channelId: channel.value.id, lastSkill: channel.value.defaultSkill } : null;
  // A channel the caller does not work on is as unknown to them as one that does not exist.
  if (!where || !canWorkOn(request.caller, where)) throw new NotFoundError(`channel ${body.channelId} not found among the channels you work on`);
  const writer = acting.onBehalfOf ? await otherAgentFor(deps, where, acting.onBehalfOf) : request.caller;
  if (!deps.replies) throw new DependencyError('dependency-unavailable', 'new conversations are not wired into this API (the send path is not deployed)');
  const callerId = acting.onBehalfOf ? { callerId: request.caller.agentId } : {};
  const started = await deps.replies.startConversation({ ...body, agentId: acting.agentId, agentName: writer.displayName, ...callerId });
  await recordChange(deps, request, 'conversation.start', { type: 'conversation', id: started.conversation.id }, ['messages'], acting);
  const conversation = await deps.conversations.get(started.conversation.id);
  if (!conversation) throw new NotFoundError(`conversation ${started.conversation.id} vanished after it was started`);
  return { conversation, message: started.message };
}

/**
 * Forwards customer mail of a conversation the caller works on to an external party; the mail is
 * queued and recorded on the conversation with purpose `forward`.
 */
export async function forward(deps: ConversationAdminDeps, request: AdminRequest, id: string, body: ForwardBody): Promise<OutboundStoredMessage> {
  const acting = actingAgent(request.caller, body.agentId, 'forwarding');
  const conversation = await getConversation(deps, request.caller, id);
  const agentName = acting.onBehalfOf ? (await otherAgentFor(deps, conversation, acting.onBehalfOf)).displayName : request.caller.displayName;
  if (!deps.replies) throw new DependencyError('dependency-unavailable', 'forwards are not wired into this API (the send path is not deployed)');
  const callerId = acting.onBehalfOf ? { callerId: request.caller.agentId } : {};
  const queued = await deps.replies.forward({ ...body, conversationId: conversation.id, agentId: acting.agentId, agentName, ...callerId });
  await recordChange(deps, request, 'conversation.forward', { type: 'conversation', id: conversation.id }, ['messages'], acting);
  return queued;
}

/**
 * The agent a supervisor acts for (an assignment, a reply on their behalf): one that exists and
 * works on the conversation's channel or skill, else a 400 naming `agentId`.
 */
async function otherAgentFor(
  deps: Pick<ConversationAdminDeps, 'agents'>,
  conversation: { readonly channelId: string; readonly lastSkill: string | null },
  agentId: string,
): Promise<Agent> {
  const agent = (await deps.agents.get(agentId))?.value;
  if (!agent) throw new ValidationError(`agentId: no agent ${agentId}`, [{ path: 'agentId', message: `no agent ${agentId}` }]);
  if (!canWorkOn(agent, conversation)) {
    const problem = `agent ${agentId} does not work on channel ${conversation.channelId} or skill ${conversation.lastSkill ?? '(none)'}: add it to their channels or skills first`;
    throw new ValidationError(`agentId: ${problem}`, [{ path: 'agentId', message: problem }]);
  }
  return agent;
}

function now(deps: AuditDeps): string {
  return deps.clock.now().toISOString();
}
