import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostroomConfigSchema } from '../../functions/core/model/postroom-config.ts';
import { startSandbox, type Sandbox } from '../../functions/local/sandbox.ts';
import { sendToSandbox, takeFromSandbox } from '../support/sandbox.ts';
import { encodedParts, trackerImage, xssPayloads, type XssPayload } from './support/xss-payloads.ts';
import { CHROMIUM, HAVE_CHROMIUM, SKIPPED, startTrap } from '../support/browser.ts';

/*
 * 8. Hostile HTML in a real browser. Every payload (`support/xss-payloads.ts`) goes in as a
 * customer's mail (SMTP into the sandbox; a few more hidden behind MIME charsets and transfer
 * encodings), as a channel template and as an agent's signature (PUT through the admin API), and
 * out again as an agent's reply (with the hostile template and signature) through the sandbox's
 * outbound path. Then every HTML the API serves, and the HTML of every reply sent, is rendered
 * bare in headless Chromium (no sandboxed iframe, no CSP: the strictest setting). A rendering
 * passes when no script ran at all (CDP's Debugger sees every script compiled in the page: an
 * inline script, an event handler, a `javascript:` URL), no dialog opened, no request left the
 * page (only the one remote image outbound HTML keeps by policy, `trackerImage`) and the trap
 * server on 127.0.0.1 heard nothing else, and the parsed DOM holds no active element, handler,
 * script URL, fetching style or overlay. A control renders the payloads unsanitized first: the
 * detector must see each one that is active in Chromium as written.
 */

const config = PostroomConfigSchema.parse({
  domains: ['example.test'],
  skills: ['support'],
  channels: [{ id: 'support', address: 'support@example.test', name: 'Example Support', defaultSkill: 'support' }],
  users: [
    { id: 'admin', role: 'admin', displayName: 'Ada Admin' },
    { id: 'agent-1', role: 'agent', displayName: 'Alex Agent', skills: ['support'] },
  ],
});

/** One HTML the product served, with where it came from. */
interface Served {
  readonly where: string;
  readonly html: string;
  /** Outbound HTML (sent to customers) keeps absolute remote images by policy; mail shown to agents does not. */
  readonly remoteImages: boolean;
}

interface Finding {
  readonly where: string;
  readonly kind: 'script' | 'dialog' | 'page-error' | 'request' | 'popup' | 'dom' | 'render-error';
  readonly detail: string;
}

/**
 * Runs in the page after rendering (its own world, so it carries a marker the script watch skips):
 * what the parsed DOM still holds that could run, navigate, submit, fetch or overlay. Plain
 * JavaScript in a string, so no transpiler helper leaks into it.
 */
