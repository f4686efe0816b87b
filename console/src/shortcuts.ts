import { h } from './dom.ts';

export interface ShortcutActions {
  takeNext(): void;
  reply(): void;
  send(): void;
  close(): void;
  search(): void;
}

/** The keys, as the `?` list shows them. */
export const SHORTCUTS: readonly (readonly [keys: string, what: string])[] = [
  ['n', 'Take next: the next mail of the first queue with mail waiting'],
  ['r', 'Reply: to the reply box'],
  ['Ctrl+Enter', 'Send the reply (⌘+Enter on a Mac)'],
  ['c', 'Close the conversation'],
  ['/', 'Search by ticket number or address'],
  ['?', 'This list'],
  ['Esc', 'Leave a field, close this list'],
];

/** True while the agent types: single-letter shortcuts are text then. */
function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/**
 * The keyboard path: letters act only outside text fields (so typing never triggers them);
 * Ctrl/⌘+Enter sends from anywhere in a conversation; Esc leaves a field.
 */
export function installShortcuts(actions: ShortcutActions): { dialog: HTMLDialogElement; remove(): void } {
  const dialog = h(
    'dialog',
    { class: 'shortcuts', 'aria-labelledby': 'shortcuts-title' },
    h('h2', { id: 'shortcuts-title' }, 'Keyboard shortcuts'),
    h('dl', {}, ...SHORTCUTS.flatMap(([keys, what]) => [h('dt', {}, h('kbd', {}, keys)), h('dd', {}, what)])),
    h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, 'Done'),
  );
  document.body.append(dialog);
  const onKey = (e: KeyboardEvent): void => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      // The reply box handles its own Ctrl+Enter.
      if (!(e.target instanceof HTMLTextAreaElement && e.target.name === 'reply')) {
        e.preventDefault();
        actions.send();
      }
      return;
    }
    if (e.key === 'Escape' && typing(e.target)) {
      (e.target as HTMLElement).blur();
      return;
    }
    if (typing(e.target) || e.ctrlKey || e.metaKey || e.altKey || dialog.open) return;
    const act: Record<string, () => void> = {
      n: actions.takeNext,
      r: actions.reply,
      c: actions.close,
      '/': actions.search,
      '?': () => dialog.showModal(),
    };
    const action = act[e.key];
    if (!action) return;
    e.preventDefault();
    action();
  };
  document.addEventListener('keydown', onKey);
  return {
    dialog,
    remove() {
      document.removeEventListener('keydown', onKey);
      dialog.remove();
    },
  };
}
