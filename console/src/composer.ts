import { ApiError, path } from './api.ts';
import { type ConsoleContext, messageOf } from './context.ts';
import { field, h, replace } from './dom.ts';
import { size } from './format.ts';
import { ForwardForm } from './forward.ts';
import { mailFrame } from './mail-frame.ts';
import type { PresenceState } from './presence.ts';
import type { Page, Senders, Rendered, Template, UploadLink } from './types.ts';

/** The stored template a reply uses when it names none (`DEFAULT_TEMPLATE_NAME`). */
const DEFAULT_TEMPLATE = 'default';
const MIME_TYPE = /^[\w.+-]+\/[\w.+-]+$/;

export interface ComposerTarget {
  readonly conversationId: string;
  readonly channelId: string;
  readonly ticketNumber: string;
  readonly subject: string;
}

export interface ComposerEvents {
  /** The reply was queued: the server completed this agent's lease on the conversation. */
  sent(): void;
  noted(): void;
  state(state: PresenceState): void;
}

/**
 * The answer: the text (a box labelled `Reply`), the channel's template, the From address among
 * the channel's allowed ones, files (uploaded with the API's presigned form, straight to S3), a
 * preview rendered by the API's preview routes (the template and the agent's stored signature, as
 * the mail will carry them), `Send`; and an internal note.
 */
export class Composer {
  readonly element: HTMLElement;
  private readonly reply = h('textarea', { rows: 8, name: 'reply', spellcheck: true });
  private readonly template = h('select', { name: 'template' }, h('option', { value: '' }, 'Channel default'));
  private readonly from = h('select', { name: 'from' }, h('option', { value: '' }, 'Channel address (default)'));
  private readonly files = h('input', { type: 'file', multiple: true, name: 'files' });
  private readonly fileList = h('ul', { class: 'files', 'aria-label': 'Files to attach' });
  private readonly preview = h('div', { class: 'preview', 'aria-live': 'polite' });
  private readonly sendButton = h('button', { type: 'submit', class: 'primary' }, 'Send');
  private readonly note = h('textarea', { rows: 3, name: 'note' });
  private readonly chosen: File[] = [];
  private templates: string[] = [];
  private sending = false;

