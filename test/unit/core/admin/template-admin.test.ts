import { describe, expect, it } from 'vitest';
import { MemoryVersionedStore } from '../../../../functions/adapters/memory/memory-versioned-store.ts';
import { AgentHtmlSanitizer } from '../../../../functions/adapters/outbound/agent-html-sanitizer.ts';
import { composerOptions } from '../../../../functions/adapters/outbound/nodemailer-mime-composer.ts';
import type { AdminRequest } from '../../../../functions/core/admin/admin-context.ts';
import {
  listTemplates,
  previewSignature,
  previewTemplate,
  putSignature,
  putTemplate,
  readSignature,
  readTemplate,
  type TemplateAdminDeps,
} from '../../../../functions/core/admin/template-admin.ts';
import { NotFoundError, PolicyError, ValidationError } from '../../../../functions/core/errors.ts';
import {
  ChannelResourceSchema,
  type AuditEntry,
  type ChannelResource,
  type Signature,
  type Template,
} from '../../../../functions/core/model/admin-resources.ts';
import type { Agent, Caller } from '../../../../functions/core/model/agent.ts';
import { planReply } from '../../../../functions/core/outbound/compose/plan-reply.ts';
import { mailTemplateOf } from '../../../../functions/core/outbound/compose/reply-template.ts';
import type { HtmlSanitizer } from '../../../../functions/core/ports/html.ts';
import { TestClock } from '../../../support/clock.ts';
import { agentReply } from '../../../support/agent-reply.ts';
import { parsedMessage } from '../../../support/factories.ts';

const ADMIN: Caller = { agentId: 'root', role: 'admin', displayName: 'Root', channels: [], skills: [] };
const request: AdminRequest = { actor: { kind: 'token', id: 'root' }, requestId: 'r-1', caller: ADMIN };

/** The real sanitizer, counting its calls: reads must sanitize too, not only writes. */
class CountingSanitizer implements HtmlSanitizer {
  private readonly real = new AgentHtmlSanitizer();
  calls = 0;
  fragment(html: string): string {
    this.calls++;
    return this.real.fragment(html);
  }
  document(html: string): string {
    this.calls++;
    return this.real.document(html);
  }
  toText(html: string): string {
    return this.real.toText(html);
  }
}

function world() {
  const channels = new MemoryVersionedStore<ChannelResource>();
  const templates = new MemoryVersionedStore<Template>();
  const signatures = new MemoryVersionedStore<Signature>();
  const agents = new MemoryVersionedStore<Agent>();
  agents.items.set('agent-7', { value: AGENT_7, version: 1, updatedAt: 'now', managedBy: 'api' });
  const sanitizer = new CountingSanitizer();
  const audit: AuditEntry[] = [];
  let n = 0;
  const deps: TemplateAdminDeps = {
    channels,
    signatures,
    agents,
    clock: new TestClock(),
    ids: { next: () => `id-${++n}` },
    templates: (channelId) => (channelId === 'support' ? templates : new MemoryVersionedStore<Template>()),
    sanitizer: async () => sanitizer,
    audit: { append: async (e) => void audit.push(e), list: async () => ({ items: audit, cursor: null }) },
  };
  const channel = ChannelResourceSchema.parse({ id: 'support', address: 'support@example.com', name: 'ACME Support', defaultSkill: 'support' });
  channels.items.set('support', { value: channel, version: 1, updatedAt: 'now', managedBy: 'api' });
  return { deps, channel, templates, signatures, agents, sanitizer, audit };
}

const HOSTILE =
  '<p onclick="steal()">Ana, <a href="javascript:alert(1)">Support</a></p><img src="x" onerror="alert(1)">' +
  '<script>alert(2)</script><iframe src="https://evil.example"></iframe>';
const LAYOUT =
  '<!DOCTYPE html><html><head><title>{{subject}}</title><script>x()</script></head>' +
  '<body onload="x()"><table role="presentation" width="600"><tr><td style="color:#123456;position:fixed">{{body}}</td></tr>' +
  '<tr><td>{{signature}}</td></tr><tr><td>{{channelName}} #{{ticketNumber}}</td></tr></table><form><input name="q"></form></body></html>';

