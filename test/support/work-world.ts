import { MemoryVersionedStore } from '../../functions/adapters/memory/memory-versioned-store.ts';
import type { AdminRequest } from '../../functions/core/admin/admin-context.ts';
import type { AuditEntry, SkillRecord } from '../../functions/core/model/admin-resources.ts';
import type { Caller } from '../../functions/core/model/agent.ts';
import type { ConversationAdmin, ConversationSummary } from '../../functions/core/ports/admin.ts';
import { LeaseGoneError, type PresenceRecord, type WorkLease } from '../../functions/core/work/work-item.ts';
import type { LeaseStore, PresenceStore, QueueCounts, ReceivedMessage, WorkQueue } from '../../functions/core/work/work-ports.ts';
import { TestClock } from './clock.ts';

interface Queued {
  readonly id: string;
  readonly group: string;
  readonly body: string;
  handle: string | null;
  invisibleUntil: number;
}

/**
 * A FIFO queue in memory, as SQS behaves for one consumer API: only the oldest message of a group
 * can be received, and only while no message of its group is in flight; a receipt handle acts
 * while its message is in flight; time is the test's clock.
 */
export class MemoryWorkQueue implements WorkQueue {
  readonly queues = new Map<string, Queued[]>();
  /** The next call of this kind fails once with a dependency failure. */
  failNext: 'receive' | 'setVisibility' | 'delete' | null = null;
  private n = 0;

  constructor(private readonly clock: TestClock) {}

  send(queueUrl: string, group: string, body: unknown): void {
    const queue = this.queues.get(queueUrl) ?? [];
    queue.push({ id: `sqs-${++this.n}`, group, body: typeof body === 'string' ? body : JSON.stringify(body), handle: null, invisibleUntil: 0 });
    this.queues.set(queueUrl, queue);
  }

  async counts(queueUrl: string): Promise<QueueCounts> {
    const now = this.clock.now().getTime();
    const all = this.queues.get(queueUrl) ?? [];
    return { waiting: all.filter((m) => m.invisibleUntil <= now).length, inFlight: all.filter((m) => m.invisibleUntil > now).length };
  }

  async receive(queueUrl: string, visibilitySeconds: number): Promise<ReceivedMessage | null> {
    this.maybeFail('receive');
    const now = this.clock.now().getTime();
    const all = this.queues.get(queueUrl) ?? [];
    const heads = [...new Set(all.map((m) => m.group))].map((g) => all.find((m) => m.group === g) as Queued);
    const next = heads.find((m) => m.invisibleUntil <= now);
    if (!next) return null;
    next.handle = `handle-${++this.n}`;
    next.invisibleUntil = now + visibilitySeconds * 1000;
    return { body: next.body, receiptHandle: next.handle, queueMessageId: next.id };
  }

  async setVisibility(queueUrl: string, receiptHandle: string, seconds: number): Promise<void> {
    this.maybeFail('setVisibility');
    this.inFlight(queueUrl, receiptHandle).invisibleUntil = this.clock.now().getTime() + seconds * 1000;
  }

  async delete(queueUrl: string, receiptHandle: string): Promise<void> {
    this.maybeFail('delete');
    const message = this.inFlight(queueUrl, receiptHandle);
    this.queues.set(
      queueUrl,
      (this.queues.get(queueUrl) ?? []).filter((m) => m !== message),
    );
  }

  private inFlight(queueUrl: string, handle: string): Queued {
    const message = (this.queues.get(queueUrl) ?? []).find((m) => m.handle === handle && m.invisibleUntil > this.clock.now().getTime());
    if (!message) throw new LeaseGoneError(`no message in flight under ${handle}`);
    return message;
  }

  private maybeFail(call: NonNullable<MemoryWorkQueue['failNext']>): void {
    if (this.failNext !== call) return;
    this.failNext = null;
    throw new Error(`${call} failed`);
  }
}

export class MemoryLeases implements LeaseStore {
  readonly items = new Map<string, WorkLease>();
  failPut = false;
  async put(lease: WorkLease): Promise<void> {
    if (this.failPut) throw new Error('put failed');
    this.items.set(lease.id, lease);
  }
  async get(id: string): Promise<WorkLease | null> {
    return this.items.get(id) ?? null;
  }
  async replace(lease: WorkLease): Promise<boolean> {
    if (!this.items.has(lease.id)) return false;
    this.items.set(lease.id, lease);
    return true;
  }
  async remove(lease: WorkLease): Promise<void> {
    this.items.delete(lease.id);
  }
  async onConversation(conversationId: string): Promise<WorkLease[]> {
    return [...this.items.values()].filter((l) => l.conversationId === conversationId);
  }
}

