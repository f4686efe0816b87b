import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxInfo } from '../../functions/local/sandbox.ts';
import { startSandbox, type Sandbox } from '../../functions/local/sandbox.ts';
import { loadConfig } from '../../lib/load-config.ts';
import { sendToSandbox } from '../support/sandbox.ts';
import { CHROMIUM, HAVE_CHROMIUM, SKIPPED } from '../support/browser.ts';

/*
 * The agent console in a real headless Chromium (Debian's, driven by playwright-core; nothing
 * downloaded), against the sandbox as `npm start` runs it: the sample config's users, the console
 * server, mail sent to the SMTP port. Every step goes through the page, by the controls' accessible
 * names, as an agent (or a screen reader) finds them. With POSTROOM_SCREENSHOTS=1 the screenshots
 * go to docs/screenshots (the README shows them); otherwise to a temporary folder.
 */

const ROOT = join(import.meta.dirname, '../..');

// The sample config without the IMAP channel: no mailbox server is needed here.
const sample = loadConfig(join(ROOT, 'postroom.sandbox.json'));
const config = { ...sample, channels: sample.channels.filter((c) => c.id !== 'mailbox') };

let sandbox: Sandbox;
let info: SandboxInfo;
let browser: Browser;
let dir: string;
let shots: string;
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'postroom-console-'));
  shots = process.env.POSTROOM_SCREENSHOTS ? join(ROOT, 'docs/screenshots') : join(dir, 'screenshots');
  await mkdir(shots, { recursive: true });
  [sandbox, browser] = await Promise.all([
    startSandbox({ config, smtpPort: 0, outboxSmtpPort: 0, apiPort: 0, consolePort: 0, logLevel: 'SILENT', stateFile: join(dir, 'sandbox.json') }),
    // Sandboxed frames in the page's process: headless Chromium paints frames of their own process
    // only while they are in view, which full-page screenshots of long pages are not.
    chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-features=IsolateSandboxedIframes'] }),
  ]);
  info = JSON.parse(await readFile(join(dir, 'sandbox.json'), 'utf8')) as SandboxInfo;
}, 60_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await sandbox?.stop();
  await rm(dir, { recursive: true, force: true });
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `check` returns a value (not undefined/false), or fails naming `what`. */
async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await pause(200);
  }
}

async function token(user: string): Promise<string> {
  const file = info.adminApi?.tokens[user];
  if (!file) throw new Error(`no token file for ${user}`);
  return (await readFile(file, 'utf8')).trim();
}

/** The public API as one of the sandbox's users (for what a test arranges or checks beside the page). */
async function api(user: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${info.adminApi?.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${await token(user)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Opens the console in a browser context of its own and signs in with the user's token, as an agent does. */
async function signIn(user: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(`${user}: ${error.message}`));
  await page.goto(info.console?.url ?? 'about:blank');
  await page.getByLabel('Token', { exact: true }).fill(await token(user));
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
  return page;
}

/** The counts of a skill's row in the queue table, as the page shows them. */
async function counts(page: Page, skill: string): Promise<{ waiting: number; inFlight: number } | undefined> {
  const cells = page.locator(`tr[data-skill="${skill}"] td.count`);
  if ((await cells.count()) !== 2) return undefined;
  return { waiting: Number(await cells.nth(0).textContent()), inFlight: Number(await cells.nth(1).textContent()) };
}

async function outboxMail(predicate: (mail: ParsedMail) => boolean): Promise<ParsedMail> {
  return until('the reply in the outbox', async () => {
    for (const name of (await readdir(info.outbox)).filter((n) => n.endsWith('.eml')).sort()) {
      const mail = await simpleParser(await readFile(join(info.outbox, name)));
      if (predicate(mail)) return mail;
    }
    return undefined;
  });
}

/** Takes and finishes everything waiting on a skill, through the public API, so a test starts from an empty queue. */
async function drain(user: string, skill: string): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const taken = await api(user, 'POST', `/work/queues/${skill}/take`, {});
    if (taken.status === 204) return;
    const lease = taken.json.lease as { id: string };
    await api(user, 'POST', `/work/leases/${lease.id}/done`);
  }
}

/** A full-page screenshot for the docs. */
async function shot(page: Page, name: string): Promise<void> {
  await pause(300);
  await page.screenshot({ path: join(shots, name), fullPage: true });
}

