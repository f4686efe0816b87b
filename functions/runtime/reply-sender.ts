import { NotFoundError } from '../core/errors.ts';
import type { AttachmentRef } from '../core/model/outbound-mail.ts';
import type { ReplyRequest } from '../core/model/reply-request.ts';
import type { OutboundStoredMessage } from '../core/model/stored-message.ts';
import { type QueueReplyDeps, queueReply } from '../core/outbound/queue-reply.ts';
import type { ReplySender } from '../core/ports/admin.ts';

/**
 * The admin API's reply route on the outbound use case: the API's request (attachments named by
 * upload key, or by the inbound message that carries them) becomes the agent's reply `queueReply`
 * validates, plans, stores as `queued` and puts on the outbound queue.
 */
export class QueueReplySender implements ReplySender {
  constructor(private readonly deps: QueueReplyDeps) {}

  async reply(request: ReplyRequest): Promise<OutboundStoredMessage> {
    const attachments: AttachmentRef[] = [];
    // Read only when an attachment is forwarded, and once for all of them.
    let history: Awaited<ReturnType<QueueReplyDeps['history']['list']>> | undefined;
    for (const a of request.attachments ?? []) {
      if (a.source === 's3') {
        attachments.push(a);
        continue;
      }
      history ??= await this.deps.history.list(request.conversationId);
      const carrier = history.find((m) => m.direction === 'inbound' && m.messageId === a.messageId);
      if (carrier?.direction !== 'inbound') throw new NotFoundError(`message ${a.messageId} is no customer message of this conversation`);
      attachments.push({ source: 'inbound', rawKey: carrier.rawKey, messageId: a.messageId, filename: a.filename });
    }
    return queueReply(this.deps, {
      conversationId: request.conversationId,
      ...(request.inReplyTo ? { inReplyTo: request.inReplyTo } : {}),
      reply: {
        agentId: request.agentId,
        text: request.text ?? null,
        html: request.html ?? null,
        ...(request.from ? { from: request.from } : {}),
        cc: request.cc ?? [],
        bcc: request.bcc ?? [],
        attachments,
      },
    });
  }
}