const AUDIT_MARKER = 'postroom-dom-audit';
const AUDIT = String.raw`(remoteImages) => {
  '${AUDIT_MARKER}';
  const problems = [];
  const tag = (el) => '<' + el.tagName.toLowerCase() + '>';
  const ACTIVE = 'script,iframe,frame,frameset,object,embed,applet,portal,form,input,button,select,textarea,base,link,meta[http-equiv],svg,math';
  const URL_ATTRIBUTES = new Set(['srcdoc', 'formaction', 'action', 'ping', 'srcset', 'background', 'poster', 'dynsrc', 'lowsrc', 'xlink:href']);
  const LINK_SCHEMES = new Set(['http:', 'https:', 'mailto:', 'tel:']);
  const INLINE_IMAGE = /^(cid:|data:image\/(png|gif|jpe?g|webp|bmp);)/i;
  const roots = [document, ...Array.from(document.querySelectorAll('template'), (t) => t.content)];
  for (const root of roots) {
    for (const el of root.querySelectorAll(ACTIVE)) problems.push('active element ' + tag(el));
    for (const el of root.querySelectorAll('*')) {
      for (const attribute of Array.from(el.attributes)) {
        const name = attribute.name.toLowerCase();
        if (name.startsWith('on')) problems.push('handler ' + name + ' on ' + tag(el));
        else if (URL_ATTRIBUTES.has(name)) problems.push('attribute ' + name + ' on ' + tag(el));
      }
      if ((el instanceof HTMLAnchorElement || el instanceof HTMLAreaElement) && el.hasAttribute('href')) {
        // As the agent's app would resolve it: a relative link stays on the app's own origin.
        let scheme = 'unparsable:';
        try { scheme = new URL(el.getAttribute('href'), 'https://agent-app.invalid/').protocol; } catch {}
        if (!LINK_SCHEMES.has(scheme)) problems.push('link with scheme ' + scheme + ' ' + String(el.getAttribute('href')).slice(0, 60));
      }
      if (el instanceof HTMLImageElement && el.hasAttribute('src')) {
        const src = el.src;
        if (!INLINE_IMAGE.test(src) && !(remoteImages && /^https:|^http:/i.test(src))) problems.push('image source ' + src.slice(0, 80));
      }
      if (el instanceof HTMLElement && el.hasAttribute('style')) {
        const css = el.style.cssText;
        if (/url\(|image-set\(|expression|binding|behavior/i.test(css)) problems.push('style ' + css.slice(0, 100));
        if (/^(fixed|absolute|sticky)$/.test(el.style.position)) problems.push('position ' + el.style.position + ' on ' + tag(el));
      }
    }
  }
  return problems;
}`;

const auditScript = (remoteImages: boolean): string => `(${AUDIT})(${JSON.stringify(remoteImages)})`;

/** What a rendering may load: inline images, and the remote image outbound HTML keeps. */
function allowedRequest(url: string, resourceType: string, served: Served, trap: string): boolean {
  if (/^cid:/i.test(url) || /^data:image\/(png|gif|jpe?g|webp|bmp)[;,]/i.test(url)) return true;
  return served.remoteImages && resourceType === 'image' && url === trackerImage(trap);
}

/** One rendering: what it served, what it tried, and the script checks still running. */
interface Rendering {
  readonly served: Served;
  readonly findings: Finding[];
  readonly checks: Promise<void>[];
  done: boolean;
}

/** One page a renderer reuses: its listeners report into the rendering in progress, or the last one. */
interface Slot {
  readonly page: Page;
  rendering: Rendering | null;
}

/**
 * Renders HTML in headless Chromium as it is handed over, a few pages at a time, while the test
 * goes on producing more (Chromium works in its own processes). `findings()` waits for all; what a
 * page tries after its rendering returned (a late timer, a slow frame) is reported too, as late.
 */
class Renderer {
  private readonly free: Slot[] = [];
  private readonly waiting: ((slot: Slot) => void)[] = [];
  private readonly pending: Promise<void>[] = [];
  private readonly all: Finding[] = [];
  private readonly late: Finding[] = [];
  private readonly lateChecks: Promise<void>[] = [];
  private readonly seen = new Set<string>();
  private created = 0;
  rendered = 0;

  constructor(
    private readonly context: BrowserContext,
    private readonly trap: string,
    private readonly width = 4,
  ) {}

