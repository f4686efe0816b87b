import { describe, expect, it } from 'vitest';
import { MemoryVersionedStore } from '../../../../functions/adapters/memory/memory-versioned-store.ts';
import type { AdminRequest } from '../../../../functions/core/admin/admin-context.ts';
import { createChannel, deleteChannel, patchChannel, replaceChannel, type ChannelAdminDeps } from '../../../../functions/core/admin/channel-admin.ts';
import {
  consentUrl,
  exchangeCode,
  OAUTH_STATE_TTL_MS,
  setSecret,
  testCredentials,
  type CredentialAdminDeps,
} from '../../../../functions/core/admin/credential-admin.ts';
import { ConflictError, DependencyError, PolicyError, ValidationError } from '../../../../functions/core/errors.ts';
import { ChannelResourceSchema, type AuditEntry, type ChannelResource, type SkillRecord } from '../../../../functions/core/model/admin-resources.ts';
import type { ChannelResourceInput } from '../../../../functions/core/model/admin-resources.ts';
import type { Caller } from '../../../../functions/core/model/agent.ts';
import type { ConversationSummary } from '../../../../functions/core/ports/admin.ts';
import { credentialEndpointKey } from '../../../../functions/core/model/credential-endpoint.ts';
import { TestClock } from '../../../support/clock.ts';
import { ContextCheckingCipher, MemoryConversationList, MemoryCredentialStore } from '../../../support/memory-admin.ts';

const ADMIN: Caller = { agentId: 'root', role: 'admin', displayName: 'Root', channels: [], skills: [] };
const request: AdminRequest = { actor: { kind: 'token', id: 'root' }, requestId: 'r-1', caller: ADMIN };

const PASSWORD_SMTP = { host: 'smtp.example.com', port: 587, security: 'starttls', auth: { type: 'password', user: 'support@example.com' } } as const;
const OAUTH_SMTP = {
  host: 'smtp.office365.com',
  auth: {
    type: 'oauth2',
    user: 'support@example.com',
    provider: 'microsoft',
    tenant: 'contoso.example',
    clientId: 'client-1',
    redirectUri: 'https://admin.example.com/oauth',
  },
} as const;

function world(smtp: ChannelResourceInput['smtp'] = PASSWORD_SMTP) {
  const clock = new TestClock();
  const channels = new MemoryVersionedStore<ChannelResource>();
  const skills = new MemoryVersionedStore<SkillRecord>();
  const credentials = new MemoryCredentialStore();
  const conversations = new MemoryConversationList();
  const cipher = new ContextCheckingCipher();
  const audit: AuditEntry[] = [];
  const tested: unknown[] = [];
  const exchanged: string[] = [];
  const removedRules: string[] = [];
  let n = 0;
  const deps: ChannelAdminDeps & CredentialAdminDeps = {
    channels,
    skills,
    credentials,
    conversations,
    cipher,
    clock,
    domains: ['example.com'],
    receipt: { put: async () => undefined, remove: async (id) => void removedRules.push(id) },
    ids: { next: () => `id-${++n}` },
    audit: { append: async (e) => void audit.push(e), list: async () => ({ items: audit, cursor: null }) },
    oauth: {
      exchange: async (_client, input) => {
        exchanged.push(input.code);
        return { refreshToken: `rt-for-${input.code}` };
      },
    },
    tester: {
      test: async (input) => {
        tested.push(input);
        return { ok: true, detail: 'logged in' };
      },
    },
  };
  const skill = { name: 'support', description: '', queueUrl: 'q', deadLetterQueueUrl: 'd' };
  skills.items.set('support', { value: skill, version: 1, updatedAt: 'now', managedBy: 'config' });
  const outbound = { enabled: true, transport: smtp ? 'smtp' : 'ses' } as const;
  const channel = ChannelResourceSchema.parse({ id: 'support', address: 'support@example.com', defaultSkill: 'support', outbound, smtp });
  channels.items.set('support', { value: channel, version: 1, updatedAt: 'now', managedBy: 'api' });
  return { deps, channels, credentials, conversations, cipher, audit, tested, exchanged, removedRules, clock, channel };
}