const AGENT_7: Agent = { id: 'agent-7', role: 'agent', displayName: 'Ana Lima', channels: ['support'], skills: [], identities: ['token:agent-7'] };

function issuesOf(error: unknown): unknown {
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).issues;
}

describe('putTemplate: the sending placeholders, sanitized', () => {
  it('stores the layout sanitized: structure, tables and inline styles kept; scripts, handlers, forms and position gone', async () => {
    // Arrange
    const w = world();
    // Act
    const stored = await putTemplate(w.deps, request, 'support', 'default', { html: LAYOUT }, null);
    // Assert
    const html = stored.value.html;
    expect(html).toMatch(/^<!DOCTYPE html>\n<html><head><title>\{\{subject\}\}<\/title><\/head><body>/);
    expect(html).toContain('<table role="presentation" width="600"><tr><td style="color:#123456">{{body}}</td></tr>');
    expect(html).not.toMatch(/script|onload|<form|<input|position/);
    expect(w.templates.items.get('default')?.value.html).toBe(html);
    expect(w.audit.map((a) => a.action)).toEqual(['template.create']);
  });

  it('refuses unknown placeholders in the HTML and in the text variant, naming each on its field', async () => {
    // Arrange
    const w = world();
    // Act
    const html = await putTemplate(w.deps, request, 'support', 'default', { html: '<p>{{{content}}} {{body}} {{agentId}}</p>' }, null).catch((e: unknown) => e);
    const text = await putTemplate(w.deps, request, 'support', 'default', { html: '{{body}}', text: '{{body}}\n{{sigature}}' }, null).catch((e: unknown) => e);
    // Assert
    expect(issuesOf(html)).toEqual([
      { path: 'html', message: expect.stringMatching(/^unknown placeholders \{\{content\}\}, \{\{agentId\}\}; known: \{\{body\}\}, /) },
      { path: 'html', message: 'write placeholders as {{name}}, not {{{name}}}' },
    ]);
    expect(issuesOf(text)).toEqual([{ path: 'text', message: expect.stringMatching(/^unknown placeholder \{\{sigature\}\}/) }]);
    expect(w.templates.items.size).toBe(0);
  });

  it('refuses a template without {{body}}, also one whose only {{body}} stood in markup sanitizing removes', async () => {
    // Arrange
    const w = world();
    // Act
    const none = await putTemplate(w.deps, request, 'support', 'default', { html: '<p>{{signature}}</p>' }, null).catch((e: unknown) => e);
    const hidden = await putTemplate(w.deps, request, 'support', 'default', { html: '<p>Hi</p><script>{{body}}</script>' }, null).catch((e: unknown) => e);
    // Assert
    expect(issuesOf(none)).toEqual([{ path: 'html', message: 'the template has no {{body}} placeholder' }]);
    expect(issuesOf(hidden)).toEqual([{ path: 'html', message: 'the template has no {{body}} placeholder (after sanitizing)' }]);
    expect((hidden as Error).message).toMatch(/after sanitizing/);
    expect(w.templates.items.size).toBe(0);
  });

  it('sanitizes a stored template again when it is read or listed', async () => {
    // Arrange: a value that reached the store unsanitized (written before sanitizing existed)
    const w = world();
    w.templates.items.set('default', { value: { name: 'default', html: `<div>{{body}}</div>${HOSTILE}` }, version: 1, updatedAt: 'now', managedBy: 'api' });
    // Act
    const read = await readTemplate(w.deps, 'support', 'default');
    const listed = await listTemplates(w.deps, 'support', { limit: 10 });
    const missing = await readTemplate(w.deps, 'support', 'other').catch((e: unknown) => e);
    // Assert
    for (const html of [read.value.html, listed.items[0]?.value.html ?? '']) {
      expect(html).toContain('<div>{{body}}</div><p>Ana, <a>Support</a></p><img />');
      expect(html).not.toMatch(/onclick|onerror|javascript:|script|iframe/);
    }
    expect(read.version).toBe(1);
    expect(missing).toBeInstanceOf(NotFoundError);
  });
});

