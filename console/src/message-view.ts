import type { ConsoleContext } from './context.ts';
import { badge, h, replace } from './dom.ts';
import { address, addresses, size, threadRule, warningOf, when } from './format.ts';
import { mailFrame, remoteImageCount } from './mail-frame.ts';
import type { AttachmentLink, HistoryEntry, InboundMessage, MessageEntry, NoteEntry, OutboundMessage } from './types.ts';

/** What makes an entry look different: a change re-renders it, anything else keeps its element (and its open frame). */
export function entryKey(entry: HistoryEntry): string {
  if (entry.type === 'note') return `note:${entry.note.id}`;
  const m = entry.message;
  if (m.direction === 'inbound') return `in:${m.messageId}`;
  return `out:${m.messageId}:${m.status}:${m.recipients.map((r) => `${r.address}=${r.status}`).join(',')}`;
}

export function entryView(ctx: ConsoleContext, entry: HistoryEntry): HTMLElement {
  return entry.type === 'note' ? noteView(entry) : messageView(ctx, entry);
}

function noteView(entry: NoteEntry): HTMLElement {
  const author = entry.note.author.agentId ?? entry.note.author.id;
  return h(
    'article',
    { class: 'entry note', 'aria-label': `Internal note by ${author}` },
    h('header', {}, badge('internal note', 'note'), h('span', { class: 'who' }, author), h('time', { datetime: entry.at }, when(entry.at))),
    h('p', { class: 'text' }, entry.note.text),
  );
}

function messageView(ctx: ConsoleContext, entry: MessageEntry): HTMLElement {
  const m = entry.message;
  const inbound = m.direction === 'inbound';
  const label = inbound ? `Message from ${address(m.from)}` : `Sent (${m.purpose}) by ${m.agentId ?? 'Postroom'}`;
  const article = h(
    'article',
    { class: `entry message ${m.direction}`, 'aria-label': `${label}: ${m.subject}` },
    h('header', {}, badge(m.direction, m.direction), ...(inbound ? inboundBadges(m) : outboundBadges(m)), h('time', { datetime: entry.at }, when(entry.at))),
    h(
      'dl',
      { class: 'headers' },
      h('dt', {}, 'From'),
      h('dd', {}, address(m.from)),
      h('dt', {}, 'To'),
      h('dd', {}, addresses(m.to)),
      m.cc.length > 0 && h('dt', {}, 'Cc'),
      m.cc.length > 0 && h('dd', {}, addresses(m.cc)),
      inbound && m.replyTo.length > 0 && h('dt', {}, 'Reply-To'),
      inbound && m.replyTo.length > 0 && h('dd', {}, addresses(m.replyTo)),
      h('dt', {}, 'Subject'),
      h('dd', {}, m.subject),
    ),
    ...(inbound ? inboundNotes(m) : [deliveryView(m)]),
    bodyView(entry),
    attachmentsView(ctx, entry),
  );
  return article;
}

function inboundBadges(m: InboundMessage): HTMLElement[] {
  return [
    badge(m.lane, `lane-${m.lane}`),
    ...m.tags.map((t) => badge(t, warningOf(t) ? 'warn' : 'tag')),
    ...(m.route ? [badge(`skill ${m.route.skill}`, 'skill')] : []),
  ];
}

function outboundBadges(m: OutboundMessage): HTMLElement[] {
  return [badge(m.purpose, 'purpose'), badge(m.status, `status-${m.status}`), ...(m.agentId ? [h('span', { class: 'who' }, m.agentId)] : [])];
}

/** The thread decision and the flags that ask for a second look. */
function inboundNotes(m: InboundMessage): HTMLElement[] {
  const flags = [...new Set([...m.thread.flags, ...m.tags])].map((f) => ({ f, text: warningOf(f) })).filter((x) => x.text !== null);
  return [
    h('p', { class: 'thread' }, h('strong', {}, threadRule(m.thread.rule)), ` — ${m.thread.reason}`),
    ...flags.map(({ f, text }) => h('p', { class: 'flag', 'data-flag': f }, `⚠ ${text}`)),
    ...(m.rejectedAttachments.length > 0 ? [h('p', { class: 'flag' }, `Attachments not accepted: ${m.rejectedAttachments.join(', ')}`)] : []),
  ];
}