describe('secrets bound to the endpoint they were set for', () => {
  it('encrypts a secret under the channel, its purpose and the canonical endpoint settings', async () => {
    // Arrange
    const w = world();
    // Act
    await setSecret(w.deps, request, 'support', 'smtpPassword', 'pw-1');
    // Assert
    const context = { channelId: 'support', purpose: 'smtp-password', endpoint: credentialEndpointKey(w.channel.smtp!) };
    expect(w.cipher.calls).toEqual([{ op: 'encrypt', context }]);
    expect(credentialEndpointKey(w.channel.smtp!)).toContain('"smtp.host","smtp.example.com"');
  });

  it('clears the stored secrets when the SMTP host changes, says so, audits it and marks the credentials unset', async () => {
    // Arrange
    const w = world();
    await setSecret(w.deps, request, 'support', 'smtpPassword', 'pw-1');
    // Act
    const written = await patchChannel(w.deps, request, 'support', { smtp: { ...PASSWORD_SMTP, host: 'smtp.elsewhere.example' } }, 1);
    // Assert
    expect(written.credentialsCleared).toEqual(['smtpPassword']);
    expect(written.value.smtp?.host).toBe('smtp.elsewhere.example');
    const stored = await w.credentials.get('support');
    expect(stored?.ciphertexts).toEqual({});
    const detail = 'cleared: smtp.host changed; set the credentials again';
    expect(stored?.health).toEqual({ status: 'unset', checkedAt: w.clock.now().toISOString(), detail });
    expect(w.audit.map((e) => [e.action, e.fields])).toEqual([
      ['credentials.set', ['smtpPassword']],
      ['channel.update', ['smtp']],
      ['credentials.clear', ['smtp.host', 'smtpPassword']],
    ]);
  });

  it.each([
    ['port', { ...PASSWORD_SMTP, port: 2525 }, 'smtp.port'],
    ['security', { ...PASSWORD_SMTP, security: 'tls' }, 'smtp.security'],
    ['Force TLS', { ...PASSWORD_SMTP, forceTls: false }, 'smtp.forceTls'],
    ['user', { ...PASSWORD_SMTP, auth: { type: 'password', user: 'other@example.com' } }, 'smtp.auth.user'],
    ['auth type', OAUTH_SMTP, 'smtp.host'],
    ['removed settings', null, 'smtp.host'],
  ])('clears them when the %s changes', async (_what, smtp, mentioned) => {
    // Arrange
    const w = world();
    await setSecret(w.deps, request, 'support', 'smtpPassword', 'pw-1');
    // Act
    const written = await replaceChannel(w.deps, request, 'support', { ...w.channel, outbound: { enabled: true, transport: smtp ? 'smtp' : 'ses' }, smtp }, 1);
    // Assert
    expect(written.credentialsCleared).toEqual(['smtpPassword']);
    expect((await w.credentials.get('support'))?.health.detail).toContain(mentioned);
  });

  it.each([
    ['client id', { clientId: 'client-2' }, 'smtp.auth.clientId'],
    ['tenant (and with it the token and authorize URLs)', { tenant: 'fabrikam.example' }, 'smtp.auth.tokenUrl'],
    ['scope', { scope: 'https://outlook.office.com/SMTP.Send' }, 'smtp.auth.scope'],
    ['provider preset', { provider: 'google', tenant: undefined }, 'smtp.auth.provider'],
  ])('clears the OAuth secrets when the %s changes', async (_what, change, mentioned) => {
    // Arrange
    const w = world(OAUTH_SMTP);
    await setSecret(w.deps, request, 'support', 'oauthClientSecret', 'cs-1');
    await w.credentials.putSecret('support', 'oauthRefreshToken', 'rt-cipher', 'now');
    // Act
    const written = await patchChannel(w.deps, request, 'support', { smtp: { ...OAUTH_SMTP, auth: { ...OAUTH_SMTP.auth, ...change } } }, 1);
    // Assert
    expect(written.credentialsCleared).toEqual(['oauthClientSecret', 'oauthRefreshToken']);
    expect(w.audit.at(-1)?.fields).toContain(mentioned);
  });

  it('keeps them for changes that do not touch where or as whom they are used', async () => {
    // Arrange
    const w = world(OAUTH_SMTP);
    await setSecret(w.deps, request, 'support', 'oauthClientSecret', 'cs-1');
    // Act
    const renamed = await patchChannel(w.deps, request, 'support', { name: 'Support desk' }, 1);
    const timeouts = await patchChannel(
      w.deps,
      request,
      'support',
      {
        smtp: { ...OAUTH_SMTP, timeouts: { connectMs: 5000 }, auth: { ...OAUTH_SMTP.auth, redirectUri: 'https://admin.example.com/oauth' } },
      },
      2,
    );
    // Assert
    expect([renamed.credentialsCleared, timeouts.credentialsCleared]).toEqual([[], []]);
    expect((await w.credentials.get('support'))?.ciphertexts.oauthClientSecret).toBeDefined();
  });

  it('refuses the credentials test once they were cleared, without reaching any server', async () => {
    // Arrange
    const w = world();
    await setSecret(w.deps, request, 'support', 'smtpPassword', 'pw-1');
    await patchChannel(w.deps, request, 'support', { smtp: { ...PASSWORD_SMTP, host: 'smtp.elsewhere.example' } }, 1);
    // Act
    const error = await testCredentials(w.deps, request, 'support', null).catch((e: unknown) => e);
    // Assert
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as Error).message).toBe('credentials unset: channel support has no smtpPassword (cleared: smtp.host changed; set the credentials again)');
    expect(w.tested).toEqual([]);
  });

  it('refuses a secret no login of the channel uses, and says which it uses', async () => {
    // Arrange
    const w = world();
    const noSmtp = world(null);
    // Act
    const attempts = await Promise.allSettled([
      setSecret(w.deps, request, 'support', 'oauthClientSecret', 'cs-1'),
      setSecret(noSmtp.deps, request, 'support', 'smtpPassword', 'pw-1'),
    ]);
    // Assert
    expect(attempts.map((a) => (a.status === 'rejected' ? (a.reason as Error).message : 'accepted'))).toEqual([
      'channel support does not use a oauth-client-secret (its logins use: smtp-password)',
      'channel support does not use a smtp-password (its logins use: no secret)',
    ]);
    expect(w.cipher.calls).toEqual([]);
  });
});