describe('limits: checked on what is given and on what sanitizing stores; stored values over them still read', () => {
  it('refuses a signature that sanitizing makes longer than its limit, naming the field after sanitizing', async () => {
    // Arrange
    const w = world();
    // Act: 15,000 `&` are within the limit; 15,000 `&amp;` are 75,000 characters
    const error = await putSignature(w.deps, request, 'agent-7', { html: '&'.repeat(15_000) }, null).catch((e: unknown) => e);
    // Assert
    expect(issuesOf(error)).toEqual([{ path: 'html', message: 'at most 20000 characters (after sanitizing)' }]);
    expect(w.signatures.items.size).toBe(0);
  });

  it('refuses a template nested too deep, and one that sanitizing makes too long, naming html', async () => {
    // Arrange
    const w = world();
    // Act
    const deep = await putTemplate(w.deps, request, 'support', 'default', { html: `{{body}}${'<b>'.repeat(33_000)}` }, null).catch((e: unknown) => e);
    const long = await putTemplate(w.deps, request, 'support', 'default', { html: `{{body}}${'&'.repeat(25_000)}` }, null).catch((e: unknown) => e);
    // Assert
    expect(issuesOf(deep)).toEqual([{ path: 'html', message: 'HTML nested more than 200 elements deep; flatten it' }]);
    expect(issuesOf(long)).toEqual([{ path: 'html', message: 'at most 100000 characters (after sanitizing)' }]);
    expect(w.templates.items.size).toBe(0);
  });

  it('reads, lists and previews a value stored over the length limit; one nested too deep is a 422 saying to replace it', async () => {
    // Arrange: values written before the limits were checked after sanitizing
    const w = world();
    w.signatures.items.set('agent-7', { value: { html: '&amp;'.repeat(15_000), text: '' }, version: 1, updatedAt: 'now', managedBy: 'api' });
    w.templates.items.set('default', { value: { name: 'default', html: `{{body}}${'&amp;'.repeat(25_000)}` }, version: 1, updatedAt: 'now', managedBy: 'api' });
    w.signatures.items.set('agent-8', { value: { html: '<b>'.repeat(33_000), text: '' }, version: 1, updatedAt: 'now', managedBy: 'api' });
    // Act
    const signature = await readSignature(w.deps, 'agent-7');
    const template = await readTemplate(w.deps, 'support', 'default');
    const listed = await listTemplates(w.deps, 'support', { limit: 10 });
    const preview = await previewSignature(w.deps, 'agent-7');
    const deep = await readSignature(w.deps, 'agent-8').catch((e: unknown) => e);
    const deepPreview = await previewSignature(w.deps, 'agent-8').catch((e: unknown) => e);
    // Assert
    expect(signature.value.html).toHaveLength(75_000);
    expect(template.value.html).toHaveLength(125_008);
    expect(listed.items).toHaveLength(1);
    expect(preview.text).toHaveLength(15_000);
    for (const e of [deep, deepPreview]) {
      expect(e).toBeInstanceOf(PolicyError);
      expect((e as Error).message).toBe('the stored signature nests more than 200 elements deep; replace it (PUT) with flatter HTML');
    }
  });
});

