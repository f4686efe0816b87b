import { NotFoundError, PolicyError, ValidationError } from '../../errors.ts';
import { TAG_EXTERNAL_PARTY } from '../../model/conversation.ts';
import type { Attachment } from '../../model/message.ts';
import { ForwardRequestSchema, type ForwardRequestInput } from '../../model/reply-request.ts';
import type { InboundStoredMessage, OutboundStoredMessage, StoredMessage } from '../../model/stored-message.ts';
import { parseOrThrow } from '../../validation.ts';
import { queuedMessageOf } from '../send/outbound-record.ts';
import { checkNotSuppressed } from '../send/suppression-check.ts';
import { assertMessageSize } from './message-size.ts';
import { planForward } from './plan-forward.ts';
import { agentParts, conversationOf, queueStored, refuseOwnRecipients, type QueueReplyDeps } from './queue-reply.ts';

/**
 * Queues an agent's forward of customer mail to an external party (a specialist, a supplier),
 * while the conversation stays with the agent: the named customer messages of the conversation
 * (the newest customer message when none is named) are enclosed as they were received
 * (`message/rfc822`, their attachments with them) below the agent's note; the mail goes through
 * the same plan, suppression check, queue and transport as a reply and is recorded on the
 * conversation as an outbound message with purpose `forward`. Once sent, its recipients are the
 * conversation's external parties: their answer threads to it (by our Message-ID) flagged
 * `external-party`, and never becomes the customer's.
 *
 * A recipient that is a customer of the conversation (a participant) is refused (that is a
 * reply), and so is any address of the deployment.
 * Throws `NotFoundError` (no such conversation, or a named message that is no customer message
 * of it), `ValidationError`, `HeaderInjectionError` and `PolicyError` (a From not allowed, a
 * suppressed recipient).
 */
export async function queueForward(deps: QueueReplyDeps, input: ForwardRequestInput): Promise<OutboundStoredMessage> {
  const request = parseOrThrow(ForwardRequestSchema, input, 'forward');
  const conversation = await conversationOf(deps, request.conversationId);
  const externals = new Set(conversation.externalParties ?? []);
  const customers = new Set(conversation.participants.filter((p) => !externals.has(p)));
  for (const [field, list] of [
    ['to', request.to],
    ['cc', request.cc],
  ] as const) {
    const i = list.findIndex((a) => customers.has(a.address.toLowerCase()));
    if (i >= 0) {
      const message = `${list[i]?.address} is a customer of this conversation: answer them with a reply, not a forward`;
      throw new ValidationError(`${field}[${i}]: ${message}`, [{ path: `${field}[${i}]`, message }]);
    }
  }
  await refuseOwnRecipients(deps.channels, [
    ['to', request.to],
    ['cc', request.cc],
  ]);
  const channel = await deps.channels.getChannel(conversation.channelId);
  const history = await deps.history.list(conversation.id);
  const forwarded = forwardedMessages(history, request.messageIds);
  // Before any copy of the customer's mail is made: a refused recipient leaves nothing behind.
  await checkNotSuppressed(
    deps.suppression,
    channel.id,
    [...request.to, ...request.cc].map((a) => a.address),
  );
  const enclosed = await Promise.all(
    forwarded.map(async (m, i) => {
      const { ref, size } = await deps.attachments.enclose(
        { rawKey: m.rawKey, filename: `forwarded-${conversation.ticketNumber || 'mail'}-${i + 1}.eml` },
        channel.id,
      );
      const stored: Attachment = { filename: ref.filename, contentType: ref.contentType, size, inline: false, contentId: null, checksum: null };
      return { ref, stored };
    }),
  );
  // Enclosed mails pass unencoded (message/rfc822), so their sum is what the mail carries; refused here rather than failed at send.
  assertMessageSize(
    enclosed.reduce((sum, e) => sum + e.stored.size, 0),
    `the ${enclosed.length} forwarded mails`,
  );
  const { template, signature } = await agentParts(deps, channel, history, { ...request, attachments: [] });
  const note = request.note ?? '';
  const planned = planForward(deps, {
    channel,
    outbound: channel,
    conversation,
    forwarded: forwarded.map((m, i) => ({ from: m.from, date: m.date, subject: m.subject, filename: enclosed[i]?.ref.filename ?? '' })),
    agent: { ...request, text: note, html: null, bcc: [], note, attachments: enclosed.map((e) => e.ref), template, signature },
  });
  // No second suppression check: the planned recipients are among the request's, checked before the copies were made.
  const at = deps.clock.now().toISOString();
  return queueStored(
    deps,
    planned.mail,
    queuedMessageOf(planned.mail, {
      messageId: deps.ids.next(),
      purpose: 'forward',
      inReplyTo: forwarded.at(-1)?.messageId ?? null,
      reply: { text: planned.mail.content.text, html: null },
      at,
      attachments: enclosed.map((e) => e.stored),
    }),
  );
}

/**
 * The customer messages to enclose, oldest first: the named ones, else the newest customer message.
 * A message carrying attachments the channel's policy refused is not enclosed as received (it would
 * send those files on): `PolicyError`.
 */
function forwardedMessages(history: readonly StoredMessage[], named: readonly string[] | undefined): InboundStoredMessage[] {
  const inbound = history.filter((m): m is InboundStoredMessage => m.direction === 'inbound');
  const chosen = named === undefined ? newestCustomerMessage(inbound) : namedMessages(inbound, named);
  const refused = chosen.find((m) => m.rejectedAttachments.length > 0);
  if (refused) {
    throw new PolicyError(
      'policy',
      `message ${refused.messageId} carries attachments the channel refused (${refused.rejectedAttachments.join(', ')}): it is not forwarded as received`,
    );
  }
  return chosen;
}

function newestCustomerMessage(inbound: readonly InboundStoredMessage[]): InboundStoredMessage[] {
  const newest = inbound.filter((m) => !m.tags.includes(TAG_EXTERNAL_PARTY)).at(-1);
  if (!newest) {
    const message = 'the conversation has no customer message to forward';
    throw new ValidationError(`messageIds: ${message}`, [{ path: 'messageIds', message }]);
  }
  return [newest];
}

function namedMessages(inbound: readonly InboundStoredMessage[], named: readonly string[]): InboundStoredMessage[] {
  const wanted = new Set(named);
  for (const id of wanted) {
    if (!inbound.some((m) => m.messageId === id)) throw new NotFoundError(`message ${id} is no received message of this conversation`);
  }
  return inbound.filter((m) => wanted.has(m.messageId));
}
