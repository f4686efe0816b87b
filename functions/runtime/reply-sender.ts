import type { ReplyRequestInput } from '../core/model/reply-request.ts';
import type { OutboundStoredMessage } from '../core/model/stored-message.ts';
import { type QueueReplyDeps, queueReply } from '../core/outbound/compose/queue-reply.ts';
import type { ReplySender } from '../core/ports/admin.ts';

/**
 * The admin API's reply route on the outbound use case: `queueReply` validates the request,
 * resolves its attachments, chooses template and signature, plans, stores the message as
 * `queued` and puts it on the outbound queue.
 */
export class QueueReplySender implements ReplySender {
  constructor(private readonly deps: QueueReplyDeps) {}

  reply(request: ReplyRequestInput): Promise<OutboundStoredMessage> {
    return queueReply(this.deps, request);
  }
}