describe("placeholders: only a template's text content has them", () => {
  it('refuses placeholders in a signature, also ones written as entities, naming html or text', async () => {
    // Arrange
    const w = world();
    // Act
    const html = await putSignature(w.deps, request, 'agent-7', { html: '<p>{{body}}{{unknown}}</p>' }, null).catch((e: unknown) => e);
    const text = await putSignature(w.deps, request, 'agent-7', { text: 'Ana }} {{agentName' }, null).catch((e: unknown) => e);
    const entities = await putSignature(w.deps, request, 'agent-7', { html: '<p>&#123;&#123;body&#125;&#125;</p>' }, null).catch((e: unknown) => e);
    // Assert
    expect(issuesOf(html)).toEqual([{ path: 'html', message: 'signatures take no placeholders ({{ or }})' }]);
    expect(issuesOf(text)).toEqual([{ path: 'text', message: 'signatures take no placeholders ({{ or }})' }]);
    expect(issuesOf(entities)).toEqual([{ path: 'html', message: 'signatures take no placeholders ({{ or }}) (after sanitizing)' }]);
    expect(w.signatures.items.size).toBe(0);
  });

  it('refuses a placeholder inside a tag, an attribute value or a comment, naming it; also one that sanitizing decodes into one', async () => {
    // Arrange
    const w = world();
    const put = (html: string) => putTemplate(w.deps, request, 'support', 'default', { html }, null).catch((e: unknown) => e);
    const message = (names: string) => `${names} inside a tag, attribute value or comment: placeholders belong in text content`;
    // Act
    const href = await put('<a href="{{subject}}">{{body}}</a>');
    const unquoted = await put('<td bgcolor={{ channelName }}>{{body}}</td>');
    const name = await put('<p {{agentName}}>{{body}}</p>');
    const comment = await put('{{body}}<!-- {{ticketNumber}} -->');
    const quotedGt = await put('<a title="a > b" href="{{subject}}">{{body}}</a>');
    const entity = await put('<a href="&#123;&#123;subject&#125;&#125;">{{body}}</a>');
    const text = await put('<title>{{subject}}</title><p title="x > y">{{body}} &lt; {{agentName}}</p>');
    // Assert
    expect(issuesOf(href)).toEqual([{ path: 'html', message: message('{{subject}}') }]);
    expect(issuesOf(unquoted)).toEqual([{ path: 'html', message: message('{{channelName}}') }]);
    expect(issuesOf(name)).toEqual([{ path: 'html', message: message('{{agentName}}') }]);
    expect(issuesOf(comment)).toEqual([{ path: 'html', message: message('{{ticketNumber}}') }]);
    expect(issuesOf(quotedGt)).toEqual([{ path: 'html', message: message('{{subject}}') }]);
    expect(issuesOf(entity)).toEqual([{ path: 'html', message: `${message('{{subject}}')} (after sanitizing)` }]);
    expect(text).toMatchObject({ value: { html: '<title>{{subject}}</title><p title="x &gt; y">{{body}} &lt; {{agentName}}</p>' } });
  });
});

describe('signatures: sanitized when written and when read', () => {
  it('stores the HTML sanitized and returns it sanitized from read and preview', async () => {
    // Arrange
    const w = world();
    // Act
    const stored = await putSignature(w.deps, request, 'agent-7', { html: HOSTILE, text: 'Ana, Support' }, null);
    w.sanitizer.calls = 0;
    const read = await readSignature(w.deps, 'agent-7');
    const preview = await previewSignature(w.deps, 'agent-7');
    // Assert
    expect(stored.value).toEqual({ html: '<p>Ana, <a>Support</a></p><img />', text: 'Ana, Support' });
    expect(read.value).toEqual(stored.value);
    expect(preview).toEqual({ html: '<p>Ana, <a>Support</a></p><img />', text: 'Ana, Support' });
    expect(w.sanitizer.calls).toBe(2);
  });

  it('sanitizes a stored signature that is not clean on the way out, and derives what is missing as a reply would', async () => {
    // Arrange
    const w = world();
    w.signatures.items.set('agent-7', { value: { html: HOSTILE, text: '' }, version: 3, updatedAt: 'now', managedBy: 'api' });
    w.signatures.items.set('agent-8', { value: { html: '', text: 'Bo <Billing>\nACME' }, version: 1, updatedAt: 'now', managedBy: 'api' });
    // Act
    const read = await readSignature(w.deps, 'agent-7');
    const preview = await previewSignature(w.deps, 'agent-7');
    const textOnly = await previewSignature(w.deps, 'agent-8');
    const missing = await previewSignature(w.deps, 'agent-9').catch((e: unknown) => e);
    // Assert
    expect(read.value.html).toBe('<p>Ana, <a>Support</a></p><img />');
    expect(preview).toEqual({ html: '<p>Ana, <a>Support</a></p><img />', text: 'Ana, Support' });
    expect(textOnly).toEqual({ html: '<p>Bo &lt;Billing&gt;<br>\nACME</p>', text: 'Bo <Billing>\nACME' });
    expect(missing).toBeInstanceOf(NotFoundError);
  });
});

