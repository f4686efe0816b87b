import { z } from '@hono/zod-openapi';
import { route } from '../roles.ts';
import { RecordIdSchema } from '../../core/model/fields.ts';
import { NotFoundError, ValidationError } from '../../core/errors.ts';
import { everything, recordChange } from '../../core/admin/admin-context.ts';
import { addNote, assign, forward, getConversation, readHistory, reply, setStatus, startConversation } from '../../core/admin/conversation-admin.ts';
import { conversationsWithTicket, onlyConversation } from '../../core/conversation/find-by-ticket.ts';
import { canWorkOn } from '../../core/model/agent.ts';
import { channelOf } from '../../core/admin/rule-admin.ts';
import type { ConversationSummary } from '../../core/ports/admin.ts';
import { ForwardBodySchema, NewConversationBodySchema, ReplyBodySchema } from '../../core/model/reply-request.ts';
import { adminRequest, type AdminApp } from '../context.ts';
import type { AdminApiDeps } from '../deps.ts';
import { ERRORS, ETAG_HEADER, IfMatchHeaderSchema, PageQuerySchema, json, jsonBody, optionalVersion } from '../http.ts';
import {
  AssignInputSchema,
  ConversationPageSchema,
  ConversationQuerySchema,
  ConversationSchema,
  DownloadLinkSchema,
  HistorySchema,
  NoteInputSchema,
  NoteOutSchema,
  OutboundMessageSchema,
  UploadInputSchema,
  UploadLinkSchema,
} from '../schemas.ts';

const tags = ['conversations'];
const Params = z.object({ conversationId: RecordIdSchema });

/** A conversation's ETag: its last change in epoch milliseconds (every write stamps `updatedAt`). */
function etagOf(conversation: ConversationSummary): string {
  return `"${Date.parse(conversation.updatedAt) || 0}"`;
}

function expectedUpdatedAt(header: string | undefined): string | undefined {
  const version = optionalVersion(header);
  return version === null ? undefined : new Date(version).toISOString();
}

const withConversation = (c: ConversationSummary) => ({ ...c, participants: [...c.participants] });

const StartedConversationSchema = ConversationSchema.extend({ message: OutboundMessageSchema }).meta({ id: 'StartedConversation' });

const SendersSchema = z
  .object({
    channelId: z.string(),
    items: z.array(
      z.object({
        address: z.string(),
        name: z.string().meta({ description: 'The display name the mail carries from this address.' }),
        default: z.boolean().meta({ description: 'The channel address: what a reply naming no `from` is sent from.' }),
      }),
    ),
  })
  .meta({ id: 'Senders' });

