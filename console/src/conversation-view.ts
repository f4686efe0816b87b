import { ApiError, path } from './api.ts';
import { Composer } from './composer.ts';
import type { ConsoleContext } from './context.ts';
import { badge, h, replace } from './dom.ts';
import { when } from './format.ts';
import { entryKey, entryView } from './message-view.ts';
import { Presence } from './presence.ts';
import type { History, HistoryEntry, PresenceEntry } from './types.ts';

/** New mail from the customer and delivery reports show within this. */
const REFRESH_MS = 8_000;

/**
 * One conversation: ticket number, participants, status and previous agent, who else is here,
 * every message in order, and the answer. Read again every few seconds; an entry whose content
 * did not change keeps its element (an opened HTML frame stays open).
 */
export class ConversationView {
  readonly element: HTMLElement;
  private readonly heading = h('h2', { id: 'conversation-title', tabindex: -1 });
  private readonly facts = h('dl', { class: 'facts' });
  private readonly others = h('p', { class: 'presence', role: 'status', 'aria-label': 'Other agents here' });
  private readonly actions = h('div', { class: 'actions' });
  private readonly list = h('ol', { class: 'entries', 'aria-label': 'Messages and notes' });
  private readonly shown = new Map<string, HTMLElement>();
  private composer: Composer | null = null;
  private presence: Presence | null = null;
  private history: History | null = null;
  private etag: string | null = null;
  private timer: number | undefined;
  private destroyed = false;

  constructor(
    private readonly ctx: ConsoleContext,
    readonly conversationId: string,
  ) {
    this.element = h(
      'section',
      { class: 'conversation', 'aria-labelledby': 'conversation-title' },
      h('header', { class: 'conversation-header' }, this.heading, this.facts, this.others, this.actions),
      this.list,
    );
  }

  async start(): Promise<void> {
    replace(this.heading, 'Loading…');
    const loaded = await this.load();
    if (!loaded || this.destroyed) return;
    this.heading.focus();
    this.presence = new Presence(this.ctx.api, this.conversationId, (others) => this.showOthers(others));
    this.presence.start();
    this.timer = window.setInterval(() => void this.load(), REFRESH_MS);
  }

  destroy(keepalive = false): void {
    this.destroyed = true;
    if (this.timer !== undefined) window.clearInterval(this.timer);
    this.presence?.stop(keepalive);
  }

  focusReply(): void {
    this.composer?.focus();
  }

  send(): void {
    void this.composer?.send();
  }

  /** Closes the conversation at the version shown: a customer's new mail meanwhile is shown first (see `setStatus`). */
  async close(): Promise<void> {
    await this.setStatus('close');
  }

  async reopen(): Promise<void> {
    await this.setStatus('reopen');
  }