describe('previewTemplate: the preview is the mail body', () => {
  it('equals the HTML and text the composer puts into the mail of a reply with the same template and signature', async () => {
    // Arrange
    const w = world();
    const layout = { html: LAYOUT, text: '{{channelName}} #{{ticketNumber}}\n\n{{body}}\n-- \n{{signature}}' };
    const template = await putTemplate(w.deps, request, 'support', 'default', layout, null);
    const signature = await putSignature(w.deps, request, 'agent-7', { html: '<p><b>Ana</b> &amp; team</p>', text: 'Ana & team' }, null);
    w.agents.items.set('agent-7', { value: { ...AGENT_7, displayName: 'Ana' }, version: 1, updatedAt: 'now', managedBy: 'api' });
    const text = 'Hello Jane,\n\nyour parcel <left> today.';
    // Act
    const input = { text, agentId: 'agent-7', ticketNumber: '0000013', subject: 'Re: Parcel [#0000013]' };
    const preview = await previewTemplate(w.deps, 'support', 'default', input);
    const { mail } = planReply(
      { ids: { next: () => 'our-1' } },
      {
        channel: w.channel,
        outbound: w.channel,
        conversation: { id: 'conv-1', ticketNumber: '0000013', replyToken: null },
        answered: parsedMessage({ subject: 'Parcel' }),
        reply: agentReply({ agentId: 'agent-7', agentName: 'Ana', text, template: mailTemplateOf(template.value), signature: signature.value }),
      },
    );
    const composed = composerOptions(mail, [], new Date('2026-12-01T10:00:00.000Z'));
    // Assert
    expect(mail.subject).toBe('Re: Parcel [#0000013]');
    expect(preview).toEqual({ html: composed.html, text: composed.text });
    expect(preview.html).toContain('<td style="color:#123456"><p>Hello Jane,</p>\n<p>your parcel &lt;left&gt; today.</p></td>');
    expect(preview.html).toContain('<td><p><b>Ana</b> &amp; team</p></td>');
    expect(preview.html).toContain('<title>Re: Parcel [#0000013]</title>');
    expect(preview.text).toBe('ACME Support #0000013\n\nHello Jane,\n\nyour parcel <left> today.\n-- \nAna & team\n');
  });

  it("fills {{agentName}} with the named agent's display name, as their replies do; an unknown agent is a 400 on agentId", async () => {
    // Arrange
    const w = world();
    await putTemplate(w.deps, request, 'support', 'default', { html: '<p>{{body}}</p><p>{{agentName}}</p>', text: '{{body}} / {{agentName}}' }, null);
    w.agents.items.set('agent-7', { value: AGENT_7, version: 1, updatedAt: 'now', managedBy: 'api' });
    // Act
    const named = await previewTemplate(w.deps, 'support', 'default', { text: 'Hi', agentId: 'agent-7', agentName: 'Someone Else' });
    const anonymous = await previewTemplate(w.deps, 'support', 'default', { text: 'Hi', agentName: 'Sample Agent' });
    const unknown = await previewTemplate(w.deps, 'support', 'default', { text: 'Hi', agentId: 'agent-9' }).catch((e: unknown) => e);
    // Assert
    expect(named).toEqual({ html: '<p><p>Hi</p></p><p>Ana Lima</p>', text: 'Hi / Ana Lima\n' });
    expect(anonymous.text).toBe('Hi / Sample Agent\n');
    expect(issuesOf(unknown)).toEqual([{ path: 'agentId', message: 'no agent agent-9' }]);
  });

  it('answers 404 for a template or channel that does not exist', async () => {
    const w = world();
    await expect(previewTemplate(w.deps, 'support', 'nope', { text: 'x' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(previewTemplate(w.deps, 'other', 'default', { text: 'x' })).rejects.toBeInstanceOf(NotFoundError);
  });
});
