import { DependencyError } from '../../functions/core/errors.ts';
import { SECRET_KINDS, type CredentialHealth, type SecretKind } from '../../functions/core/model/admin-resources.ts';
import type {
  ConversationAdmin,
  ConversationFilter,
  ConversationSummary,
  CredentialStore,
  Page,
  PageRequest,
  StoredCredentials,
} from '../../functions/core/ports/admin.ts';
import type { SecretCipher, SecretContext } from '../../functions/core/ports/outbound.ts';

interface CredentialItem {
  ciphertexts: Partial<Record<SecretKind, string>>;
  setAt: Partial<Record<SecretKind, string>>;
  health: CredentialHealth;
  /** Pending OAuth states → expiry. */
  states: Map<string, string>;
}

/** Credentials and pending OAuth states in memory, with the store's once-only consumption of a state. */
export class MemoryCredentialStore implements CredentialStore {
  readonly items = new Map<string, CredentialItem>();

  async get(channelId: string): Promise<StoredCredentials | null> {
    const item = this.items.get(channelId);
    return item ? { ciphertexts: { ...item.ciphertexts }, setAt: { ...item.setAt }, health: item.health } : null;
  }
  async putSecret(channelId: string, kind: SecretKind, ciphertext: string, at: string): Promise<void> {
    const item = this.item(channelId);
    item.ciphertexts[kind] = ciphertext;
    item.setAt[kind] = at;
    item.health = { status: 'unknown', checkedAt: null, detail: null };
  }
  async putHealth(channelId: string, health: CredentialHealth): Promise<void> {
    this.item(channelId).health = health;
  }
  async clear(channelId: string, health: CredentialHealth): Promise<SecretKind[]> {
    const item = this.items.get(channelId);
    if (!item) return [];
    const cleared = SECRET_KINDS.filter((k) => item.ciphertexts[k]);
    this.items.set(channelId, { ciphertexts: {}, setAt: {}, health, states: new Map() });
    return cleared;
  }
  async putOAuthState(channelId: string, state: string, expiresAt: string, now: string): Promise<void> {
    const states = this.item(channelId).states;
    for (const [s, at] of states) if (at <= now) states.delete(s);
    states.set(state, expiresAt);
  }
  async takeOAuthState(channelId: string, state: string, now: string): Promise<boolean> {
    const states = this.items.get(channelId)?.states;
    const expiresAt = states?.get(state);
    if (!states || !expiresAt || expiresAt <= now) return false;
    states.delete(state);
    return true;
  }

  private item(channelId: string) {
    let item = this.items.get(channelId);
    if (!item) {
      item = { ciphertexts: {}, setAt: {}, health: { status: 'unknown', checkedAt: null, detail: null }, states: new Map() };
      this.items.set(channelId, item);
    }
    return item;
  }
}

/**
 * A `SecretCipher` that keeps the context beside the plaintext (base64, not encryption) and
 * refuses any other context, as the real cipher does.
 */
export class ContextCheckingCipher implements SecretCipher {
  readonly calls: { op: 'encrypt' | 'decrypt'; context: SecretContext }[] = [];
  async encrypt(plaintext: string, context: SecretContext): Promise<string> {
    this.calls.push({ op: 'encrypt', context });
    return Buffer.from(JSON.stringify({ context, plaintext })).toString('base64');
  }
  async decrypt(ciphertext: string, context: SecretContext): Promise<string> {
    this.calls.push({ op: 'decrypt', context });
    const sealed = JSON.parse(Buffer.from(ciphertext, 'base64').toString('utf8')) as { context: SecretContext; plaintext: string };
    if (JSON.stringify(sealed.context) !== JSON.stringify(context)) throw new DependencyError('credentials', 'credential was set for another context');
    return sealed.plaintext;
  }
}

const unused = async (): Promise<never> => {
  throw new Error('not used by channel administration');
};

/**
 * Conversation summaries; `list` filters by channel and status, and like the DynamoDB store it
 * reads `limit` items before filtering, so a page may come back empty with a cursor.
 */
export class MemoryConversationList implements ConversationAdmin {
  readonly items: ConversationSummary[] = [];
  async list(filter: ConversationFilter, page: PageRequest): Promise<Page<ConversationSummary>> {
    const start = Number(page.cursor ?? 0);
    const read = this.items.slice(start, start + page.limit);
    const matching = read.filter((c) => (!filter.channelId || c.channelId === filter.channelId) && (!filter.status || c.status === filter.status));
    return { items: matching, cursor: start + page.limit < this.items.length ? String(start + page.limit) : null };
  }
  get = unused;
  findByTicketNumber = unused;
  messages = unused;
  notes = unused;
  addNote = unused;
  update = unused;
}