const conversationIdOf = (page: Page): string => decodeURIComponent(/#\/conversations\/(.+)$/.exec(page.url())?.[1] ?? '');

describe.skipIf(!HAVE_CHROMIUM)(`the agent console in Chromium${SKIPPED}`, () => {
  let agent1: Page;
  let conversationId = '';
  let ticket = '';

  it('is served by the sandbox at the URL sandbox.json names, and signs agent-1 in with their token, showing name and role', async () => {
    // Arrange
    expect(info.console?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(info.console?.url ?? '');
    // Act: a wrong token first, then the right one
    await page.getByLabel('Token', { exact: true }).fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByText(/^That token does not sign in/).waitFor();
    const refused = await page.getByRole('alert').textContent();
    await shot(page, 'console-sign-in.png');
    agent1 = await signIn('agent-1');
    // Assert
    expect(refused).toMatch(/That token does not sign in/);
    expect(await agent1.locator('.top .name').textContent()).toBe('Alex Agent');
    expect(await agent1.locator('.top .role').textContent()).toBe('agent');
  }, 60_000);

  it("shows a customer's mail on agent-1's queue; Take next opens it with its badges, thread decision and attachment", async () => {
    // Arrange: agent-1's stored signature, set as themselves through the API
    const signature = await api('agent-1', 'PUT', '/agents/agent-1/signature', {
      html: '<p>Alex Agent<br>Example Support</p>',
      text: 'Alex Agent\nExample Support',
    });
    expect(signature.status).toBe(200);
    await sendToSandbox(sandbox.info, {
      from: 'Casey Customer <casey@customer.example>',
      to: 'support@example.test',
      subject: 'Where is my parcel?',
      messageId: '<parcel-1@customer.example>',
      text: 'Hello,\n\nmy parcel has not arrived. The receipt is attached.\n\nCasey\n\nOn Monday, Casey wrote:\n> an older note',
      html: '<p>Hello,</p><p>my parcel has <b>not</b> arrived. The receipt is attached.</p><p>Casey</p>',
      attachments: [{ filename: 'receipt.pdf', content: Buffer.from('%PDF-1.4 receipt 42'), contentType: 'application/pdf' }],
    });
    await agent1.reload();
    await until('the mail on the support queue', async () => (await counts(agent1, 'support'))?.waiting === 1, 15_000);
    await shot(agent1, 'console-queues.png');

    // Act
    await agent1.locator('tr[data-skill="support"]').getByRole('button', { name: 'Take next', exact: true }).click();
    await agent1.getByRole('heading', { name: 'Where is my parcel?' }).waitFor();
    conversationId = conversationIdOf(agent1);
    ticket = ((await agent1.locator('.facts .ticket').textContent()) ?? '').replace('#', '');
    const inbound = agent1.getByRole('article', { name: /^Message from Casey Customer/ });
    const download = agent1.waitForEvent('download');
    await inbound.getByRole('button', { name: /^Download receipt\.pdf/ }).click();
    const file = await download;
    await inbound.getByText('Formatted message (HTML)').click();

    // Assert
    expect(conversationId).not.toBe('');
    expect(ticket).toMatch(/^\d{7}$/);
    expect(await inbound.locator('header .badge').allTextContents()).toEqual(expect.arrayContaining(['inbound', 'human', 'skill support']));
    expect(await inbound.locator('.thread').textContent()).toMatch(/^started this conversation/);
    expect(await inbound.locator('.body > .text').first().textContent()).toContain('my parcel has not arrived');
    expect(await inbound.locator('.body > .text').first().textContent()).not.toContain('an older note');
    expect(await inbound.locator('details.history').getAttribute('open')).toBeNull();
    expect(file.suggestedFilename()).toBe('receipt.pdf');
    expect(await readFile(await file.path(), 'utf8')).toBe('%PDF-1.4 receipt 42');
    expect(await agent1.frameLocator('iframe.mail-frame').locator('b').textContent()).toBe('not');
    expect(await agent1.locator('.facts').textContent()).toMatch(/Participants\s*casey@customer\.example/);
    await until(
      'the queue to show the mail in progress',
      async () => {
        const c = await counts(agent1, 'support');
        return c?.waiting === 0 && c.inFlight === 1;
      },
      15_000,
    );
  }, 60_000);

  it("replies with a template and an attachment: the preview is the mail; it lands in the outbox with agent-1's signature and the file, and the lease is done", async () => {
    // Arrange: a template of the channel, created by the admin (the reply names it)
    const template = await api('admin', 'PUT', '/channels/support/templates/formal', {
      html: '<p>Dear customer,</p>{{body}}<p>{{signature}}</p><p>Kind regards from Example Support, ticket {{ticketNumber}}</p>',
    });
    expect(template.status).toBe(200);
    await agent1.reload();
    await agent1.getByRole('heading', { name: 'Where is my parcel?' }).waitFor();
    // An agent chooses among the channel's allowed From addresses too (through the conversation's senders route).
    await agent1.getByLabel('From', { exact: true }).locator('option[value="billing@example.test"]').waitFor({ state: 'attached' });
    await agent1.getByLabel('Template', { exact: true }).selectOption('formal');
    const reply = agent1.getByRole('textbox', { name: 'Reply', exact: true });
    await reply.fill('Hi Casey,\n\nyour parcel left our warehouse today; the invoice is attached.');
    await agent1
      .getByLabel('Attach files', { exact: true })
      .setInputFiles({ name: 'invoice-42.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 invoice 42') });
    await agent1.getByRole('button', { name: 'Preview', exact: true }).click();
    const preview = agent1.frameLocator('.preview iframe.mail-frame');
    await preview.getByText(`Kind regards from Example Support, ticket ${ticket}`).waitFor();
    const previewed = await preview.locator('body').textContent();
    await shot(agent1, 'console-reply.png');

    // Act
    await agent1.getByRole('button', { name: 'Send', exact: true }).click();
    await agent1.getByText('Reply queued for sending.').waitFor();
    const sent = await outboxMail((m) => (m.text ?? '').includes('your parcel left our warehouse today'));

    // Assert
    expect(sent.to && !Array.isArray(sent.to) ? sent.to.text : '').toContain('casey@customer.example');
    expect(sent.subject).toContain(ticket);
    expect(sent.text).toContain('Alex Agent\nExample Support');
    expect(sent.html).toContain('Alex Agent<br');
    expect(sent.html).toContain(`Kind regards from Example Support, ticket ${ticket}`);
    expect(previewed).toContain('Alex Agent');
    expect(previewed).toContain('your parcel left our warehouse today');
    expect(sent.attachments.map((a) => [a.filename, a.content.toString('utf8')])).toEqual([['invoice-42.pdf', '%PDF-1.4 invoice 42']]);
    expect(sent.inReplyTo).toBe('<parcel-1@customer.example>');
    // The reply completed agent-1's lease: the message is gone from the queue, not waiting for its timeout.
    const queues = (await api('agent-1', 'GET', '/work/queues')).json.queues as { skill: string; waiting: number; inFlight: number }[];
    expect(queues.find((q) => q.skill === 'support')).toMatchObject({ waiting: 0, inFlight: 0 });
    const ours = agent1.getByRole('article', { name: /^Sent \(reply\) by agent-1/ });
    await until("the reply's delivery status", async () => (await ours.locator('.badge-status-sent').count()) === 1);
  }, 60_000);

  it("shows the customer's answer (In-Reply-To our reply) in the same conversation, joined by In-Reply-To", async () => {
    // Arrange
    const ours = await outboxMail((m) => (m.text ?? '').includes('your parcel left our warehouse today'));
    // Act
    await sendToSandbox(sandbox.info, {
      from: 'Casey Customer <casey@customer.example>',
      to: 'support@example.test',
      subject: `Re: ${ours.subject}`,
      messageId: '<parcel-2@customer.example>',
      inReplyTo: ours.messageId,
      references: [ours.messageId ?? ''],
      text: 'Thanks, it just arrived!',
    });
    const answer = agent1.getByRole('article', { name: /^Message from Casey Customer.*Re: / });
    await answer.waitFor({ timeout: 20_000 });
    await agent1
      .getByRole('article', { name: /^Message from Casey Customer.*: Where is my parcel\?$/ })
      .getByText('Formatted message (HTML)')
      .click();
    await agent1.frameLocator('iframe.mail-frame').first().locator('b').waitFor();
    await shot(agent1, 'console-conversation.png');
    // Assert
    expect(conversationIdOf(agent1)).toBe(conversationId);
    expect(await answer.locator('.body > .text').first().textContent()).toBe('Thanks, it just arrived!');
    expect(await answer.locator('.thread').textContent()).toMatch(/^joined by In-Reply-To/);
    expect(await agent1.locator('.facts').textContent()).toMatch(/Previous agent\s*agent-1/);
    const history = await api('agent-1', 'GET', `/conversations/${conversationId}`);
    expect((history.json.entries as { type: string }[]).filter((e) => e.type === 'message')).toHaveLength(4); // mail, acknowledgement, reply, answer
  }, 60_000);

  it("forwards the customer's mail to a supplier; the supplier's answer shows in the conversation, marked as not the customer's", async () => {
    // Act
    await agent1.getByText("Forward the customer's mail").click();
    await agent1.getByRole('textbox', { name: 'Forward to' }).fill('parts@supplier.example');
    await agent1.getByRole('textbox', { name: 'Note to them' }).fill('Can you check the tracking?');
    await agent1.getByRole('button', { name: 'Forward', exact: true }).click();
    const forwarded = await outboxMail((m) => (m.subject ?? '').startsWith('Fwd:'));
    await sendToSandbox(sandbox.info, {
      from: 'Parts Desk <parts@supplier.example>',
      to: forwarded.replyTo?.value[0]?.address ?? 'support@example.test',
      subject: `Re: ${forwarded.subject}`,
      inReplyTo: forwarded.messageId,
      references: [forwarded.messageId ?? ''],
      text: 'Tracking says delivered.',
    });
    const answer = agent1.getByRole('article', { name: /^Message from Parts Desk/ });
    await answer.waitFor({ timeout: 20_000 });
    // Assert
    expect(forwarded.to).toMatchObject({ value: [{ address: 'parts@supplier.example' }] });
    expect(forwarded.text).toContain('Can you check the tracking?');
    expect(await answer.textContent()).toContain('not the customer');
    const facts = (await agent1.locator('.facts').textContent()) ?? '';
    expect(facts).toMatch(/Forwarded to\s*parts@supplier\.example/);
    expect(/Participants(.*?)Forwarded to/s.exec(facts)?.[1]).not.toContain('parts@supplier');
  }, 60_000);

  it('shows agent-2 (billing only) neither the support queue nor the conversation', async () => {
    // Arrange
    const agent2 = await signIn('agent-2');
    await agent2.locator('tr[data-skill="billing"]').waitFor();
    // Act
    const supportRows = await agent2.locator('tr[data-skill="support"]').count();
    await agent2.goto(`${info.console?.url}#/conversations/${encodeURIComponent(conversationId)}`);
    await agent2.getByRole('heading', { name: 'Conversation not found' }).waitFor();
    const shown = await agent2.locator('main').textContent();
    await agent2.getByLabel('Search', { exact: true }).fill(ticket);
    await agent2.getByRole('button', { name: 'Search', exact: true }).click();
    await agent2.getByText(/No conversation found/).waitFor();
    // Assert
    expect(supportRows).toBe(0);
    expect(await agent2.locator('.top .name').textContent()).toBe('Blair Agent');
    expect(shown).not.toContain('Where is my parcel?');
    expect(shown).not.toContain('casey@customer.example');
  }, 60_000);

  it('finds the conversation by ticket number and by address, and shows who else is viewing or answering it', async () => {
    // Arrange: a supervisor opens the same conversation, found by the customer's address
    const supervisor = await signIn('supervisor-1');
    await supervisor.getByLabel('Search', { exact: true }).fill('casey@customer.example');
    await supervisor.getByRole('button', { name: 'Search', exact: true }).click();
    await supervisor.getByRole('link', { name: new RegExp(`^#${ticket}`) }).click();
    await supervisor.getByRole('heading', { name: 'Where is my parcel?' }).waitFor();
    const from = supervisor.getByLabel('From', { exact: true });
    await from.locator('option[value="billing@example.test"]').waitFor({ state: 'attached' });
    const senders = await from.locator('option').allTextContents();
    // Act
    const viewing = await until('agent-1 to see the supervisor viewing', async () => {
      const text = await agent1.locator('.presence').textContent();
      return text?.includes('Sam Supervisor (viewing)') ? text : undefined;
    });
    await supervisor.getByRole('textbox', { name: 'Reply', exact: true }).fill('Let me add something…');
    const answering = await until('agent-1 to see the supervisor answering', async () => {
      const text = await agent1.locator('.presence').textContent();
      return text?.includes('Sam Supervisor (answering)') ? text : undefined;
    });
    await shot(agent1, 'console-collision.png');
    await agent1.getByLabel('Search', { exact: true }).fill(`#${ticket}`);
    await agent1.getByRole('button', { name: 'Search', exact: true }).click();
    await agent1.getByRole('list', { name: 'Search results' }).getByRole('link').first().waitFor();
    const found = await agent1.getByRole('list', { name: 'Search results' }).getByRole('link').allTextContents();
    // Assert
    expect(senders).toEqual(['Example Support <support@example.test> (channel address)', 'Example Billing <billing@example.test>']);
    expect(viewing).toMatch(/^Also here: Sam Supervisor \(viewing\)$/);
    expect(answering).toMatch(/^Also here: Sam Supervisor \(answering\)$/);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(new RegExp(`^#${ticket} · open · casey@customer\\.example`));
    // The supervisor leaves: agent-1 sees it at the next read.
    await supervisor.context().close();
    await until('the supervisor to leave', async () => (await agent1.locator('.presence').textContent()) === '');
  }, 60_000);

  it('puts a mail back for the next agent; while one agent holds it, another cannot take it', async () => {
    // Arrange: a billing mail, on the queue both agents share
    await drain('agent-1', 'billing');
    const agent2 = await signIn('agent-2');
    await sendToSandbox(sandbox.info, {
      from: 'Dana <dana@customer.example>',
      to: 'support@example.test',
      subject: 'Refund for invoice 7',
      text: 'Please refund invoice 7.',
    });
    await until('the billing mail', async () => {
      await agent2.reload();
      return (await counts(agent2, 'billing'))?.waiting === 1;
    });
    // Act
    await agent2.locator('tr[data-skill="billing"]').getByRole('button', { name: 'Take next', exact: true }).click();
    await agent2.getByRole('heading', { name: 'Refund for invoice 7' }).waitFor();
    await agent1.reload();
    await agent1.locator('tr[data-skill="billing"]').getByRole('button', { name: 'Take next', exact: true }).click();
    const heldElsewhere = await until('agent-1 to hear nothing is waiting', async () => agent1.getByText('Nothing is waiting on billing.').textContent());
    await agent2.getByRole('button', { name: 'Put back', exact: true }).click();
    await agent2.getByText('Put back on the queue for the next agent.').waitFor();
    await agent1.locator('tr[data-skill="billing"]').getByRole('button', { name: 'Take next', exact: true }).click();
    await agent1.getByRole('heading', { name: 'Refund for invoice 7' }).waitFor();
    // Assert
    expect(heldElsewhere).toBe('Nothing is waiting on billing.');
    expect(await agent1.locator('.facts').textContent()).toMatch(/Held by you/);
    await agent1.getByRole('button', { name: 'Put back', exact: true }).click();
    await agent1.getByText('Put back on the queue for the next agent.').waitFor();
    await drain('agent-1', 'billing');
  }, 60_000);

  it('flags a differing Reply-To from an unproven sender, and an unauthenticated follow-up that names a ticket', async () => {
    // Arrange: no verdict passes, so nothing proves who sent either mail
    const unproven = { 'X-Sandbox-Verdicts': 'spf=GRAY, dkim=GRAY, dmarc=GRAY' };
    await sendToSandbox(sandbox.info, {
      from: 'Riley <riley@customer.example>',
      replyTo: 'collector@elsewhere.example',
      to: 'support@example.test',
      subject: 'Change my bank details',
      text: 'New IBAN attached.',
      headers: unproven,
    });
    await sendToSandbox(sandbox.info, {
      from: 'Casey Customer <casey@customer.example>',
      to: 'support@example.test',
      subject: `Re: Where is my parcel? [#${ticket}]`,
      text: 'Send it elsewhere.',
      headers: unproven,
    });
    const find = (participant: string, other: (c: { id: string; ticketNumber: string }) => boolean) =>
      until(`a conversation of ${participant}`, async () => {
        const items = (await api('agent-1', 'GET', `/conversations?participant=${encodeURIComponent(participant)}`)).json.items as {
          id: string;
          ticketNumber: string;
        }[];
        return items.find(other)?.id;
      });
    const riley = await find('riley@customer.example', () => true);
    const followUp = await find('casey@customer.example', (c) => c.ticketNumber !== ticket);
    // Act
    await agent1.goto(`${info.console?.url}#/conversations/${encodeURIComponent(riley)}`);
    await agent1.getByRole('heading', { name: 'Change my bank details' }).waitFor();
    const rileyFlags = await agent1.locator('.flag').allTextContents();
    const replyTo = await agent1.locator('.headers').first().textContent();
    await agent1.goto(`${info.console?.url}#/conversations/${encodeURIComponent(followUp)}`);
    await agent1.getByRole('heading', { name: /^Re: Where is my parcel\?/ }).waitFor();
    const followUpFlags = await agent1.locator('.flag').allTextContents();
    // Assert
    expect(rileyFlags).toEqual(
      expect.arrayContaining([expect.stringMatching(/^⚠ Reply-To differs from the sender/), expect.stringMatching(/^⚠ Nothing proves who sent it/)]),
    );
    expect(replyTo).toContain('collector@elsewhere.example');
    expect(followUpFlags).toEqual(expect.arrayContaining([expect.stringMatching(/^⚠ Unauthenticated follow-up/)]));
    expect(rileyFlags.join(' ')).not.toMatch(/Unauthenticated follow-up/);
  }, 60_000);

  it('works from the keyboard: n takes the next mail, r goes to the reply, Ctrl+Enter sends, c closes, ? lists the keys', async () => {
    // Arrange
    await drain('agent-1', 'support');
    await sendToSandbox(sandbox.info, { from: 'Kim <kim@customer.example>', to: 'support@example.test', subject: 'Keyboard only', text: 'Can you hear me?' });
    await agent1.goto(info.console?.url ?? '');
    await until('the mail on the queue', async () => {
      await agent1.reload();
      return (await counts(agent1, 'support'))?.waiting === 1;
    });
    await agent1.locator('body').focus();
    // Act
    await agent1.keyboard.press('?');
    const keys = await agent1.getByRole('dialog', { name: 'Keyboard shortcuts' }).locator('kbd').allTextContents();
    await shot(agent1, 'console-shortcuts.png');
    await agent1.getByRole('button', { name: 'Done', exact: true }).click();
    await agent1.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor({ state: 'hidden' });
    await agent1.keyboard.press('n');
    await agent1.getByRole('heading', { name: 'Keyboard only' }).waitFor();
    await agent1.keyboard.press('r');
    const focused = await agent1.evaluate('document.activeElement?.getAttribute("name")');
    await agent1.keyboard.type('Loud and clear.');
    await agent1.keyboard.press('Control+Enter');
    await agent1.getByText('Reply queued for sending.').waitFor();
    await agent1.keyboard.press('Escape');
    await agent1.keyboard.press('c');
    await agent1
      .getByText('Conversation closed.')
      .waitFor({ timeout: 10_000 })
      .catch(async (e: Error) => {
        throw new Error(`${e.message}; alert: ${await agent1.locator('.alert').textContent()}; status: ${await agent1.locator('.status').textContent()}`);
      });
    await agent1.getByRole('button', { name: 'Reopen', exact: true }).waitFor();
    const closed = (await api('agent-1', 'GET', `/conversations/${conversationIdOf(agent1)}`)).json.conversation;
    await agent1.getByRole('button', { name: 'Reopen', exact: true }).click();
    await agent1.getByText('Conversation reopened.').waitFor();
    await agent1.getByRole('textbox', { name: 'Internal note', exact: true }).fill('Customer confirmed by phone.');
    await agent1.getByRole('button', { name: 'Add note', exact: true }).click();
    const note = agent1.getByRole('article', { name: 'Internal note by agent-1' });
    await note.waitFor();
    const sent = await outboxMail((m) => (m.text ?? '').includes('Loud and clear.'));
    // Assert
    expect(keys).toEqual(['n', 'r', 'Ctrl+Enter', 'c', '/', '?', 'Esc']);
    expect(focused).toBe('reply');
    expect(sent.subject).toContain('Keyboard only');
    expect(closed).toMatchObject({ status: 'closed' });
    expect((await api('agent-1', 'GET', `/conversations/${conversationIdOf(agent1)}`)).json.conversation).toMatchObject({ status: 'open' });
    expect(await note.locator('.text').textContent()).toBe('Customer confirmed by phone.');
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
