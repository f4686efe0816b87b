import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostroomConfigSchema } from '../../functions/core/model/postroom-config.ts';
import { startSandbox, type Sandbox } from '../../functions/local/sandbox.ts';
import { sendToSandbox } from '../support/sandbox.ts';
import { encodedParts, trackerImage, xssPayloads } from './support/xss-payloads.ts';
import { CHROMIUM, HAVE_CHROMIUM, SKIPPED, startTrap } from '../support/browser.ts';

/*
 * Hostile HTML mail, opened in the agent console as an agent opens it. Every payload of
 * `support/xss-payloads.ts` (scripts, handlers, `javascript:` URLs, SVG with script, remote
 * images, CSS fetches, frames, forms; a few more hidden behind MIME charsets and transfer
 * encodings) arrives as a customer's mail in one conversation; the agent signs in, opens it and
 * expands every message's formatted HTML. Passing means: no script was compiled anywhere in the
 * page or its frames but the console's own (CDP's Debugger sees each one, whatever compiled it),
 * the canary `__xss` was never called, no dialog or popup opened, no request left the console's
 * origin, and the trap server (every payload's remote URL) heard nothing. Two controls show the
 * watch can fail: a script evaluated in a mail frame is seen, and the remote image the agent asks
 * for ("Load remote images") does reach the trap.
 */

const ROOT_ID = '<hostile-root@customer.example>';

const config = PostroomConfigSchema.parse({
  domains: ['example.test'],
  skills: ['support'],
  channels: [{ id: 'support', address: 'support@example.test', name: 'Example Support', defaultSkill: 'support', acknowledgement: { enabled: false } }],
  users: [
    { id: 'admin', role: 'admin', displayName: 'Ada Admin' },
    { id: 'agent-1', role: 'agent', displayName: 'Alex Agent', skills: ['support'] },
  ],
});

/** What the page tried that it must not. */
interface Watch {
  readonly scripts: string[];
  readonly canary: string[];
  readonly dialogs: string[];
  readonly popups: string[];
  readonly requests: string[];
  readonly errors: string[];
}

/**
 * Watches a page: requests off the console's origin, dialogs, popups, page errors and the canary
 * from the start; every script compiled in the main world of the page or any of its frames from
 * `scripts()` on (CDP's Debugger). Scripts compiled before that (the console's own, the canary's
 * binding, Playwright's helpers) are known by hash and skipped, as are Playwright's isolated
 * worlds; so the test itself evaluates nothing in a main world while the watch runs.
 */
async function watch(page: Page, origin: string): Promise<{ seen: Watch; scripts(): Promise<CDPSession> }> {
  const seen: Watch = { scripts: [], canary: [], dialogs: [], popups: [], requests: [], errors: [] };
  // CDP's Network domain: Playwright's own request events leave out what sandboxed srcdoc frames fetch.
  const cdp = await page.context().newCDPSession(page);
  cdp.on('Network.requestWillBeSent', (event) => {
    const url = event.request.url;
    if (!url.startsWith(`${origin}/`) && !url.startsWith('data:')) seen.requests.push(`${event.type ?? 'other'} ${url.slice(0, 120)}`);
  });
  await cdp.send('Network.enable');
  page.on('dialog', (d) => {
    seen.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss().catch(() => undefined);
  });
  page.on('popup', (p) => seen.popups.push(p.url()));
  page.on('pageerror', (e) => seen.errors.push(e.message));
  await page.exposeFunction('__xss', (id: unknown) => seen.canary.push(String(id)));
  return { seen, scripts: () => watchScripts(cdp, origin, seen) };
}