describe('Force TLS off is audited on its own', () => {
  it('records channel.force-tls-off when it is turned off, and not when it stays off or is turned on', async () => {
    // Arrange
    const w = world();
    // Act
    await patchChannel(w.deps, request, 'support', { smtp: { ...PASSWORD_SMTP, forceTls: false } }, 1);
    await patchChannel(w.deps, request, 'support', { name: 'Still off' }, 2);
    await patchChannel(w.deps, request, 'support', { smtp: { ...PASSWORD_SMTP, forceTls: true } }, 3);
    await createChannel(w.deps, request, { id: 'sales', address: 'sales@example.com', defaultSkill: 'support', smtp: { ...PASSWORD_SMTP, forceTls: false } });
    // Assert
    const off = w.audit.filter((e) => e.action === 'channel.force-tls-off');
    expect(off.map((e) => [e.resource.id, e.fields])).toEqual([
      ['support', ['smtp.forceTls']],
      ['sales', ['smtp.forceTls']],
    ]);
  });
});

function conversation(id: string, channelId: string, status: 'open' | 'closed'): ConversationSummary {
  return { id, channelId, status, ticketNumber: '1', participants: [], lastAgent: null, replyToken: null, createdAt: 'now', updatedAt: 'now', lastSkill: null };
}

describe('deleting a channel', () => {
  it('is refused for a channel the deploy config seeds', async () => {
    // Arrange
    const w = world();
    w.channels.items.set('support', { ...(await w.channels.get('support'))!, managedBy: 'config' });
    // Act
    const error = await deleteChannel(w.deps, request, 'support', 1).catch((e: unknown) => e);
    // Assert
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toBe('channel support is seeded by the deploy config: disable it instead, or remove it from the config and redeploy');
    expect(await w.channels.get('support')).not.toBeNull();
  });

  it('is refused while a conversation is open, even one that is not on the first page read', async () => {
    // Arrange
    const w = world();
    for (let i = 0; i < 150; i++) w.conversations.items.push(conversation(`c${i}`, i % 2 ? 'support' : 'sales', 'closed'));
    w.conversations.items.push(conversation('open-1', 'support', 'open'));
    // Act
    const error = await deleteChannel(w.deps, request, 'support', 1).catch((e: unknown) => e);
    // Assert
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toBe('channel support has open conversations: disable it instead, or close them first');
    expect(w.removedRules).toEqual([]);
  });

  it('deletes a channel with only closed conversations, stops its receipt and clears its secrets', async () => {
    // Arrange
    const w = world();
    await setSecret(w.deps, request, 'support', 'smtpPassword', 'pw-1');
    w.conversations.items.push(conversation('c1', 'support', 'closed'));
    // Act
    await deleteChannel(w.deps, request, 'support', 1);
    // Assert
    expect(await w.channels.get('support')).toBeNull();
    expect(w.removedRules).toEqual(['support']);
    expect((await w.credentials.get('support'))?.ciphertexts).toEqual({});
    expect(w.audit.map((e) => e.action).slice(-2)).toEqual(['credentials.clear', 'channel.delete']);
  });
});

