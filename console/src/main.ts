import { Api, ApiError } from './api.ts';
import { type ConsoleContext, messageOf } from './context.ts';
import { ConversationView } from './conversation-view.ts';
import { field, h, replace } from './dom.ts';
import { Leases } from './leases.ts';
import { QueuePanel } from './queues.ts';
import { SearchPanel } from './search.ts';
import { installShortcuts } from './shortcuts.ts';
import type { Me } from './types.ts';

/*
 * The reference agent console: sign in with a token, take the next mail from a skill queue, read
 * the conversation, answer it. It talks to the public API only, at `api` of `config.json` (the
 * console's own origin, `/api`, in the sandbox and behind CloudFront alike).
 */

/** The bearer token lives in the tab's session storage: gone when the tab closes, never in a cookie. */
const TOKEN_KEY = 'postroom.token';

interface ConsoleConfig {
  readonly api: string;
}

const root = document.getElementById('app') as HTMLElement;

async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch('config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json: ${response.status}`);
  const config = (await response.json()) as Partial<ConsoleConfig>;
  return { api: typeof config.api === 'string' ? config.api.replace(/\/+$/, '') : '/api' };
}

function signInView(config: ConsoleConfig, message = ''): void {
  const token = h('input', { type: 'password', name: 'token', autocomplete: 'off', required: true, spellcheck: false });
  const problem = h('p', { class: 'problem', role: 'alert' }, message);
  const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h(
    'form',
    {
      class: 'sign-in-form',
      onsubmit: (e: Event) => {
        e.preventDefault();
        button.disabled = true;
        void signIn(config, token.value.trim()).catch((error: unknown) => {
          button.disabled = false;
          problem.textContent =
            error instanceof ApiError && (error.status === 401 || error.status === 403) ? `That token does not sign in: ${error.message}` : messageOf(error);
          token.focus();
        });
      },
    },
    field('Token', token, 'Your API token. In the sandbox: the file .postroom/tokens/<user> (e.g. agent-1).'),
    button,
    problem,
  );
  replace(root, h('main', { class: 'sign-in' }, h('h1', {}, 'Postroom console'), form));
  token.focus();
}

async function signIn(config: ConsoleConfig, token: string): Promise<void> {
  if (token === '') throw new Error('Paste your token first.');
  // A 401 before /me answered is a wrong token (the form says so), not a session that ended.
  let signedOut = true;
  const api = new Api(config.api, token, () => {
    if (signedOut) return;
    signedOut = true;
    shell?.end();
    sessionStorage.removeItem(TOKEN_KEY);
    signInView(config, 'Your session ended (the token is no longer accepted): sign in again.');
  });
  const me = await api.get<Me>('/me');
  signedOut = false;
  sessionStorage.setItem(TOKEN_KEY, token);
  shell = new Shell(config, api, me, () => {
    signedOut = true;
  });
}

let shell: Shell | null = null;

/** The signed-in console: who, queues and search beside the conversation shown. */
class Shell {
  private readonly status = h('p', { class: 'status', role: 'status' });
  private readonly alert = h('p', { class: 'alert', role: 'alert' });
  private readonly main = h('main', { id: 'main', tabindex: -1 });
  private readonly queues: QueuePanel;
  private readonly search: SearchPanel;
  private readonly leases: Leases;
  private readonly shortcuts: ReturnType<typeof installShortcuts>;
  private readonly ctx: ConsoleContext;
  private view: ConversationView | null = null;
  private readonly onHash = () => this.route();
  private readonly onHide = () => this.view?.destroy(true);