export class MemoryPresence implements PresenceStore {
  readonly items = new Map<string, PresenceRecord>();
  async get(conversationId: string, agentId: string): Promise<PresenceRecord | null> {
    return this.items.get(`${conversationId}#${agentId}`) ?? null;
  }
  async put(record: PresenceRecord): Promise<void> {
    this.items.set(`${record.conversationId}#${record.agentId}`, record);
  }
  async remove(conversationId: string, agentId: string): Promise<void> {
    this.items.delete(`${conversationId}#${agentId}`);
  }
  async list(conversationId: string): Promise<PresenceRecord[]> {
    return [...this.items.values()].filter((p) => p.conversationId === conversationId);
  }
}

/** Conversations by id, with the status change `setStatus` makes; every other call is unused here. */
export class MemoryConversations implements ConversationAdmin {
  readonly items = new Map<string, ConversationSummary>();
  add(id: string, channelId: string, lastSkill: string | null): void {
    const at = '2026-11-22T09:00:00.000Z';
    this.items.set(id, {
      id,
      channelId,
      lastSkill,
      ticketNumber: '0000013',
      participants: [],
      status: 'open',
      lastAgent: null,
      replyToken: null,
      createdAt: at,
      updatedAt: at,
    });
  }
  async get(id: string): Promise<ConversationSummary | null> {
    return this.items.get(id) ?? null;
  }
  async update(id: string, change: { readonly status?: 'open' | 'closed' }, at: string): Promise<ConversationSummary> {
    const current = this.items.get(id);
    if (!current) throw new Error(`no conversation ${id}`);
    const updated = { ...current, ...(change.status ? { status: change.status } : {}), updatedAt: at };
    this.items.set(id, updated);
    return updated;
  }
  list = unused;
  findByTicketNumber = unused;
  messages = unused;
  notes = unused;
  addNote = unused;
}

async function unused(): Promise<never> {
  throw new Error('not used by the work use cases');
}

export const AGENT_1: Caller = { agentId: 'agent-1', role: 'agent', displayName: 'Alex Agent', channels: [], skills: ['support', 'billing'] };
export const AGENT_2: Caller = { agentId: 'agent-2', role: 'agent', displayName: 'Blair Agent', channels: [], skills: ['billing'] };
export const SUPERVISOR: Caller = { agentId: 'supervisor-1', role: 'supervisor', displayName: 'Sam Supervisor', channels: [], skills: [] };

export function asCaller(caller: Caller): AdminRequest {
  return { actor: { kind: 'token', id: caller.agentId, agentId: caller.agentId, role: caller.role }, requestId: `r-${caller.agentId}`, caller };
}

/** The work use cases' dependencies in memory: skills support and billing with their queues, a clock the test moves. */
export async function workWorld() {
  const clock = new TestClock();
  const queue = new MemoryWorkQueue(clock);
  const leases = new MemoryLeases();
  const presence = new MemoryPresence();
  const skills = new MemoryVersionedStore<SkillRecord>();
  const conversations = new MemoryConversations();
  const audit: AuditEntry[] = [];
  let n = 0;
  for (const name of ['support', 'billing', 'spam-review'])
    await skills.create(
      name,
      { name, description: name === 'spam-review' ? '' : `${name} work`, queueUrl: `q/${name}`, deadLetterQueueUrl: `q/${name}-dlq` },
      'now',
    );
  const deps = {
    clock,
    skills,
    conversations,
    ids: { next: () => `lease-${++n}` },
    audit: { append: async (e: AuditEntry) => void audit.push(e), list: async () => ({ items: audit, cursor: null }) },
    work: { queue, leases, presence },
  };
  /** A routed message of `conversationId` on a skill's queue, as the inbound function queues it. */
  const route = (skill: string, conversationId: string, messageId: string) =>
    queue.send(`q/${skill}`, conversationId, { schemaVersion: 1, channelId: 'support', messageId, conversationId, skill, subject: `about ${messageId}` });
  return { deps, clock, queue, leases, presence, skills, conversations, audit, route };
}
