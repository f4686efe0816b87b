import { NotFoundError, ValidationError } from '../../errors.ts';
import type { ChannelSettings } from '../../model/channel.ts';
import type { Signature } from '../../model/admin-resources.ts';
import { type ConversationRef, TAG_EXTERNAL_PARTY } from '../../model/conversation.ts';
import type { Attachment } from '../../model/message.ts';
import { mailEnvelope, type AttachmentRef, type OutboundMail } from '../../model/outbound-mail.ts';
import { ReplyRequestSchema, type ReplyAttachment, type ReplyRequestInput } from '../../model/reply-request.ts';
import type { InboundStoredMessage, OutboundStoredMessage, StoredMessage } from '../../model/stored-message.ts';
import type { Clock, IdGenerator } from '../../ports/clock.ts';
import type { ConversationStore } from '../../ports/conversation-store.ts';
import type { OutboundMessageStore } from '../../ports/outbound-messages.ts';
import type { AttachmentStager } from '../../ports/composer.ts';
import type { ChannelLookup, ConversationMessages, OutboundPlanStore, OutboundQueue } from '../../ports/outbound-store.ts';
import type { SuppressionList } from '../../ports/suppression.ts';
import { parseOrThrow } from '../../validation.ts';
import { checkNotSuppressed } from '../send/suppression-check.ts';
import { jobOf, queuedMessageOf } from '../send/outbound-record.ts';
import { planReply } from './plan-reply.ts';
import { chooseTemplate, replySignature, type ReplyLayoutStores } from './reply-template.ts';
import type { MailTemplate } from './render-template.ts';
import { agentUploadPrefix, isUploadOf } from './upload-keys.ts';