describe("channel addresses on the deployment's domains", () => {
  it('refuses an address or alias on another domain, naming the field, and takes any case of a listed one', async () => {
    // Arrange
    const w = world();
    // Act
    const attempts = await Promise.allSettled([
      createChannel(w.deps, request, { id: 'sales', address: 'sales@elsewhere.example', defaultSkill: 'support' }),
      createChannel(w.deps, request, { id: 'sales', address: 'sales@example.com', aliases: ['deals@example.com', 'x@evil.example'], defaultSkill: 'support' }),
      patchChannel(w.deps, request, 'support', { address: 'support@evil.example' }, 1),
    ]);
    const ok = await createChannel(w.deps, request, { id: 'shop', address: 'Shop@EXAMPLE.com', defaultSkill: 'support' });
    // Assert
    expect(attempts.map((a) => (a.status === 'rejected' ? (a.reason as ValidationError).issues.map((i) => i.path) : 'accepted'))).toEqual([
      ['address'],
      ['aliases[1]'],
      ['address'],
    ]);
    expect((attempts[0] as PromiseRejectedResult).reason).toBeInstanceOf(ValidationError);
    expect(ok.value.address).toBe('shop@example.com');
  });
});

describe('OAuth state on the code exchange', () => {
  async function consented() {
    const w = world(OAUTH_SMTP);
    await setSecret(w.deps, request, 'support', 'oauthClientSecret', 'cs-1');
    const consent = await consentUrl(w.deps, 'support', { state: 'state-0123456789' });
    return { ...w, consent };
  }
  const stateError = (error: unknown) => (error instanceof ValidationError ? error.issues.map((i) => i.path) : String(error));

  it('records the state it hands out for 15 minutes and exchanges a code that comes back with it, once', async () => {
    // Arrange
    const w = await consented();
    // Act
    const first = await exchangeCode(w.deps, request, 'support', { code: 'code-1', state: 'state-0123456789' });
    const replayed = await exchangeCode(w.deps, request, 'support', { code: 'code-2', state: 'state-0123456789' }).catch((e: unknown) => e);
    // Assert
    expect(new URL(w.consent.url).searchParams.get('state')).toBe('state-0123456789');
    expect(w.consent.expiresAt).toBe(new Date(w.clock.now().getTime() + OAUTH_STATE_TTL_MS).toISOString());
    expect(first.oauthRefreshToken.set).toBe(true);
    expect(stateError(replayed)).toEqual(['state']);
    expect(w.exchanged).toEqual(['code-1']);
  });

  it('refuses an unknown state, an expired one and one handed out for another channel, before any exchange', async () => {
    // Arrange
    const w = await consented();
    await createChannel(w.deps, request, { ...w.channel, id: 'sales', address: 'sales@example.com' });
    await setSecret(w.deps, request, 'sales', 'oauthClientSecret', 'cs-2');
    // Act
    const unknown = await exchangeCode(w.deps, request, 'support', { code: 'c', state: 'never-handed-out' }).catch((e: unknown) => e);
    const foreign = await exchangeCode(w.deps, request, 'sales', { code: 'c', state: 'state-0123456789' }).catch((e: unknown) => e);
    w.clock.advance(OAUTH_STATE_TTL_MS);
    const expired = await exchangeCode(w.deps, request, 'support', { code: 'c', state: 'state-0123456789' }).catch((e: unknown) => e);
    // Assert
    expect([unknown, foreign, expired].map(stateError)).toEqual([['state'], ['state'], ['state']]);
    expect((unknown as Error).message).toBe(
      'state: not handed out by a consent of this channel, expired (15 minutes) or used already: start the consent again',
    );
    expect(w.exchanged).toEqual([]);
  });

  it('does not decrypt a client secret set for another endpoint (settings rewritten without clearing)', async () => {
    // Arrange: a redeploy rewrites the seeded channel's client id; the stored secret stays
    const w = await consented();
    const current = (await w.channels.get('support'))!;
    const moved = ChannelResourceSchema.parse({ ...current.value, smtp: { ...OAUTH_SMTP, auth: { ...OAUTH_SMTP.auth, clientId: 'client-2' } } });
    w.channels.items.set('support', { ...current, value: moved });
    // Act
    const error = await exchangeCode(w.deps, request, 'support', { code: 'code-1', state: 'state-0123456789' }).catch((e: unknown) => e);
    // Assert
    expect(error).toBeInstanceOf(DependencyError);
    expect(w.exchanged).toEqual([]);
  });
});
