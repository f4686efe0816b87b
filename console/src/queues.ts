import type { ConsoleContext } from './context.ts';
import { h, replace } from './dom.ts';
import type { QueueSummary } from './types.ts';

const REFRESH_MS = 10_000;

/**
 * The agent's skills with what waits on each (`GET /work/queues`: the caller's skills only), a
 * `Take next` button per skill, and the mail this agent holds.
 */
export class QueuePanel {
  readonly element: HTMLElement;
  private readonly body = h('tbody');
  private readonly held = h('ul', { class: 'held', 'aria-label': 'Mail you hold' });
  private queues: QueueSummary[] = [];
  private timer: number | undefined;

  constructor(private readonly ctx: ConsoleContext) {
    this.element = h(
      'section',
      { class: 'queues', 'aria-labelledby': 'queues-title' },
      h('h2', { id: 'queues-title' }, 'Queues'),
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'Skill'),
            h('th', { scope: 'col' }, 'Waiting'),
            h('th', { scope: 'col' }, 'In progress'),
            h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Action')),
          ),
        ),
        this.body,
      ),
      h('h3', {}, 'Mail you hold'),
      this.held,
    );
  }

  start(): void {
    void this.refresh();
    this.timer = window.setInterval(() => void this.refresh(), REFRESH_MS);
    this.showHeld();
  }

  stop(): void {
    if (this.timer !== undefined) window.clearInterval(this.timer);
  }

  async refresh(): Promise<void> {
    try {
      this.queues = (await this.ctx.api.get<{ queues: QueueSummary[] }>('/work/queues')).queues;
      this.render();
    } catch (error) {
      replace(this.body, h('tr', {}, h('td', { colspan: 4 }, `Queues unavailable: ${(error as Error).message}`)));
    }
  }

  showHeld(): void {
    const leases = this.ctx.leases.all();
    replace(
      this.held,
      ...(leases.length === 0
        ? [h('li', { class: 'empty' }, 'Nothing: take the next mail from a queue.')]
        : leases.map((l) =>
            h(
              'li',
              {},
              h(
                'a',
                { href: `#/conversations/${encodeURIComponent(l.conversationId ?? '')}` },
                `#${l.pointer.ticketNumber} ${l.pointer.subject || '(no subject)'}`,
              ),
            ),
          )),
    );
  }

  /** Takes the next mail of `skill`, or of the first skill with mail waiting; opens its conversation. */
  async takeNext(skill?: string): Promise<void> {
    const chosen = skill ?? this.queues.find((q) => q.waiting > 0)?.skill ?? this.queues[0]?.skill;
    if (!chosen) {
      this.ctx.announce('You are on no skill queue.');
      return;
    }
    try {
      const lease = await this.ctx.leases.take(chosen);
      if (!lease) {
        this.ctx.announce(`Nothing is waiting on ${chosen}.`);
      } else if (lease.conversationId) {
        this.ctx.announce(`Took #${lease.pointer.ticketNumber} from ${chosen}.`);
        this.ctx.open(lease.conversationId);
      } else {
        this.ctx.announce(`Took a mail from ${chosen} that belongs to no conversation (${lease.messageId}).`);
      }
    } catch (error) {
      this.ctx.fail(error);
    }
    void this.refresh();
  }

  private render(): void {
    if (this.queues.length === 0) {
      replace(this.body, h('tr', {}, h('td', { colspan: 4 }, 'You are on no skill queue.')));
      return;
    }
    replace(
      this.body,
      ...this.queues.map((q) =>
        h(
          'tr',
          { 'data-skill': q.skill },
          h('th', { scope: 'row' }, h('span', { class: 'skill' }, q.skill), q.description ? h('small', {}, q.description) : null),
          h('td', { class: 'count' }, q.waiting),
          h('td', { class: 'count' }, q.inFlight),
          h(
            'td',
            {},
            h(
              'button',
              {
                type: 'button',
                class: 'primary',
                'aria-describedby': `skill-${cssId(q.skill)}`,
                onclick: () => void this.takeNext(q.skill),
              },
              'Take next',
            ),
            h('span', { id: `skill-${cssId(q.skill)}`, class: 'visually-hidden' }, `from ${q.skill}`),
          ),
        ),
      ),
    );
  }
}

/** A skill name as an element id: skill names are ids already (letters, digits, `-`, `_`, `.`). */
function cssId(skill: string): string {
  return skill.replace(/[^A-Za-z0-9_-]/g, '_');
}
