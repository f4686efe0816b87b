import { MemoryConversationStore } from '../../functions/adapters/memory/memory-conversation-store.ts';
import { MemoryProcessingLedger } from '../../functions/adapters/memory/memory-processing-ledger.ts';
import { MemorySuppressionList } from '../../functions/adapters/memory/memory-suppression-list.ts';
import { MemoryVersionedStore } from '../../functions/adapters/memory/memory-versioned-store.ts';
import { NodemailerMimeComposer } from '../../functions/adapters/outbound/nodemailer-mime-composer.ts';
import { NotFoundError, TransportError } from '../../functions/core/errors.ts';
import type { Signature, Template } from '../../functions/core/model/admin-resources.ts';
import type { ChannelSettings } from '../../functions/core/model/channel.ts';
import { OUTBOUND_FINAL_STATES, type OutboundJob, type OutboundRecord } from '../../functions/core/model/outbound-job.ts';
import type { OutboundMail } from '../../functions/core/model/outbound-mail.ts';
import { messageTime, type OutboundStoredMessage, type StoredMessage } from '../../functions/core/model/stored-message.ts';
import type { QueueReplyDeps } from '../../functions/core/outbound/compose/queue-reply.ts';
import type { SendOutboundDeps } from '../../functions/core/outbound/send/send-outbound.ts';
import type { AttachmentSource } from '../../functions/core/ports/composer.ts';
import type { Envelope, MailTransport, SentMail } from '../../functions/core/ports/outbound.ts';
import type { ConversationMessages, OutboundPlanStore, OutboundQueue } from '../../functions/core/ports/outbound-store.ts';
import { TestClock } from './clock.ts';

/** Stored messages of both directions in memory, in time order per conversation. */
export class MemoryMessages implements ConversationMessages {
  readonly byId = new Map<string, StoredMessage>();

  async put(message: StoredMessage): Promise<void> {
    this.byId.set(message.messageId, structuredClone(message));
  }

  async list(conversationId: string): Promise<StoredMessage[]> {
    return [...this.byId.values()].filter((m) => m.conversationId === conversationId).sort((a, b) => messageTime(a).localeCompare(messageTime(b)));
  }

  async getOutbound(key: { readonly messageId: string }): Promise<OutboundStoredMessage> {
    const found = this.byId.get(key.messageId);
    if (found?.direction !== 'outbound') throw new NotFoundError(`outbound message ${key.messageId} does not exist`);
    return found;
  }
}

/** What a transport was asked to send, and what it will do next. */
export class RecordingTransport implements MailTransport {
  readonly sent: { raw: string; envelope: Envelope }[] = [];
  /** Errors to throw on the next sends, in order; then it accepts. */
  readonly failures: Error[] = [];
  /** When set, the next send "crashes": it never returns (the process died mid-send). */
  crashNext = false;

  async send(raw: Uint8Array, envelope: Envelope, options: { readonly messageId: string }): Promise<SentMail> {
    if (this.crashNext) {
      this.crashNext = false;
      this.sent.push({ raw: Buffer.from(raw).toString('utf8'), envelope });
      return new Promise<SentMail>(() => undefined);
    }
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.sent.push({ raw: Buffer.from(raw).toString('utf8'), envelope });
    return {
      providerMessageId: `p-${this.sent.length}`,
      messageIds: [`<${options.messageId}>`, `<p-${this.sent.length}@eu-west-1.amazonses.com>`],
      response: '250 ok',
    };
  }
}

/** The send path on in-memory stores, with the real planner and the real nodemailer composer. */
export function outboundWorld(channel: ChannelSettings) {
  const clock = new TestClock();
  let n = 0;
  const ids = { next: () => `id-${++n}` };
  const conversations = new MemoryConversationStore();
  const messages = new MemoryMessages();
  const plans = new Map<string, OutboundMail>();
  const planStore: OutboundPlanStore = {
    put: async (mail, id) => void plans.set(id, structuredClone(mail)),
    get: async (_channel, id) => {
      const plan = plans.get(id);
      if (!plan) throw new NotFoundError(`no plan ${id}`);
      return plan;
    },
  };
  const jobs: OutboundJob[] = [];
  const queue: OutboundQueue = { send: async (job) => void jobs.push(job) };
  const suppression = new MemorySuppressionList();
  const transport = new RecordingTransport();
  const ledger = new MemoryProcessingLedger<OutboundRecord>((r) => r.messageId, { finalStates: OUTBOUND_FINAL_STATES, firstState: 'queued' });
  const channels = { getChannel: async (id: string) => (id === channel.id ? channel : Promise.reject(new NotFoundError(id))), all: async () => [channel] };
  const noAttachments: AttachmentSource = { fetch: async () => Promise.reject(new NotFoundError('no attachments here')) };
  // The stores the admin API writes: a channel's templates, agents' signatures.
  const templates = new MemoryVersionedStore<Template>();
  const signatures = new MemoryVersionedStore<Signature>();
  // Files uploaded for replies: key → size.
  const uploads = new Map<string, number>();
  const queueDeps: QueueReplyDeps = {
    channels,
    conversations,
    history: messages,
    messages,
    plans: planStore,
    queue,
    suppression,
    clock,
    ids,
    templates: (channelId) => (channelId === channel.id ? templates : new MemoryVersionedStore<Template>()),
    signatures,
    attachments: {
      stage: async () => Promise.reject(new NotFoundError('no staging here')),
      enclose: async () => Promise.reject(new NotFoundError('no staging here')),
      sizeOf: async (key) => uploads.get(key) ?? null,
    },
  };
  const sendDeps: SendOutboundDeps = {
    ledger,
    channels,
    plans: planStore,
    history: messages,
    messages,
    conversations,
    suppression,
    composer: new NodemailerMimeComposer({ clock }),
    attachments: noAttachments,
    transports: { forChannel: async () => transport },
    clock,
    leaseMs: 60_000,
    maxAttempts: 3,
  };
  return { clock, ids, conversations, messages, jobs, suppression, transport, ledger, templates, signatures, uploads, queueDeps, sendDeps };
}

export const transient = (): TransportError => new TransportError('451 4.3.0 try again later', { permanent: false, status: '451' });
export const permanent = (): TransportError => new TransportError('550 5.1.1 no such user', { permanent: true, status: '550' });
