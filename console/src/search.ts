import type { ConsoleContext } from './context.ts';
import { field, h, replace } from './dom.ts';
import { searchQuery } from './format.ts';
import type { Conversation, Page } from './types.ts';

/** Finds conversations by ticket number or by an address that wrote or was written to (only those the agent may see). */
export class SearchPanel {
  readonly element: HTMLElement;
  readonly input = h('input', { type: 'search', name: 'q', placeholder: '0000013 or name@example.com', autocomplete: 'off' });
  private readonly results = h('ul', { class: 'results', 'aria-label': 'Search results' });

  constructor(private readonly ctx: ConsoleContext) {
    this.element = h(
      'section',
      { class: 'search', 'aria-labelledby': 'search-title' },
      h('h2', { id: 'search-title' }, 'Find'),
      h(
        'form',
        {
          role: 'search',
          onsubmit: (e: Event) => {
            e.preventDefault();
            void this.search();
          },
        },
        field('Search', this.input, 'A ticket number or an address'),
        h('button', { type: 'submit', class: 'secondary' }, 'Search'),
      ),
      this.results,
    );
  }

  private async search(): Promise<void> {
    const query = searchQuery(this.input.value);
    if (!query) {
      replace(this.results, h('li', { class: 'empty' }, 'Type a ticket number (digits) or an email address.'));
      return;
    }
    const params = new URLSearchParams({ ...query, limit: '25' });
    try {
      const page = await this.ctx.api.get<Page<Conversation>>(`/conversations?${params.toString()}`);
      replace(
        this.results,
        ...(page.items.length === 0
          ? [h('li', { class: 'empty' }, 'No conversation found (or none on your channels and skills).')]
          : page.items.map((c) =>
              h(
                'li',
                {},
                h(
                  'a',
                  { href: `#/conversations/${encodeURIComponent(c.id)}` },
                  `#${c.ticketNumber} · ${c.status} · ${c.participants.join(', ') || '(no participants)'}`,
                ),
              ),
            )),
      );
    } catch (error) {
      this.ctx.fail(error);
    }
  }
}