  constructor(
    private readonly config: ConsoleConfig,
    api: Api,
    me: Me,
    private readonly ended: () => void,
  ) {
    this.leases = new Leases(
      api,
      me.agentId,
      () => this.queues?.showHeld(),
      (lease, reason) => {
        this.fail(new Error(`Your hold on #${lease.pointer.ticketNumber} ended (${reason}); the mail may go to another agent.`));
      },
    );
    this.ctx = {
      api,
      me,
      leases: this.leases,
      announce: (text) => this.announce(text),
      fail: (error) => this.fail(error),
      open: (id) => {
        const hash = `#/conversations/${encodeURIComponent(id)}`;
        if (location.hash === hash) this.route();
        else location.hash = hash;
      },
      refreshQueues: () => void this.queues.refresh(),
    };
    this.queues = new QueuePanel(this.ctx);
    this.search = new SearchPanel(this.ctx);
    replace(
      root,
      h(
        'header',
        { class: 'top' },
        h('h1', {}, 'Postroom'),
        h('p', { class: 'who' }, h('span', { class: 'name' }, me.displayName || me.agentId), ' · ', h('span', { class: 'role' }, me.role), ` (${me.agentId})`),
        h('button', { type: 'button', class: 'secondary', 'aria-keyshortcuts': '?', onclick: () => this.shortcuts.dialog.showModal() }, 'Keyboard shortcuts'),
        h('button', { type: 'button', class: 'secondary', onclick: () => void this.signOut() }, 'Sign out'),
      ),
      h('div', { class: 'messages' }, this.status, this.alert),
      h('div', { class: 'layout' }, h('aside', { 'aria-label': 'Queues and search' }, this.queues.element, this.search.element), this.main),
    );
    this.shortcuts = installShortcuts({
      takeNext: () => void this.queues.takeNext(),
      reply: () => this.view?.focusReply(),
      send: () => this.view?.send(),
      close: () => void this.view?.close(),
      search: () => this.search.input.focus(),
    });
    window.addEventListener('hashchange', this.onHash);
    window.addEventListener('pagehide', this.onHide);
    this.leases.start();
    this.queues.start();
    this.route();
  }

  /** Stops every timer and listener (signing out, or the token no longer works). */
  end(): void {
    this.ended();
    window.removeEventListener('hashchange', this.onHash);
    window.removeEventListener('pagehide', this.onHide);
    this.view?.destroy();
    this.view = null;
    this.leases.stop();
    this.queues.stop();
    this.shortcuts.remove();
  }

  private async signOut(): Promise<void> {
    // What this agent held goes back to the queues at once, not when the hold runs out.
    await this.leases.releaseAll();
    this.end();
    sessionStorage.removeItem(TOKEN_KEY);
    history.replaceState(null, '', location.pathname);
    signInView(this.config, 'Signed out.');
  }

  private route(): void {
    const id = /^#\/conversations\/([^/]+)$/.exec(location.hash)?.[1];
    const conversationId = id ? decodeURIComponent(id) : null;
    if (this.view && this.view.conversationId === conversationId) return;
    this.view?.destroy();
    this.view = null;
    if (!conversationId) {
      replace(
        this.main,
        h(
          'section',
          { class: 'welcome' },
          h('h2', {}, 'Ready'),
          h('p', {}, 'Take the next mail from one of your queues (press n), or find a conversation by ticket number or address. Press ? for every shortcut.'),
        ),
      );
      return;
    }
    const view = new ConversationView(this.ctx, conversationId);
    this.view = view;
    replace(this.main, view.element);
    void view.start();
  }

  private announce(text: string): void {
    this.alert.textContent = '';
    this.status.textContent = text;
  }

  private fail(error: unknown): void {
    this.alert.textContent = messageOf(error);
  }
}

async function boot(): Promise<void> {
  let config: ConsoleConfig;
  try {
    config = await loadConfig();
  } catch (error) {
    replace(
      root,
      h('main', { class: 'sign-in' }, h('h1', {}, 'Postroom console'), h('p', { role: 'alert' }, `The console is not set up: ${messageOf(error)}`)),
    );
    return;
  }
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) {
    signInView(config);
    return;
  }
  await signIn(config, token).catch(() => {
    sessionStorage.removeItem(TOKEN_KEY);
    signInView(config, 'Your session ended: sign in again.');
  });
}

void boot();
