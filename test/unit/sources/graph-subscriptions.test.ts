import { describe, expect, it } from 'vitest';
import { HostGuard } from '../../../functions/adapters/outbound/host-guard.ts';
import { GraphClient } from '../../../functions/adapters/sources/graph-client.ts';
import {
  createSubscription,
  deleteSubscription,
  needsRenewal,
  parseNotifications,
  RENEW_WITHIN_MS,
  renewSubscription,
  SUBSCRIPTION_LIFETIME_MS,
  subscriptionExpiry,
  validationResponse,
} from '../../../functions/adapters/sources/graph-subscriptions.ts';
import { DependencyError } from '../../../functions/core/errors.ts';

const NOW = new Date('2026-11-22T10:00:00.000Z');
const SECRET = 'channel-support-7f3a9c';

/** A public address for every name, so the guard passes without DNS. */
const GUARD = new HostGuard({ resolve: async () => [{ address: '20.190.128.10', family: 4 }] });

interface Sent {
  readonly method: string;
  readonly url: string;
  readonly headers: Headers;
  readonly body: unknown;
}

/** A GraphClient whose fetch records the request and answers `status` with `body`. */
function recording(status: number, body: unknown): { client: GraphClient; sent: Sent[] } {
  const sent: Sent[] = [];
  const fakeFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    sent.push({
      method: init?.method ?? 'GET',
      url: String(input),
      headers: new Headers(init?.headers),
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    });
    return new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  };
  const client = new GraphClient({
    graphUrl: 'https://graph.microsoft.com/v1.0',
    token: async () => 'token-1',
    guard: GUARD,
    fetch: fakeFetch as typeof fetch,
  });
  return { client, sent };
}

function notification(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    subscriptionId: 'sub-1',
    subscriptionExpirationDateTime: '2026-11-25T10:00:00Z',
    changeType: 'created',
    resource: 'Users/7a1b/Messages/AAkALg=',
    resourceData: { '@odata.type': '#Microsoft.Graph.Message', '@odata.id': 'Users/7a1b/Messages/AAkALg=', id: 'AAkALg=' },
    clientState: SECRET,
    tenantId: 'c1d2',
    ...overrides,
  };
}

describe('subscription lifetime', () => {
  it('expires three days on, well inside Graph’s 10,080 minutes for mail', () => {
    // Act
    const expiry = subscriptionExpiry(NOW);

    // Assert
    expect(expiry.toISOString()).toBe('2026-11-25T10:00:00.000Z');
    expect(SUBSCRIPTION_LIFETIME_MS).toBeLessThan(10_080 * 60_000);
  });

  it('needs renewal within 12 hours of expiry, and when the expiry cannot be read', () => {
    const at = (ms: number) => new Date(NOW.getTime() + ms);

    expect(needsRenewal(at(RENEW_WITHIN_MS + 1), NOW)).toBe(false);
    expect(needsRenewal(at(RENEW_WITHIN_MS), NOW)).toBe(true);
    expect(needsRenewal(at(-1).toISOString(), NOW)).toBe(true);
    expect(needsRenewal(subscriptionExpiry(NOW).toISOString(), NOW)).toBe(false);
    expect(needsRenewal('not a date', NOW)).toBe(true);
  });
});

describe('validationResponse', () => {
  it('returns the decoded validation token of Graph’s handshake', () => {
    const token = 'Validation: Testing client application reachability for subscription Request-Id: 9e2b';

    expect(validationResponse(`/graph/notifications?validationToken=${encodeURIComponent(token)}`)).toBe(token);
    expect(validationResponse(new URL(`https://api.example.com/n?validationToken=${encodeURIComponent(token)}`))).toBe(token);
  });

  it('is null for an ordinary notification, an empty token or one too long to be Graph’s', () => {
    expect(validationResponse('/graph/notifications')).toBeNull();
    expect(validationResponse('/graph/notifications?validationToken=')).toBeNull();
    expect(validationResponse(`/n?validationToken=${'a'.repeat(4097)}`)).toBeNull();
  });
});

describe('parseNotifications', () => {
  it('accepts entries carrying the clientState and names subscription, resource and message', () => {
    // Act
    const parsed = parseNotifications(JSON.stringify({ value: [notification()] }), SECRET);

    // Assert
    expect(parsed).toEqual({
      accepted: [
        {
          subscriptionId: 'sub-1',
          changeType: 'created',
          resource: 'Users/7a1b/Messages/AAkALg=',
          messageId: 'AAkALg=',
          tenantId: 'c1d2',
          lifecycleEvent: null,
        },
      ],
      dropped: 0,
      malformed: false,
    });
  });

  it('drops and counts entries with a wrong, missing or differently long clientState', () => {
    // Arrange
    const body = {
      value: [
        notification({ clientState: 'channel-support-7f3a9d' }),
        notification({ clientState: undefined }),
        notification({ clientState: `${SECRET}x` }),
        notification({ clientState: 42 }),
        notification({ subscriptionId: 'sub-2' }),
      ],
    };

    // Act
    const parsed = parseNotifications(body, SECRET);

    // Assert
    expect(parsed.dropped).toBe(4);
    expect(parsed.accepted.map((n) => n.subscriptionId)).toEqual(['sub-2']);
  });

  it('accepts nothing when the expected clientState is empty', () => {
    expect(parseNotifications({ value: [notification({ clientState: '' })] }, '')).toMatchObject({ accepted: [], dropped: 1 });
  });

  it('drops entries without a subscription id, and non-objects', () => {
    expect(parseNotifications({ value: [notification({ subscriptionId: '' }), 'text', null] }, SECRET)).toMatchObject({ accepted: [], dropped: 3 });
  });

  it('passes lifecycle notifications on with their event', () => {
    // Arrange
    const lifecycle = {
      subscriptionId: 'sub-1',
      clientState: SECRET,
      lifecycleEvent: 'reauthorizationRequired',
      subscriptionExpirationDateTime: '2026-11-25T10:00:00Z',
    };

    // Act
    const [accepted] = parseNotifications({ value: [lifecycle] }, SECRET).accepted;

    // Assert
    expect(accepted).toEqual({
      subscriptionId: 'sub-1',
      changeType: null,
      resource: null,
      messageId: null,
      tenantId: null,
      lifecycleEvent: 'reauthorizationRequired',
    });
  });

  it('says malformed for a body that is no notification collection', () => {
    expect(parseNotifications('{"value": ', SECRET)).toEqual({ accepted: [], dropped: 0, malformed: true });
    expect(parseNotifications('[]', SECRET).malformed).toBe(true);
    expect(parseNotifications({ value: 'x' }, SECRET).malformed).toBe(true);
    expect(parseNotifications(null, SECRET).malformed).toBe(true);
  });

  it('reads at most 1000 entries and counts the rest as dropped', () => {
    const parsed = parseNotifications({ value: Array.from({ length: 1002 }, () => notification()) }, SECRET);

    expect(parsed.accepted).toHaveLength(1000);
    expect(parsed.dropped).toBe(2);
  });
});