export function conversationRoutes(app: AdminApp, deps: AdminApiDeps): void {
  app.openapi(
    route(
      { role: 'agent' },
      {
        method: 'get',
        path: '/conversations',
        tags,
        summary: 'Find conversations by ticket number, participant, status, skill, channel, date (newest first)',
        request: { query: PageQuerySchema.extend(ConversationQuerySchema.shape) },
        responses: { 200: json(ConversationPageSchema, 'A page of conversations'), ...ERRORS },
      },
    ),
    async (c) => {
      const { limit, cursor, ticket, ...filter } = c.req.valid('query');
      const { caller } = adminRequest(c);
      const visible = (conversation: ConversationSummary) => canWorkOn(caller, conversation);
      if (ticket !== undefined) {
        if (!/^\d{5,12}$/.test(ticket)) throw new ValidationError('ticket: 5 to 12 digits', [{ path: 'ticket', message: '5 to 12 digits, e.g. 0000013' }]);
        const channels = filter.channelId ? [filter.channelId] : (await everything((p) => deps.channels.list(p))).map((ch) => ch.value.id);
        // At most one: a number from before tickets were unique across channels may name several (409, each named).
        const all = await conversationsWithTicket((id, t) => deps.conversations.findByTicketNumber(id, t), channels, ticket);
        const found = onlyConversation(all.filter(visible), ticket);
        return c.json({ items: found ? [withConversation(found)] : [], cursor: null }, 200);
      }
      // An agent's page holds only what they may see, so it can be shorter than `limit`; follow `cursor`.
      const page = await deps.conversations.list(filter, { limit, cursor });
      return c.json({ items: page.items.filter(visible).map(withConversation), cursor: page.cursor }, 200);
    },
  );

  app.openapi(
    route(
      { role: 'agent' },
      {
        method: 'post',
        path: '/conversations',
        tags,
        summary:
          "Start a conversation: a new mail to a customer, with a ticket number and reply token, queued for sending (the channel's `outboundFlow` must be on)",
        description:
          'On a channel whose `outboundFlow` is on (409 naming the setting otherwise) and that the caller works on (its channel or its default skill). ' +
          "The mail is planned, checked against the suppression lists and queued like a reply; the customer's answer joins the conversation.",
        request: jsonBody(NewConversationBodySchema.meta({ id: 'NewConversationInput' })),
        responses: { 201: json(StartedConversationSchema, 'The conversation, with its first mail queued'), ...ERRORS },
      },
    ),
    async (c) => {
      const started = await startConversation(deps, adminRequest(c), c.req.valid('json'));
      return c.json({ ...withConversation(started.conversation), message: started.message }, 201, { [ETAG_HEADER]: etagOf(started.conversation) });
    },
  );

  app.openapi(
    route(
      { role: 'agent' },
      {
        method: 'get',
        path: '/conversations/{conversationId}',
        tags,
        summary:
          'The whole history: every message in order (direction, lane, tags, new and full text, sanitized HTML, attachments, thread decision, delivery status) and notes',
        request: {
          params: Params,
          query: z.strictObject({ bodies: z.enum(['true', 'false']).default('true').meta({ description: 'Read bodies from the raw mail (slower).' }) }),
        },
        responses: { 200: json(HistorySchema, 'The history'), ...ERRORS },
      },
    ),
    async (c) => {
      const { conversationId } = c.req.valid('param');
      const history = await readHistory(deps, adminRequest(c), conversationId, { bodies: c.req.valid('query').bodies === 'true' });
      const entries = history.entries.map((e) => {
        if (e.type === 'note') return e;
        const links =
          e.message.direction === 'inbound'
            ? e.message.attachments.map((a, index) => ({
                index,
                filename: a.filename,
                contentType: a.contentType,
                size: a.size,
                download: `/conversations/${history.conversation.id}/messages/${e.message.messageId}/attachments/${index}`,
              }))
            : [];
        return { ...e, attachmentLinks: links };
      });
      return c.json({ conversation: withConversation(history.conversation), entries }, 200, { [ETAG_HEADER]: etagOf(history.conversation) });
    },
  );

  for (const [action, status] of [
    ['close', 'closed'],
    ['reopen', 'open'],
  ] as const) {
    app.openapi(
      route(
        { role: 'agent' },
        {
          method: 'post',
          path: `/conversations/{conversationId}/${action}`,
          tags,
          summary: action === 'close' ? 'Close a conversation' : 'Reopen a conversation',
          request: { params: Params, headers: IfMatchHeaderSchema },
          responses: { 200: json(ConversationSchema, 'The conversation'), ...ERRORS },
        },
      ),
      async (c) => {
        const updated = await setStatus(deps, adminRequest(c), c.req.valid('param').conversationId, status, expectedUpdatedAt(c.req.header('if-match')));
        return c.json(withConversation(updated), 200, { [ETAG_HEADER]: etagOf(updated) });
      },
    );
  }

  app.openapi(
    route(
      { role: 'agent' },
      {
        method: 'post',
        path: '/conversations/{conversationId}/assign',
        tags,
        summary: 'Assign an agent (the next routed message carries them as previousAgent)',
        request: { params: Params, headers: IfMatchHeaderSchema, ...jsonBody(AssignInputSchema) },
        responses: { 200: json(ConversationSchema, 'The conversation'), ...ERRORS },
      },
    ),
    async (c) => {
      const updated = await assign(
        deps,
        adminRequest(c),
        c.req.valid('param').conversationId,
        c.req.valid('json').agentId,
        expectedUpdatedAt(c.req.header('if-match')),
      );
      return c.json(withConversation(updated), 200, { [ETAG_HEADER]: etagOf(updated) });
    },
  );

  app.openapi(
    route(
      { role: 'agent' },
      {
        method: 'get',
        path: '/conversations/{conversationId}/senders',
        tags,
        summary: "The From addresses a reply in this conversation may name: the channel address, then the channel's allowed ones",
        request: { params: Params },
        responses: { 200: json(SendersSchema, 'The From choices, the default first'), ...ERRORS },
      },
    ),
    async (c) => {
      // Whoever may answer the conversation may see what it can be answered from (the channel's settings stay with supervisors).
      const conversation = await getConversation(deps, adminRequest(c).caller, c.req.valid('param').conversationId);
      const channel = (await channelOf(deps, conversation.channelId)).value;
      const name = channel.displayName || channel.name;
      return c.json(
        {
          channelId: channel.id,
          items: [
            { address: channel.address, name, default: true },
            ...channel.allowedFrom.map((f) => ({ address: f.address, name: f.name || name, default: false })),
          ],
        },
        200,
      );
    },
  );

  app.openapi(
    route(
      { role: 'agent' },
      {
        method: 'post',
        path: '/conversations/{conversationId}/notes',
        tags,
        summary: 'Add an internal note (never sent)',
        request: { params: Params, ...jsonBody(NoteInputSchema) },
        responses: { 201: json(NoteOutSchema, 'The note'), ...ERRORS },
      },
    ),
    async (c) => {
      const note = await addNote(deps, adminRequest(c), c.req.valid('param').conversationId, c.req.valid('json').text);
      return c.json(note, 201);
    },
  );

  app.openapi(
    route(
      { role: 'agent' },
      {
        method: 'post',
        path: '/conversations/{conversationId}/reply',
        tags,
        summary: "Reply: queued for sending through the channel's transport",
        request: { params: Params, ...jsonBody(ReplyBodySchema.meta({ id: 'ReplyInput' })) },
        responses: { 202: json(OutboundMessageSchema, 'The reply, queued'), ...ERRORS },
      },
    ),
    async (c) => {
      const queued = await reply(deps, adminRequest(c), c.req.valid('param').conversationId, c.req.valid('json'));
      return c.json(queued, 202);
    },
  );

  app.openapi(
    route(
      { role: 'agent' },
      {
        method: 'post',
        path: '/conversations/{conversationId}/forward',
        tags,
        summary: 'Forward customer mail to an external party (a specialist, a supplier): queued, recorded with purpose `forward`',
        description:
          'Each named customer message (the newest when `messageIds` is absent) is enclosed as it was received, as a `message/rfc822` attachment, ' +
          "below the note. The recipients become the conversation's external parties: their answer threads to it flagged `external-party` and never becomes the customer's. " +
          'A customer of the conversation is refused as a recipient (reply instead).',
        request: { params: Params, ...jsonBody(ForwardBodySchema.meta({ id: 'ForwardInput' })) },
        responses: { 202: json(OutboundMessageSchema, 'The forward, queued'), ...ERRORS },
      },
    ),
    async (c) => {
      const queued = await forward(deps, adminRequest(c), c.req.valid('param').conversationId, c.req.valid('json'));
      return c.json(queued, 202);
    },
  );

  app.openapi(
    route(
      { role: 'agent' },
      {
        method: 'get',
        path: '/conversations/{conversationId}/messages/{messageId}/attachments/{index}',
        tags,
        summary: 'A short-lived presigned download URL for an attachment of an inbound message',
        request: { params: Params.extend({ messageId: RecordIdSchema, index: z.coerce.number().int().min(0).max(999) }) },
        responses: { 200: json(DownloadLinkSchema, 'The link'), ...ERRORS },
      },
    ),
    async (c) => {
      const { conversationId, messageId, index } = c.req.valid('param');
      const request = adminRequest(c);
      const conversation = await getConversation(deps, request.caller, conversationId);
      const message = (await deps.conversations.messages(conversation.id)).find((m) => m.messageId === messageId);
      if (message?.direction !== 'inbound') throw new NotFoundError(`conversation ${conversationId} has no inbound message ${messageId}`);
      const link = await deps.attachments.download(message, index);
      await recordChange(deps, request, 'attachment.download', { type: 'attachment', id: `${conversation.id}/${messageId}/${index}` });
      return c.json(link, 200);
    },
  );

  app.openapi(
    route(
      { role: 'agent' },
      {
        method: 'post',
        path: '/attachments',
        tags,
        summary: 'A presigned S3 upload form for a reply attachment of the declared size; name its key in the reply',
        description:
          "The key is below the caller's uploads (`outbound/uploads/agents/<agentId>/`): a reply attaches only keys of its agent " +
          "(a supervisor replying on an agent's behalf: the agent's or their own), and only once the file is uploaded; any other key is a 400.",
        request: jsonBody(UploadInputSchema),
        responses: { 201: json(UploadLinkSchema, 'Where and how to POST the file'), ...ERRORS },
      },
    ),
    async (c) => {
      // The key is below the caller's prefix: only their replies (or a supervisor's on their behalf) can attach it.
      const link = await deps.attachments.upload({ ...c.req.valid('json'), agentId: adminRequest(c).caller.agentId });
      return c.json({ ...link, method: 'POST' as const }, 201);
    },
  );
}