  constructor(
    private readonly ctx: ConsoleContext,
    private readonly target: ComposerTarget,
    private readonly events: ComposerEvents,
  ) {
    this.reply.addEventListener('input', () => this.events.state(this.reply.value.trim() === '' ? 'viewing' : 'answering'));
    this.reply.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        void this.send();
      }
    });
    this.files.addEventListener('change', () => {
      this.chosen.push(...Array.from(this.files.files ?? []));
      this.files.value = '';
      this.showFiles();
    });
    const form = h(
      'form',
      {
        class: 'composer',
        'aria-label': 'Answer',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void this.send();
        },
      },
      h('div', { class: 'row' }, field('Template', this.template), field('From', this.from)),
      field('Reply', this.reply, 'Ctrl+Enter sends. Your stored signature is added.'),
      field('Attach files', this.files),
      this.fileList,
      h('div', { class: 'buttons' }, this.sendButton, h('button', { type: 'button', class: 'secondary', onclick: () => void this.showPreview() }, 'Preview')),
      this.preview,
    );
    const noteForm = h(
      'form',
      {
        class: 'note-form',
        'aria-label': 'Notes',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void this.addNote();
        },
      },
      field('Internal note', this.note, 'Seen by agents only; never sent.'),
      h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'secondary' }, 'Add note')),
    );
    const forward = new ForwardForm(ctx, target.conversationId, () => this.events.noted());
    this.element = h('section', { class: 'answer', 'aria-label': 'Answer and notes' }, form, noteForm, forward.element);
    void this.loadChoices();
  }

  focus(): void {
    this.reply.focus();
  }

  /** The channel's templates and the From addresses the reply may name. */
  private async loadChoices(): Promise<void> {
    const { api } = this.ctx;
    try {
      const page = await api.get<Page<Template>>(`${path('/channels/{id}/templates', { id: this.target.channelId })}?limit=100`);
      this.templates = page.items.map((t) => t.name);
      for (const name of this.templates) this.template.append(h('option', { value: name }, name));
    } catch (error) {
      this.ctx.fail(error);
    }
    // Whoever may answer the conversation may read what it can be answered from.
    try {
      const senders = await api.get<Senders>(path('/conversations/{id}/senders', { id: this.target.conversationId }));
      replace(
        this.from,
        ...senders.items.map((f) =>
          h('option', { value: f.default ? '' : f.address }, `${f.name ? `${f.name} ` : ''}<${f.address}>${f.default ? ' (channel address)' : ''}`),
        ),
      );
    } catch (error) {
      this.ctx.fail(error);
    }
  }

  private showFiles(): void {
    replace(
      this.fileList,
      ...this.chosen.map((file, i) =>
        h(
          'li',
          {},
          `${file.name} (${size(file.size)}) `,
          h(
            'button',
            {
              type: 'button',
              class: 'link',
              onclick: () => {
                this.chosen.splice(i, 1);
                this.showFiles();
              },
            },
            `Remove ${file.name}`,
          ),
        ),
      ),
    );
  }

  /** The mail as it will be sent: the template's preview route, else the signature's with the text before it. */
  private async showPreview(): Promise<void> {
    const { api, me } = this.ctx;
    const text = this.reply.value;
    const name = this.template.value || (this.templates.includes(DEFAULT_TEMPLATE) ? DEFAULT_TEMPLATE : '');
    try {
      if (name) {
        const { data } = await api.post<Rendered>(path('/channels/{id}/templates/{name}/preview', { id: this.target.channelId, name }), {
          text,
          agentId: me.agentId,
          ticketNumber: this.target.ticketNumber,
          subject: this.target.subject,
        });
        this.renderPreview(data, `Preview with template ${name}`);
        return;
      }
      let signature: Rendered | null = null;
      try {
        signature = (await api.post<Rendered>(path('/agents/{id}/signature/preview', { id: me.agentId }))).data;
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) throw error;
      }
      const html = `<div style="white-space:pre-wrap">${escapeHtml(text)}</div>${signature ? `<div>${signature.html}</div>` : ''}`;
      this.renderPreview(
        { html, text: signature ? `${text}\n\n-- \n${signature.text}` : text },
        `Preview: your text and ${signature ? 'your signature' : 'no signature (none is stored)'}; the channel's layout frames them when sent`,
      );
    } catch (error) {
      this.ctx.fail(error);
    }
  }

  private renderPreview(rendered: Rendered, title: string): void {
    replace(
      this.preview,
      h('h3', {}, title),
      mailFrame(rendered.html, title),
      h('details', {}, h('summary', {}, 'Plain-text part'), h('p', { class: 'text' }, rendered.text)),
    );
  }

  async send(): Promise<void> {
    if (this.sending) return;
    const text = this.reply.value;
    if (text.trim() === '') {
      this.ctx.fail(new Error('Write a reply first.'));
      this.reply.focus();
      return;
    }
    this.sending = true;
    this.sendButton.disabled = true;
    this.sendButton.textContent = 'Sending…';
    try {
      const attachments = [];
      for (const file of this.chosen) {
        this.ctx.announce(`Uploading ${file.name}…`);
        attachments.push(await this.upload(file));
      }
      await this.ctx.api.post(path('/conversations/{id}/reply', { id: this.target.conversationId }), {
        text,
        ...(this.from.value ? { from: this.from.value } : {}),
        ...(this.template.value ? { template: this.template.value } : {}),
        attachments,
      });
      this.reply.value = '';
      this.chosen.length = 0;
      this.showFiles();
      this.preview.replaceChildren();
      this.events.state('viewing');
      this.ctx.announce('Reply queued for sending.');
      this.events.sent();
    } catch (error) {
      this.ctx.fail(error);
    } finally {
      this.sending = false;
      this.sendButton.disabled = false;
      this.sendButton.textContent = 'Send';
    }
  }

  /** `POST /attachments` for a form whose signed policy fixes key, type and size; then the file straight to S3. */
  private async upload(file: File): Promise<{ source: 's3'; key: string; filename: string; contentType: string }> {
    const contentType = MIME_TYPE.test(file.type) ? file.type : 'application/octet-stream';
    const { data: link } = await this.ctx.api.post<UploadLink>('/attachments', { filename: file.name, contentType, size: file.size });
    const form = new FormData();
    for (const [name, value] of Object.entries(link.fields)) form.append(name, value);
    form.append('file', file);
    let response: Response;
    try {
      response = await fetch(link.url, { method: 'POST', body: form, credentials: 'omit' });
    } catch {
      throw new Error(`The upload of ${file.name} did not reach the storage (network or CORS).`);
    }
    if (!response.ok) throw new Error(`The storage refused ${file.name} (${response.status}).`);
    return { source: 's3', key: link.key, filename: file.name, contentType };
  }

  private async addNote(): Promise<void> {
    const text = this.note.value;
    if (text.trim() === '') return;
    try {
      await this.ctx.api.post(path('/conversations/{id}/notes', { id: this.target.conversationId }), { text });
      this.note.value = '';
      this.ctx.announce('Note added.');
      this.events.noted();
    } catch (error) {
      this.ctx.fail(new Error(`The note was not added: ${messageOf(error)}`));
    }
  }
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