export interface QueueReplyDeps extends ReplyLayoutStores {
  readonly channels: ChannelLookup;
  readonly conversations: Pick<ConversationStore, 'getConversations'>;
  readonly history: ConversationMessages;
  readonly messages: Pick<OutboundMessageStore, 'put'>;
  readonly plans: OutboundPlanStore;
  readonly queue: OutboundQueue;
  readonly suppression: SuppressionList;
  /** Finds uploads by key, and copies forwarded attachments of inbound messages into the uploads. */
  readonly attachments: AttachmentStager;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

/** Ids of our earlier mails kept in References of the next one. */
const PREVIOUS_SENT_IDS = 5;

/**
 * Queues an agent's reply: validates the request (the one parse of a reply, for the API, the
 * `postroom reply` command and the sandbox alike), resolves forwarded attachments from the
 * conversation's history and checks that every upload is the agent's own (a supervisor replying
 * for an agent: the agent's or the supervisor's) and stored, chooses the template
 * (`chooseTemplate`: the named one, the channel's
 * stored `default`, its inline one, the built-in one) and the signature (the agent's stored one
 * unless the request gives one), plans the mail (From, To, subject with the ticket number,
 * threading headers), refuses suppressed recipients before anything is stored, keeps the plan,
 * records the message on the conversation as `queued` with its attachments and puts a job on the
 * outbound FIFO queue. Returns the stored message; the outbound function sends it.
 *
 * Throws `NotFoundError` (no such conversation or message), `ValidationError` (a malformed
 * request, a template the channel does not have, an upload key of another agent or with no file),
 * `HeaderInjectionError` and `PolicyError` (a From not allowed, a suppressed recipient).
 */
export async function queueReply(deps: QueueReplyDeps, input: ReplyRequestInput): Promise<OutboundStoredMessage> {
  const request = parseOrThrow(ReplyRequestSchema, input, 'reply');
  const conversation = await conversationOf(deps, request.conversationId);
  const channel = await deps.channels.getChannel(conversation.channelId);
  const history = await deps.history.list(conversation.id);
  const answered = answeredMessage(history, request.inReplyTo);
  const { attachments, template, signature } = await agentParts(deps, channel, history, request);
  const planned = planReply(deps, {
    channel,
    outbound: channel,
    conversation,
    answered: { ...answered, messageId: answered.internetMessageId },
    reply: { ...request, attachments: attachments.map((a) => a.ref), template, signature },
    previousSentIds: sentIds(history),
  });
  await checkNotSuppressed(deps.suppression, channel.id, mailEnvelope(planned.mail).to);
  const at = deps.clock.now().toISOString();
  return queueStored(
    deps,
    planned.mail,
    queuedMessageOf(planned.mail, {
      messageId: deps.ids.next(),
      purpose: 'reply',
      inReplyTo: answered.messageId,
      reply: request,
      at,
      attachments: attachments.map((a) => a.stored),
      // Answering an external party (a supplier's answer to a forward) keeps them outside the customers.
      external: answered.tags.includes(TAG_EXTERNAL_PARTY),
    }),
  );
}

/** What an agent's mail carries besides its text: attachments resolved, the template and the signature chosen. */
export async function agentParts(
  deps: ReplyLayoutStores & Pick<QueueReplyDeps, 'attachments'>,
  channel: ChannelSettings,
  history: readonly StoredMessage[],
  request: {
    readonly agentId: string;
    readonly callerId?: string | undefined;
    readonly attachments: readonly ReplyAttachment[];
    readonly template?: string | undefined;
    readonly signature?: Signature | undefined;
  },
): Promise<{ readonly attachments: readonly ResolvedAttachment[]; readonly template: MailTemplate; readonly signature: Signature | null }> {
  const uploaders = [request.agentId, ...(request.callerId ? [request.callerId] : [])];
  const [attachments, template, signature] = await Promise.all([
    Promise.all(request.attachments.map((a, i) => attachmentOf(deps, history, a, { index: i, channelId: channel.id, uploaders }))),
    chooseTemplate(deps, channel, request.template),
    replySignature(deps, request.agentId, request.signature),
  ]);
  return { attachments, template, signature };
}

/**
 * Keeps the plan, records the message `queued` and puts its job on the outbound queue, in that
 * order: a job always finds its message and plan.
 */
export async function queueStored(
  deps: Pick<QueueReplyDeps, 'plans' | 'messages' | 'queue'>,
  mail: OutboundMail,
  stored: OutboundStoredMessage,
): Promise<OutboundStoredMessage> {
  await deps.plans.put(mail, stored.messageId);
  await deps.messages.put(stored);
  await deps.queue.send(jobOf(stored));
  return stored;
}

/** An attachment where its bytes are, and what the stored message records of it. */
export interface ResolvedAttachment {
  readonly ref: Extract<AttachmentRef, { source: 's3' }>;
  readonly stored: Attachment;
}

/**
 * Where an attachment's bytes are, and what the stored message records of it: an upload as it is,
 * if it is below the prefix of one of `uploaders` and a file is stored under it; a forwarded
 * attachment of an inbound message of this conversation copied into the uploads, so the sender
 * reads only uploads.
 */
async function attachmentOf(
  deps: Pick<QueueReplyDeps, 'attachments'>,
  history: readonly StoredMessage[],
  a: ReplyAttachment,
  at: { readonly index: number; readonly channelId: string; readonly uploaders: readonly string[] },
): Promise<ResolvedAttachment> {
  const field = `attachments[${at.index}]${a.source === 's3' ? '.key' : ''}`;
  let ref: Extract<AttachmentRef, { source: 's3' }>;
  if (a.source === 's3') {
    if (!isUploadOf(a.key, at.uploaders)) {
      const own = at.uploaders.map((id) => `${agentUploadPrefix(id)}…`).join(' or ');
      throw invalid(field, `not an upload of the replying agent: attach a key POST /attachments gave (${own})`);
    }
    ref = a;
  } else {
    const carrier = history.find((m): m is InboundStoredMessage => m.direction === 'inbound' && m.messageId === a.messageId);
    if (!carrier) throw new NotFoundError(`message ${a.messageId} is no customer message of this conversation`);
    ref = await deps.attachments.stage({ source: 'inbound', rawKey: carrier.rawKey, messageId: a.messageId, filename: a.filename }, at.channelId);
  }
  const size = await deps.attachments.sizeOf(ref.key);
  if (size === null) throw invalid(field, 'no file is stored under this key: upload it with the form POST /attachments gave, then reply');
  return { ref, stored: { filename: ref.filename, contentType: ref.contentType, size, inline: false, contentId: null, checksum: null } };
}

function invalid(path: string, message: string): ValidationError {
  return new ValidationError(`${path}: ${message}`, [{ path, message }]);
}

export async function conversationOf(deps: Pick<QueueReplyDeps, 'conversations'>, id: string): Promise<ConversationRef> {
  const conversation = (await deps.conversations.getConversations([id])).get(id);
  if (!conversation) throw new NotFoundError(`conversation ${id} does not exist`);
  return conversation;
}

/**
 * The customer's message answered: the one named, else the newest inbound one that is the
 * customer's (not an external party's answer to a forward, which a reply names to answer it).
 */
export function answeredMessage(history: readonly StoredMessage[], messageId: string | undefined): InboundStoredMessage {
  const inbound = history.filter((m): m is InboundStoredMessage => m.direction === 'inbound');
  if (messageId !== undefined) {
    const named = inbound.find((m) => m.messageId === messageId);
    if (!named) throw new NotFoundError(`message ${messageId} is no customer message of this conversation`);
    return named;
  }
  const newest = inbound.filter((m) => !m.tags.includes(TAG_EXTERNAL_PARTY)).at(-1);
  if (!newest)
    throw new ValidationError('the conversation has no customer message to answer', [
      { path: 'inReplyTo', message: 'nothing to answer: send a new mail instead' },
    ]);
  return newest;
}

/** Message-IDs of our sent mails, newest last. */
function sentIds(history: readonly StoredMessage[]): string[] {
  return history
    .filter((m): m is OutboundStoredMessage => m.direction === 'outbound' && m.status !== 'queued' && m.status !== 'failed')
    .flatMap((m) => m.threadIds.slice(0, 1))
    .slice(-PREVIOUS_SENT_IDS);
}

/**
 * Refuses a recipient that is an address of the deployment (any channel's address, alias or
 * allowed From): a new mail or a forward to it would come back in as a customer's mail of that
 * channel, with this conversation's reply token. A 400 naming the field and the channel.
 */
export async function refuseOwnRecipients(
  channels: Pick<ChannelLookup, 'all'>,
  lists: readonly (readonly [string, readonly { readonly address: string }[]])[],
): Promise<void> {
  const owners = new Map<string, string>();
  for (const c of await channels.all()) {
    for (const a of [c.address, ...c.aliases, ...c.allowedFrom.map((f) => f.address)]) owners.set(a.toLowerCase(), c.id);
  }
  for (const [field, list] of lists) {
    const i = list.findIndex((a) => owners.has(a.address.toLowerCase()));
    if (i < 0) continue;
    const message = `${list[i]?.address} is an address of channel ${owners.get(list[i]?.address.toLowerCase() ?? '')}: mail to it would come back in as a customer's`;
    throw new ValidationError(`${field}[${i}]: ${message}`, [{ path: `${field}[${i}]`, message }]);
  }
}