  /**
   * At the version shown (If-Match). When it changed meanwhile, it is read again: a change of its
   * own (a reply sent, a delivery report) is retried at once; a customer's new message is shown
   * first, and the agent decides again.
   */
  private async setStatus(action: 'close' | 'reopen'): Promise<void> {
    const seen = this.inboundIds();
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await this.ctx.api.post(path(`/conversations/{id}/${action}`, { id: this.conversationId }), undefined, this.etag ? { 'if-match': this.etag } : {});
        if (action === 'close') this.ctx.leases.forget(this.conversationId);
        this.ctx.announce(action === 'close' ? 'Conversation closed.' : 'Conversation reopened.');
        this.ctx.refreshQueues();
        break;
      } catch (error) {
        // The version changed (409, the API's version conflict).
        if (!(error instanceof ApiError && error.status === 409)) {
          this.ctx.fail(error);
          break;
        }
        await this.load();
        const arrived = [...this.inboundIds()].filter((id) => !seen.has(id));
        if (arrived.length > 0 || attempt > 0) {
          this.ctx.fail(
            new Error(
              arrived.length > 0
                ? 'A new message arrived meanwhile; it is shown now: read it, then decide again.'
                : 'The conversation changed again meanwhile; it is shown now: try again.',
            ),
          );
          break;
        }
      }
    }
    await this.load();
  }

  private inboundIds(): Set<string> {
    return new Set((this.history?.entries ?? []).flatMap((e) => (e.type === 'message' && e.message.direction === 'inbound' ? [e.message.messageId] : [])));
  }

  private async load(): Promise<boolean> {
    try {
      const answer = await this.ctx.api.send<History>('GET', path('/conversations/{id}', { id: this.conversationId }));
      if (this.destroyed) return false;
      this.history = answer.data;
      this.etag = answer.etag;
      this.render(answer.data);
      return true;
    } catch (error) {
      if (this.destroyed) return false;
      if (this.history === null) {
        const gone = error instanceof ApiError && (error.status === 404 || error.status === 403);
        replace(this.heading, gone ? 'Conversation not found' : 'The conversation could not be read');
        replace(this.facts);
        this.list.replaceChildren(
          h('li', { class: 'empty' }, gone ? 'It does not exist, or it is not on your channels and skills.' : String((error as Error).message)),
        );
        if (this.timer !== undefined) window.clearInterval(this.timer);
      }
      return false;
    }
  }

  private render(history: History): void {
    const { conversation } = history;
    const entries = [...history.entries].sort((a, b) => a.at.localeCompare(b.at));
    const first = entries.find((e): e is Extract<HistoryEntry, { type: 'message' }> => e.type === 'message');
    const subject = first?.message.subject || '(no subject)';
    replace(this.heading, subject);
    const lease = this.ctx.leases.forConversation(conversation.id);
    const previous = lease?.pointer.previousAgent ?? conversation.lastAgent;
    // External parties: whom its mail was forwarded to, and who wrote in answering a forward.
    const outside = (conversation.externalParties ?? []).filter((p) => !conversation.participants.includes(p));
    replace(
      this.facts,
      h('dt', {}, 'Ticket'),
      h('dd', { class: 'ticket' }, `#${conversation.ticketNumber}`),
      h('dt', {}, 'Status'),
      h('dd', {}, badge(conversation.status, `status-${conversation.status}`)),
      h('dt', {}, 'Channel'),
      h('dd', {}, conversation.channelId),
      h('dt', {}, 'Participants'),
      h('dd', {}, conversation.participants.join(', ') || '(none)'),
      outside.length > 0 && h('dt', {}, 'Forwarded to'),
      outside.length > 0 && h('dd', {}, outside.join(', ')),
      h('dt', {}, 'Previous agent'),
      h('dd', {}, previous ?? 'none'),
      conversation.lastSkill && h('dt', {}, 'Skill'),
      conversation.lastSkill && h('dd', {}, conversation.lastSkill),
      lease && h('dt', {}, 'Held by you'),
      lease && h('dd', {}, `until ${when(lease.expiresAt)} (kept while you work)`),
    );
    replace(
      this.actions,
      conversation.status === 'open'
        ? h('button', { type: 'button', class: 'danger', 'aria-keyshortcuts': 'c', onclick: () => void this.close() }, 'Close')
        : h('button', { type: 'button', class: 'secondary', onclick: () => void this.reopen() }, 'Reopen'),
      lease && h('button', { type: 'button', class: 'secondary', onclick: () => void this.putBack() }, 'Put back'),
    );
    this.renderEntries(entries);
    if (!this.composer) {
      const inbound = [...entries].reverse().find((e) => e.type === 'message' && e.message.direction === 'inbound');
      this.composer = new Composer(
        this.ctx,
        {
          conversationId: conversation.id,
          channelId: conversation.channelId,
          ticketNumber: conversation.ticketNumber,
          subject: inbound?.type === 'message' ? inbound.message.subject : subject,
        },
        {
          sent: () => {
            this.ctx.leases.forget(conversation.id);
            this.ctx.refreshQueues();
            void this.load();
          },
          noted: () => void this.load(),
          state: (state) => this.presence?.set(state),
        },
      );
      this.element.append(this.composer.element);
    }
  }

  private renderEntries(entries: readonly HistoryEntry[]): void {
    const keys = new Set<string>();
    const items: HTMLElement[] = [];
    for (const entry of entries) {
      const key = entryKey(entry);
      keys.add(key);
      let item = this.shown.get(key);
      if (!item) {
        item = h('li', {}, entryView(this.ctx, entry));
        this.shown.set(key, item);
      }
      items.push(item);
    }
    for (const key of [...this.shown.keys()]) if (!keys.has(key)) this.shown.delete(key);
    // Changed entries go, new ones are put in place; the others stay where they are, since moving
    // an element reloads the frames in it.
    const wanted = new Set<Element>(items);
    for (const child of [...this.list.children]) if (!wanted.has(child)) child.remove();
    items.forEach((item, i) => {
      const at = this.list.children[i];
      if (at !== item) this.list.insertBefore(item, at ?? null);
    });
  }

  private showOthers(others: readonly PresenceEntry[]): void {
    replace(this.others, others.length === 0 ? '' : `Also here: ${others.map((o) => `${o.displayName || o.agentId} (${o.state})`).join(', ')}`);
    this.others.classList.toggle(
      'collision',
      others.some((o) => o.state === 'answering'),
    );
  }

  private async putBack(): Promise<void> {
    const lease = this.ctx.leases.forConversation(this.conversationId);
    if (!lease) return;
    try {
      await this.ctx.leases.release(lease);
      this.ctx.announce('Put back on the queue for the next agent.');
      this.ctx.refreshQueues();
      if (this.history) this.render(this.history);
    } catch (error) {
      this.ctx.fail(error);
    }
  }
}