describe('subscription requests', () => {
  it('creates a subscription to mail created in one folder, with immutable ids', async () => {
    // Arrange
    const { client, sent } = recording(201, { id: 'sub-9', resource: "users/a/mailFolders('f')/messages", expirationDateTime: '2026-11-25T10:00:00Z' });

    // Act
    const subscription = await createSubscription(client, {
      mailbox: 'support@contoso.example',
      folderId: "AQMk'x",
      notificationUrl: 'https://api.example.com/graph/notifications',
      lifecycleNotificationUrl: 'https://api.example.com/graph/lifecycle',
      clientState: SECRET,
      expiresAt: subscriptionExpiry(NOW),
    });

    // Assert
    expect(subscription).toEqual({ id: 'sub-9', resource: "users/a/mailFolders('f')/messages", expiresAt: '2026-11-25T10:00:00Z' });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ method: 'POST', url: 'https://graph.microsoft.com/v1.0/subscriptions' });
    expect(sent[0]!.body).toEqual({
      changeType: 'created',
      notificationUrl: 'https://api.example.com/graph/notifications',
      lifecycleNotificationUrl: 'https://api.example.com/graph/lifecycle',
      resource: "users/support%40contoso.example/mailFolders('AQMk''x')/messages",
      expirationDateTime: '2026-11-25T10:00:00.000Z',
      clientState: SECRET,
    });
    expect(sent[0]!.headers.get('prefer')).toContain('IdType="ImmutableId"');
    expect(sent[0]!.headers.get('authorization')).toBe('Bearer token-1');
  });

  it('refuses a clientState Graph would refuse', async () => {
    const { client, sent } = recording(201, {});
    const input = { mailbox: 'a@b.example', folderId: 'f', notificationUrl: 'https://api.example.com/n', expiresAt: NOW };

    await expect(createSubscription(client, { ...input, clientState: 'x'.repeat(129) })).rejects.toThrow(RangeError);
    await expect(createSubscription(client, { ...input, clientState: '' })).rejects.toThrow(RangeError);
    expect(sent).toHaveLength(0);
  });

  it('refuses an answer without id or expiry', async () => {
    const { client } = recording(201, { resource: 'x' });

    await expect(
      createSubscription(client, { mailbox: 'a@b.example', folderId: 'f', notificationUrl: 'https://api.example.com/n', clientState: SECRET, expiresAt: NOW }),
    ).rejects.toThrow(DependencyError);
  });

  it('renews with a PATCH of the expiry', async () => {
    // Arrange
    const { client, sent } = recording(200, { id: 'sub/9', resource: 'r', expirationDateTime: '2026-11-25T10:00:00Z' });

    // Act
    const renewed = await renewSubscription(client, 'sub/9', subscriptionExpiry(NOW));

    // Assert
    expect(renewed?.expiresAt).toBe('2026-11-25T10:00:00Z');
    expect(sent[0]).toMatchObject({
      method: 'PATCH',
      url: 'https://graph.microsoft.com/v1.0/subscriptions/sub%2F9',
      body: { expirationDateTime: '2026-11-25T10:00:00.000Z' },
    });
  });

  it('says null when renewing a subscription Graph no longer has, and throws for other refusals', async () => {
    const gone = recording(404, { error: { code: 'ResourceNotFound', message: 'The object was not found.' } });
    const bad = recording(400, { error: { code: 'ExtensionError', message: 'expiration too far' } });

    await expect(renewSubscription(gone.client, 'sub-1', NOW)).resolves.toBeNull();
    await expect(renewSubscription(bad.client, 'sub-1', NOW)).rejects.toThrow(/400 ExtensionError: expiration too far/);
  });

  it('deletes, taking one already gone as deleted', async () => {
    const done = recording(204, null);
    const gone = recording(404, { error: { code: 'ResourceNotFound' } });

    await deleteSubscription(done.client, 'sub-1');
    await deleteSubscription(gone.client, 'sub-1');

    expect(done.sent[0]).toMatchObject({ method: 'DELETE', url: 'https://graph.microsoft.com/v1.0/subscriptions/sub-1' });
  });
});