/** Where a reply stands: queued, sent, delivered, bounced…, per recipient. */
function deliveryView(m: OutboundMessage): HTMLElement {
  return h(
    'div',
    { class: 'delivery' },
    h('p', {}, `Delivery: ${m.status}${m.retrying ? ' (retrying)' : ''}${m.statusReason ? ` — ${m.statusReason}` : ''}`),
    m.recipients.length > 0 &&
      h(
        'ul',
        { class: 'recipients' },
        ...m.recipients.map((r) => h('li', {}, `${r.address}: ${r.status}${r.smtpStatus ? ` (${r.smtpStatus})` : ''}${r.detail ? ` — ${r.detail}` : ''}`)),
      ),
  );
}

/**
 * The new text first, the quoted history folded under it; the HTML as the customer's client shows
 * it, on request, in the sandboxed frame.
 */
function bodyView(entry: MessageEntry): HTMLElement {
  const m = entry.message;
  const body = entry.body;
  if (!body) return h('p', { class: 'text preview' }, m.preview);
  const newText = body.newText.trim() === '' ? body.text : body.newText;
  const hasHistory = body.text.trim() !== newText.trim();
  const wrapper = h(
    'div',
    { class: 'body' },
    h('p', { class: 'text' }, newText),
    hasHistory && h('details', { class: 'history' }, h('summary', {}, 'Quoted history'), h('p', { class: 'text quoted' }, body.text)),
  );
  if (body.html) wrapper.append(htmlView(body.html, m.subject));
  return wrapper;
}

function htmlView(html: string, subject: string): HTMLElement {
  const remote = remoteImageCount(html);
  const holder = h('div', { class: 'frame-holder' });
  const details = h('details', { class: 'html' }, h('summary', {}, 'Formatted message (HTML)'), holder);
  const show = (remoteImages: boolean) => {
    replace(
      holder,
      mailFrame(html, `Message: ${subject}`, remoteImages),
      remote > 0 && !remoteImages && h('button', { type: 'button', class: 'secondary', onclick: () => show(true) }, `Load remote images (${remote})`),
    );
  };
  // The frame is made when the agent opens it: a long thread does not render every mail at once.
  details.addEventListener('toggle', () => {
    if (details.open && holder.childElementCount === 0) show(false);
  });
  return details;
}

function attachmentsView(ctx: ConsoleContext, entry: MessageEntry): HTMLElement | null {
  const m = entry.message;
  if (m.attachments.length === 0) return null;
  const links = new Map(entry.attachmentLinks.map((l) => [l.index, l]));
  return h(
    'ul',
    { class: 'attachments', 'aria-label': 'Attachments' },
    ...m.attachments.map((a, index) => {
      const link = links.get(index);
      const label = `${a.filename ?? 'unnamed'} (${a.contentType}, ${size(a.size)})`;
      return h('li', {}, link ? h('button', { type: 'button', class: 'link', onclick: () => void download(ctx, link) }, `Download ${label}`) : label);
    }),
  );
}

/**
 * The API hands out a short-lived presigned URL; S3 answers it with `Content-Disposition:
 * attachment`, so following it downloads the file and the console stays where it is.
 */
async function download(ctx: ConsoleContext, link: AttachmentLink): Promise<void> {
  try {
    // The route the API names, on the API (it starts at the API's root).
    const { url } = await ctx.api.get<{ url: string }>(`/${link.download.replace(/^\/+/, '')}`);
    const a = h('a', { href: url, rel: 'noopener noreferrer' });
    document.body.append(a);
    a.click();
    a.remove();
  } catch (error) {
    ctx.fail(error);
  }
}