async function watchScripts(cdp: CDPSession, origin: string, seen: Watch): Promise<CDPSession> {
  const { frameTree } = await cdp.send('Page.getFrameTree');
  const known = new Set<string>();
  let replaying = true;
  cdp.on('Debugger.scriptParsed', (event) => {
    const aux = event.executionContextAuxData as { isDefault?: boolean } | undefined;
    if (!aux?.isDefault) return;
    if (replaying) {
      known.add(event.hash);
      return;
    }
    if (known.has(event.hash) || event.url.startsWith(`${origin}/console.js`)) return;
    const frame = (aux as { frameId?: string }).frameId === frameTree.frame.id ? 'the page' : 'a frame';
    seen.scripts.push(`${event.url || '(inline)'} in ${frame}: ${event.length ?? 0} characters`);
  });
  await cdp.send('Debugger.enable');
  replaying = false;
  return cdp;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!HAVE_CHROMIUM)(`hostile HTML mail in the agent console${SKIPPED}`, () => {
  let sandbox: Sandbox;
  let browser: Browser;
  let trap: Awaited<ReturnType<typeof startTrap>>;

  beforeAll(async () => {
    trap = await startTrap();
    [sandbox, browser] = await Promise.all([
      startSandbox({ config, smtpPort: 0, outboxSmtpPort: 0, apiPort: 0, consolePort: 0, logLevel: 'SILENT', stateFile: null }),
      // Sandboxed frames stay in the page's process, so one CDP session sees their scripts and
      // requests (Chromium otherwise moves them to a process of their own, a separate target).
      chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-features=IsolateSandboxedIframes'] }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await sandbox?.stop();
    await trap?.close();
  });

  it('runs no script and loads nothing remote when the agent opens every hostile mail; loads the remote image only when asked', async () => {
    // Arrange: one conversation holding every payload, each a mail of its own
    const payloads = xssPayloads(trap.url);
    const customer = 'Carla Customer <carla@customer.example>';
    await sendToSandbox(sandbox.info, { from: customer, to: 'support@example.test', subject: 'Hostile mail', text: 'Here it comes.', messageId: ROOT_ID });
    for (const p of payloads) {
      await sendToSandbox(sandbox.info, {
        from: customer,
        to: 'support@example.test',
        subject: `XSS probe ${p.id}`,
        html: p.html,
        messageId: `<xss-${p.id}@customer.example>`,
        inReplyTo: ROOT_ID,
        references: [ROOT_ID],
      });
    }
    for (const part of encodedParts()) {
      const raw = [
        `From: ${customer}`,
        'To: support@example.test',
        `Subject: XSS probe ${part.id}`,
        `Message-ID: <xss-${part.id}@customer.example>`,
        `In-Reply-To: ${ROOT_ID}`,
        'Date: Mon, 07 Dec 2026 10:00:00 +0000',
        'MIME-Version: 1.0',
        ...part.headers,
        '',
        part.body,
        '',
      ].join('\r\n');
      await sendToSandbox(sandbox.info, { envelope: { from: 'carla@customer.example', to: ['support@example.test'] }, raw });
    }
    const mails = 1 + payloads.length + encodedParts().length;
    const token = sandbox.tokens['agent-1'] ?? '';
    const read = async (path: string) =>
      (await fetch(`${sandbox.info.adminApi?.url}${path}`, { headers: { authorization: `Bearer ${token}` } })).json() as Promise<Record<string, unknown>>;
    const found = await read('/conversations?participant=carla@customer.example');
    const conversationId = (found.items as { id: string }[])[0]?.id ?? '';
    for (let i = 0; i < 100; i++) {
      const history = await read(`/conversations/${conversationId}?bodies=false`);
      if ((history.entries as unknown[]).length >= mails) break;
      await pause(200);
    }
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const origin = new URL(sandbox.info.console?.url ?? '').origin;
    const { seen, scripts } = await watch(page, origin);
    await page.goto(sandbox.info.console?.url ?? '');
    await page.getByLabel('Token', { exact: true }).fill(token);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
    await scripts();

    // Act: open the conversation, then every message's formatted HTML
    await page.goto(`${sandbox.info.console?.url}#/conversations/${encodeURIComponent(conversationId)}`);
    await page.getByRole('heading', { name: 'Hostile mail' }).waitFor();
    const summaries = page.locator('details.html > summary');
    const withHtml = await summaries.count();
    for (let i = 0; i < withHtml; i++) await summaries.nth(i).click();
    const frames = page.locator('iframe.mail-frame');
    for (let i = 0; i < 100 && (await frames.count()) < withHtml; i++) await pause(100);
    // Handlers that would fire a moment later: animations, media errors, focus, toggles.
    await pause(1_500);
    const before = { ...(Object.fromEntries(Object.entries(seen).map(([k, v]) => [k, [...v]])) as unknown as Watch), hits: [...trap.hits] };
    const sandboxes = new Set(await frames.evaluateAll((list) => list.map((f) => f.getAttribute('sandbox'))));
    const policies = new Set(
      (await frames.evaluateAll((list) => list.map((f) => f.getAttribute('srcdoc') ?? ''))).map(
        (doc) => /^<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(doc)?.[1] ?? '',
      ),
    );
    const rendered = await page.frameLocator('iframe.mail-frame').first().locator('body').textContent();

    // Controls. A script run in a mail frame (by the debugger: the frame itself runs none) and one
    // in the page are seen, and the canary answers.
    const mailFrame = page.frames().find((f) => f !== page.mainFrame());
    await mailFrame?.evaluate('void "control"');
    await page.evaluate("__xss('control')");
    await pause(200);
    const control = { scripts: seen.scripts.slice(before.scripts.length), canary: [...seen.canary] };
    // The page's own policy, which srcdoc frames inherit, stops script even in a frame left unsandboxed.
    const unsandboxed = `<p id="unsandboxed">x</p><img src="x" onerror="__xss('unsandboxed-handler')"><script>__xss('unsandboxed-script')</script>`;
    await page.evaluate(`(() => {
      const frame = document.createElement('iframe');
      frame.srcdoc = ${JSON.stringify(unsandboxed)};
      document.body.append(frame);
    })()`);
    await page.frameLocator('iframe:not(.mail-frame)').locator('#unsandboxed').waitFor();
    await pause(500);
    const tracker = page.getByRole('article', { name: /XSS probe img-remote-tracker$/ });
    await tracker.getByRole('button', { name: /^Load remote images/ }).click();
    await pause(1_000);

    // Assert
    expect(withHtml).toBeGreaterThan(payloads.length - 10);
    expect(sandboxes).toEqual(new Set(['allow-popups allow-popups-to-escape-sandbox']));
    expect(policies).toEqual(new Set(["default-src 'none'; img-src data:; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'"]));
    expect(rendered?.trim().length).toBeGreaterThan(0);
    expect(before.scripts, 'scripts compiled in the page or a mail frame').toEqual([]);
    expect(before.canary, 'canary calls').toEqual([]);
    expect(before.dialogs, 'dialogs').toEqual([]);
    expect(before.popups, 'popups').toEqual([]);
    expect(before.requests, "requests off the console's origin").toEqual([]);
    expect(before.errors, 'page errors').toEqual([]);
    expect(before.hits, 'requests the trap server heard').toEqual([]);
    expect(
      control.scripts.some((s) => s.includes('in a frame')),
      'the control script in a mail frame',
    ).toBe(true);
    expect(
      control.scripts.some((s) => s.includes('in the page')),
      'the control script in the page',
    ).toBe(true);
    expect(control.canary, 'the control canary call').toEqual(['control']);
    expect(seen.canary, 'canary calls of the unsandboxed frame').toEqual(['control']);
    expect(trap.hits).toEqual([`GET ${new URL(trackerImage(trap.url)).pathname}`]);
    expect(seen.requests).toEqual([`Image ${trackerImage(trap.url)}`]);
    await context.close();
  }, 120_000);
});
