import type { ForwardRequestInput, NewConversationRequestInput, ReplyRequestInput } from '../core/model/reply-request.ts';
import type { OutboundStoredMessage } from '../core/model/stored-message.ts';
import { queueForward } from '../core/outbound/compose/queue-forward.ts';
import { type QueueReplyDeps, queueReply } from '../core/outbound/compose/queue-reply.ts';
import { type StartConversationDeps, type StartedConversation, startConversation } from '../core/outbound/compose/start-conversation.ts';
import type { ReplySender } from '../core/ports/admin.ts';

/**
 * The admin API's routes that queue an agent's mail, on the outbound use cases: `queueReply`,
 * `startConversation` and `queueForward` each validate the request, resolve its attachments,
 * choose template and signature, plan, store the message as `queued` and put it on the outbound
 * queue.
 */
export class QueueReplySender implements ReplySender {
  constructor(private readonly deps: QueueReplyDeps & StartConversationDeps) {}

  reply(request: ReplyRequestInput): Promise<OutboundStoredMessage> {
    return queueReply(this.deps, request);
  }

  startConversation(request: NewConversationRequestInput): Promise<StartedConversation> {
    return startConversation(this.deps, request);
  }

  forward(request: ForwardRequestInput): Promise<OutboundStoredMessage> {
    return queueForward(this.deps, request);
  }
}
