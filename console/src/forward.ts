import { path } from './api.ts';
import { type ConsoleContext, messageOf } from './context.ts';
import { field, h } from './dom.ts';

/**
 * Forwarding the customer's newest mail to someone outside (a supplier, a specialist):
 * `POST /conversations/{id}/forward`. The mail goes enclosed as it was received; the recipient's
 * answer comes back to this conversation flagged as an external party's, never as the customer's.
 */
export class ForwardForm {
  readonly element: HTMLElement;
  private readonly to = h('input', { type: 'text', name: 'forward-to', autocomplete: 'off', placeholder: 'parts@supplier.example' });
  private readonly note = h('textarea', { rows: 3, name: 'forward-note' });
  private readonly button = h('button', { type: 'submit', class: 'secondary' }, 'Forward');

  constructor(
    private readonly ctx: ConsoleContext,
    private readonly conversationId: string,
    private readonly forwarded: () => void,
  ) {
    const form = h(
      'form',
      {
        class: 'forward-form',
        'aria-label': 'Forward',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void this.send();
        },
      },
      field('Forward to', this.to, 'Addresses outside, separated by commas. Their answer comes back here, marked as theirs.'),
      field('Note to them', this.note),
      h('div', { class: 'buttons' }, this.button),
    );
    this.element = h('details', { class: 'forward' }, h('summary', {}, "Forward the customer's mail"), form);
  }

  private async send(): Promise<void> {
    const to = this.to.value
      .split(',')
      .map((a) => a.trim())
      .filter((a) => a !== '');
    if (to.length === 0) {
      this.ctx.fail(new Error('Name who to forward to.'));
      this.to.focus();
      return;
    }
    this.button.disabled = true;
    try {
      const note = this.note.value.trim();
      await this.ctx.api.post(path('/conversations/{id}/forward', { id: this.conversationId }), { to, ...(note ? { note } : {}) });
      this.to.value = '';
      this.note.value = '';
      this.ctx.announce(`Forward to ${to.join(', ')} queued for sending.`);
      this.forwarded();
    } catch (error) {
      this.ctx.fail(new Error(`Not forwarded: ${messageOf(error)}`));
    } finally {
      this.button.disabled = false;
    }
  }
}