  /** Renders `served` unless the same HTML (under the same policy) was rendered already. */
  submit(served: Served): void {
    const key = `${served.remoteImages}:${served.html}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.pending.push(
      this.render(served).then((found) => {
        this.all.push(...found);
      }),
    );
  }

  /** Renders `served` now and returns what it tried (no deduplication). */
  async render(served: Served): Promise<Finding[]> {
    const slot = await this.acquire();
    try {
      return await this.renderIn(slot, served);
    } finally {
      this.release(slot);
    }
  }

  async findings(): Promise<Finding[]> {
    for (let done = 0; done < this.pending.length; done = this.pending.length) await Promise.all(this.pending.slice(done));
    await Promise.all(this.lateChecks);
    return [...this.all, ...this.late];
  }

  private async renderIn(slot: Slot, served: Served): Promise<Finding[]> {
    const rendering: Rendering = { served, findings: [], checks: [], done: false };
    slot.rendering = rendering;
    try {
      await slot.page.setContent(served.html, { waitUntil: 'load', timeout: 10_000 });
      // Handlers that fire a moment later: animations, media errors, focus, toggles.
      await slot.page.waitForTimeout(100);
    } catch (error) {
      rendering.findings.push({ where: served.where, kind: 'render-error', detail: (error as Error).message.split('\n')[0] ?? '' });
    }
    const problems = await slot.page.evaluate(auditScript(served.remoteImages)).catch((error: Error) => [`audit failed: ${error.message}`]);
    for (const problem of problems as string[]) rendering.findings.push({ where: served.where, kind: 'dom', detail: problem });
    await Promise.all(rendering.checks);
    rendering.done = true;
    this.rendered++;
    return rendering.findings;
  }

  private async acquire(): Promise<Slot> {
    const slot = this.free.pop();
    if (slot) return slot;
    if (this.created < this.width) {
      this.created++;
      return this.newSlot();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(slot: Slot): void {
    const next = this.waiting.shift();
    if (next) next(slot);
    else this.free.push(slot);
  }

  private async newSlot(): Promise<Slot> {
    const page = await this.context.newPage();
    const slot: Slot = { page, rendering: null };
    const report = (rendering: Rendering | null, kind: Finding['kind'], detail: string) => {
      if (!rendering) return;
      if (rendering.done) this.late.push({ where: `${rendering.served.where} (after its rendering)`, kind, detail });
      else rendering.findings.push({ where: rendering.served.where, kind, detail });
    };
    const found = (kind: Finding['kind'], detail: string) => report(slot.rendering, kind, detail);
    await page.exposeFunction('__xss', (id: unknown) => found('script', `the canary was called: ${String(id)}`));
    page.on('dialog', (dialog) => {
      found('dialog', `${dialog.type()}: ${dialog.message()}`);
      void dialog.dismiss().catch(() => undefined);
    });
    page.on('pageerror', (error) => found('page-error', error.message));
    page.on('popup', (popup) => found('popup', popup.url()));
    page.on('request', (request) => {
      const served = slot.rendering?.served;
      if (served && !allowedRequest(request.url(), request.resourceType(), served, this.trap))
        found('request', `${request.resourceType()} ${request.url().slice(0, 120)}`);
    });
    const cdp = await this.context.newCDPSession(page);
    // Every script compiled in the page's own world is reported, whatever compiled it: an inline
    // script, an event handler, a javascript: URL. Enabling the debugger first replays what is
    // compiled already (Playwright's binding for the canary, known by hash from then on); the
    // audit, which Playwright evaluates in the page's world too, carries a marker.
    const helpers = new Set<string>();
    let replaying = true;
    cdp.on('Debugger.scriptParsed', (event) => {
      const aux = event.executionContextAuxData as { isDefault?: boolean } | undefined;
      if (!aux?.isDefault) return;
      if (replaying) {
        helpers.add(event.hash);
        return;
      }
      if (helpers.has(event.hash)) return;
      const rendering = slot.rendering;
      const check = cdp.send('Debugger.getScriptSource', { scriptId: event.scriptId }).then(
        ({ scriptSource }) => {
          if (!scriptSource.includes(AUDIT_MARKER))
            report(rendering, 'script', `a script was compiled in the page: ${JSON.stringify(scriptSource.slice(0, 80))}`);
        },
        () => report(rendering, 'script', `a script was compiled in the page (${event.length ?? 0} characters)`),
      );
      if (rendering && !rendering.done) rendering.checks.push(check);
      else this.lateChecks.push(check);
    });
    await cdp.send('Debugger.enable');
    replaying = false;
    return slot;
  }
}

/** Every string under a key `html` of a JSON value, with its JSON path. */
function htmlFields(value: unknown, path = '$'): { path: string; html: string }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => htmlFields(v, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, v]) =>
    key === 'html' && typeof v === 'string' ? [{ path: `${path}.html`, html: v }] : htmlFields(v, `${path}.${key}`),
  );
}

/** The operations of an OpenAPI document whose success answer carries an `html` property anywhere. */
function htmlRoutes(document: {
  paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }>>;
  components?: { schemas?: Record<string, unknown> };
}): string[] {
  const schemas = document.components?.schemas ?? {};
  const hasHtml = (schema: unknown, seen: Set<string>): boolean => {
    if (Array.isArray(schema)) return schema.some((s) => hasHtml(s, seen));
    if (schema === null || typeof schema !== 'object') return false;
    const ref = (schema as { $ref?: unknown }).$ref;
    if (typeof ref === 'string') {
      const name = ref.split('/').pop() ?? '';
      if (seen.has(name)) return false;
      seen.add(name);
      return hasHtml(schemas[name], seen);
    }
    const properties = (schema as { properties?: Record<string, unknown> }).properties;
    if (properties && 'html' in properties) return true;
    return Object.values(schema).some((v) => hasHtml(v, seen));
  };
  const routes: string[] = [];
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const success = Object.entries(operation.responses ?? {}).filter(([code]) => code.startsWith('2'));
      if (success.some(([, r]) => hasHtml(r.content?.['application/json']?.schema, new Set()))) routes.push(`${method.toUpperCase()} ${path}`);
    }
  }
  return routes.sort();
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!HAVE_CHROMIUM)(`hostile HTML rendered in headless Chromium${SKIPPED}`, () => {
  let sandbox: Sandbox;
  let browser: Browser;
  let context: BrowserContext;
  let renderer: Renderer;
  let trap: Awaited<ReturnType<typeof startTrap>>;
  /** The unsanitized control renderings fetch for real (a refresh may fire late): they get a trap of their own. */
  let controlTrap: Awaited<ReturnType<typeof startTrap>>;
  let payloads: readonly XssPayload[];

  beforeAll(async () => {
    [trap, controlTrap] = await Promise.all([startTrap(), startTrap()]);
    payloads = xssPayloads(trap.url);
    [sandbox, browser] = await Promise.all([
      startSandbox({ config, smtpPort: 0, outboxSmtpPort: 0, apiPort: 0, logLevel: 'SILENT', stateFile: null }),
      chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] }),
    ]);
    context = await browser.newContext({ javaScriptEnabled: true });
    renderer = new Renderer(context, trap.url);
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await sandbox?.stop();
    await trap?.close();
    await controlTrap?.close();
  });

  it('sees every payload that is active in Chromium as written, when it is rendered unsanitized (the detector works)', async () => {
    // Arrange
    const control = new Renderer(context, controlTrap.url);
    // Act
    const raw = await Promise.all(
      xssPayloads(controlTrap.url).map(async (p) => ({ p, findings: await control.render({ where: `raw ${p.id}`, html: p.html, remoteImages: false }) })),
    );
    // Assert
    const missed = raw.filter((r) => r.findings.length === 0 && !r.p.inert).map((r) => r.p.id);
    const inertButSeen = raw.filter((r) => r.findings.length > 0 && r.p.inert).map((r) => r.p.id);
    expect(missed, 'payloads the detector did not see').toEqual([]);
    expect(inertButSeen, 'payloads marked inert that are active after all').toEqual([]);
  }, 60_000);

  it('runs no script and loads nothing remote from any payload in mail, templates, signatures, previews and sent replies', async () => {
    // Arrange: an API client that renders every HTML field of every answer, named by its route
    const served: Served[] = [];
    const called = new Set<string>();
    const api = async (user: string, route: string, params: Record<string, string>, body?: unknown, headers: Record<string, string> = {}) => {
      const [method = '', template = ''] = route.split(' ');
      const path = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
      const response = await fetch(`${sandbox.info.adminApi?.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${sandbox.tokens[user]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      const operation = `${method} ${template.replace(/\?.*$/, '')}`;
      if (response.ok) called.add(operation);
      for (const field of htmlFields(json)) {
        const item = { where: `${operation} ${field.path} (${params.payload ?? ''})`, html: field.html, remoteImages: !template.startsWith('/conversations/') };
        served.push(item);
        renderer.submit(item);
      }
      return { status: response.status, json, etag: response.headers.get('etag') };
    };
    const outcomes: Record<string, Record<string, number>> = {};
    const note = (payload: string, what: string, status: number) => {
      outcomes[payload] = { ...outcomes[payload], [what]: status };
    };

    // Act 1: every payload as a customer's HTML mail, a few connections at a time
    let nextMail = 0;
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        while (nextMail < payloads.length) {
          const p = payloads[nextMail++] as XssPayload;
          await sendToSandbox(sandbox.info, {
            from: 'Carla Customer <carla@customer.example>',
            to: 'support@example.test',
            subject: `XSS probe ${p.id}`,
            html: p.html,
            messageId: `<xss-${p.id}@customer.example>`,
          });
        }
      }),
    );
    // …and the parts whose markup only the MIME decoding reveals
    for (const part of encodedParts()) {
      const raw = [
        'From: Carla Customer <carla@customer.example>',
        'To: support@example.test',
        `Subject: XSS probe ${part.id}`,
        `Message-ID: <xss-${part.id}@customer.example>`,
        'Date: Mon, 07 Dec 2026 10:00:00 +0000',
        'MIME-Version: 1.0',
        ...part.headers,
        '',
        part.body,
        '',
      ].join('\r\n');
      await sendToSandbox(sandbox.info, { envelope: { from: 'carla@customer.example', to: ['support@example.test'] }, raw });
    }
    const mails = payloads.length + encodedParts().length;
    const conversationOf = new Map<string, string>();
    for (let i = 0; i < 50 && conversationOf.size < mails; i++) {
      for (const pointer of await takeFromSandbox(sandbox.info)) conversationOf.set(pointer.subject.replace(/^XSS probe /, ''), pointer.conversationId);
    }

    // Act 2: every payload as a template and as the agent's signature, previewed, then answered with both
    let signatureTag: string | null = null;
    const replied: string[] = [];
    for (const p of payloads) {
      const name = `x-${p.id}`;
      const templateHtml = `<!DOCTYPE html><html><head><title>{{subject}}</title></head><body><div>{{body}}</div><div>{{signature}}</div>${p.html}</body></html>`;
      const template = await api(
        'admin',
        'PUT /channels/{channelId}/templates/{name}',
        { channelId: 'support', name, payload: p.id },
        { html: templateHtml, text: '{{body}}\n\n{{signature}}' },
      );
      note(p.id, 'template', template.status);
      const signature = await api(
        'agent-1',
        'PUT /agents/{agentId}/signature',
        { agentId: 'agent-1', payload: p.id },
        { html: p.html, text: 'Alex Agent' },
        signatureTag ? { 'if-match': signatureTag } : {},
      );
      note(p.id, 'signature', signature.status);
      if (signature.etag) signatureTag = signature.etag;
      await api('agent-1', 'GET /agents/{agentId}/signature', { agentId: 'agent-1', payload: p.id });
      await api('agent-1', 'POST /agents/{agentId}/signature/preview', { agentId: 'agent-1', payload: p.id });
      // Read back once per kind of resource; the template list below reads every template back (sanitized again).
      if (template.status === 200 && p === payloads[0])
        await api('agent-1', 'GET /channels/{channelId}/templates/{name}', { channelId: 'support', name, payload: p.id });
      if (template.status === 200) {
        const preview = await api(
          'agent-1',
          'POST /channels/{channelId}/templates/{name}/preview',
          { channelId: 'support', name, payload: p.id },
          {
            // The payload as the reply's text, and a subject that tries to leave the template's <title>.
            text: p.html.replace(/\u0000/g, ''),
            agentId: 'agent-1',
            subject: `</title><script>__xss('preview-subject')</script>`,
          },
        );
        note(p.id, 'preview', preview.status);
      }
      const conversationId = conversationOf.get(p.id);
      if (conversationId) {
        const reply = await api(
          'agent-1',
          'POST /conversations/{conversationId}/reply',
          { conversationId, payload: p.id },
          {
            html: p.html,
            ...(template.status === 200 ? { template: name } : {}),
          },
        );
        note(p.id, 'reply', reply.status);
        if (reply.status === 202) replied.push(p.id);
      }
    }

    // Act 3: the histories (bodies read from the raw mail) and the template list, page by page
    for (const [id, conversationId] of conversationOf) await api('agent-1', 'GET /conversations/{conversationId}', { conversationId, payload: id });
    let cursor: string | null = null;
    do {
      const page = await api('agent-1', `GET /channels/{channelId}/templates${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`, {
        channelId: 'support',
        payload: 'list',
      });
      cursor = (page.json.cursor as string | null | undefined) ?? null;
    } while (cursor);

    // Act 4: the HTML of every reply sent, as the customer's mail program gets it
    let sent = 0;
    for (let i = 0; i < 200; i++) {
      const names = (await readdir(sandbox.info.outbox)).filter((n) => n.endsWith('.eml'));
      if (names.length >= replied.length) {
        for (const n of names) {
          const mail = await simpleParser(await readFile(join(sandbox.info.outbox, n)));
          if (typeof mail.html === 'string') {
            sent++;
            renderer.submit({ where: `sent reply ${n} (${mail.subject ?? ''})`, html: mail.html, remoteImages: true });
          }
        }
        break;
      }
      await pause(100);
    }
    const findings = await renderer.findings();
    const trapHits = trap.hits.filter((hit) => hit !== `GET ${new URL(trackerImage(trap.url)).pathname}`);

    // Assert: what was exercised
    expect(payloads.length).toBeGreaterThanOrEqual(30);
    expect(conversationOf.size).toBe(mails);
    expect(replied).toHaveLength(payloads.length);
    expect(sent).toBe(replied.length);
    const apiDoc = (await (await fetch(`${sandbox.info.adminApi?.url}/openapi.json`)).json()) as Parameters<typeof htmlRoutes>[0];
    const routes = htmlRoutes(apiDoc);
    expect(routes.length).toBeGreaterThan(0);
    expect(
      routes.filter((r) => !called.has(r)),
      'routes serving HTML that the test did not call',
    ).toEqual([]);
    const renderedRoutes = new Set(served.map((s) => s.where.split(' $')[0]));
    expect(
      routes.filter((r) => !renderedRoutes.has(r)),
      'routes serving HTML whose HTML was not rendered',
    ).toEqual([]);
    // The MIME-encoded parts were decoded into markup before sanitizing (else they tested nothing).
    const decoded = encodedParts().map(
      (part) => served.find((x) => x.where.startsWith('GET /conversations/{conversationId}') && x.where.endsWith(`(${part.id})`))?.html ?? '',
    );
    expect(decoded.map((html) => html.includes('<p>hi</p>'))).toEqual(encodedParts().map(() => true));
    // A payload refused at the door is no failure; most must have been stored to be tested on the way out.
    const stored = (what: string) => Object.values(outcomes).filter((o) => o[what] === 200).length;
    expect(stored('template')).toBeGreaterThanOrEqual(payloads.length - 5);
    expect(stored('signature')).toBeGreaterThanOrEqual(payloads.length - 5);

    // Assert: nothing ran, nothing was fetched, nothing active is left in any DOM
    const report = findings.map((f) => `${f.kind}: ${f.detail} — ${f.where}`);
    expect(report, `${findings.length} findings in ${renderer.rendered} renderings`).toEqual([]);
    expect(trapHits, 'requests the trap server heard').toEqual([]);
  }, 120_000);
});
