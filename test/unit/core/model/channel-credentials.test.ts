import { describe, expect, it } from 'vitest';
import { ChannelSettingsSchema, type ChannelSettingsInput } from '../../../../functions/core/model/channel.ts';
import { channelEndpointChanges, channelOAuthClient, secretEndpointKey } from '../../../../functions/core/model/channel-credentials.ts';
import { MailSourceSchema } from '../../../../functions/core/model/mail-source.ts';

const SMTP_OAUTH = {
  host: 'smtp.office365.com',
  security: 'starttls',
  auth: { type: 'oauth2', user: 'service@company.example', provider: 'microsoft', tenant: 'company.example', clientId: 'app-1' },
} as const;
const IMAP = { type: 'imap', host: 'outlook.office365.com', user: 'service@company.example' } as const;

function channel(input: Partial<ChannelSettingsInput>) {
  return ChannelSettingsSchema.parse({ id: 'service', address: 'service@company.example', defaultSkill: 'support', ...input });
}

describe('the credentials of a channel with a mailbox source', () => {
  it('lets one OAuth consent serve both directions: the SMTP client, with sending and mailbox reading in one scope', () => {
    const both = channel({ smtp: SMTP_OAUTH, outbound: { enabled: true, transport: 'smtp' }, source: { ...IMAP, auth: 'oauth2' } });
    const sendOnly = channel({ smtp: SMTP_OAUTH, outbound: { enabled: true, transport: 'smtp' } });

    const client = channelOAuthClient(both);

    expect(client).toMatchObject({ grant: 'authorization_code', auth: { clientId: 'app-1', user: 'service@company.example' } });
    expect(client?.scope.split(' ').sort()).toEqual([
      'https://outlook.office.com/IMAP.AccessAsUser.All',
      'https://outlook.office.com/SMTP.Send',
      'offline_access',
    ]);
    expect(channelOAuthClient(sendOnly)?.scope).toBe('https://outlook.office.com/SMTP.Send offline_access');
  });

  it('refuses a second OAuth client on one channel, and a source OAuth login with no client at all', () => {
    const two = ChannelSettingsSchema.safeParse({
      id: 'service',
      address: 'service@company.example',
      defaultSkill: 'support',
      smtp: SMTP_OAUTH,
      source: { ...IMAP, auth: 'oauth2', oauth: { provider: 'google', clientId: 'other' } },
    });
    const none = ChannelSettingsSchema.safeParse({
      id: 'service',
      address: 'service@company.example',
      defaultSkill: 'support',
      source: { ...IMAP, auth: 'oauth2' },
    });

    expect(two.success).toBe(false);
    expect(two.error?.issues[0]?.path).toEqual(['source', 'oauth']);
    expect(none.success).toBe(false);
    expect(none.error?.issues[0]?.message).toMatch(/needs source\.oauth/);
  });

  it('binds the source password to the source and the shared OAuth secrets to both: a moved host clears what it reached', () => {
    const before = channel({ smtp: SMTP_OAUTH, outbound: { enabled: true, transport: 'smtp' }, source: { ...IMAP, auth: 'oauth2' } });
    const movedSource = channel({
      smtp: SMTP_OAUTH,
      outbound: { enabled: true, transport: 'smtp' },
      source: { ...IMAP, host: 'imap.attacker.example', auth: 'oauth2' },
    });
    const passwordSource = channel({ source: { ...IMAP, auth: 'password' } });
    const renamedFolder = channel({ source: { ...IMAP, auth: 'password', folder: 'Support' } });

    expect(secretEndpointKey(movedSource, 'oauth-refresh-token')).not.toBe(secretEndpointKey(before, 'oauth-refresh-token'));
    expect(channelEndpointChanges(before, movedSource)).toEqual(['source.host']);
    expect(secretEndpointKey(passwordSource, 'source-password')).toContain('outlook.office365.com');
    // A folder is not where the secret goes: renaming it keeps the password.
    expect(channelEndpointChanges(passwordSource, renamedFolder)).toEqual([]);
    // An SMTP-only channel keeps the key its secrets always had.
    const sendOnly = channel({ smtp: SMTP_OAUTH, outbound: { enabled: true, transport: 'smtp' } });
    expect(secretEndpointKey(sendOnly, 'oauth-refresh-token')).toBe(secretEndpointKey(sendOnly, 'smtp-password'));
  });

  it('takes plaintext only to a loopback host, and https endpoints for Graph (http to loopback only)', () => {
    const plainRemote = MailSourceSchema.safeParse({ ...IMAP, security: 'none' });
    const plainLocal = MailSourceSchema.safeParse({ ...IMAP, host: 'localhost', security: 'none' });
    const graphHttp = MailSourceSchema.safeParse({
      type: 'graph',
      tenantId: 't',
      mailbox: 'm@company.example',
      clientId: 'c',
      graphUrl: 'http://graph.example/v1.0',
    });
    const ports = [
      MailSourceSchema.parse({ ...IMAP }),
      MailSourceSchema.parse({ ...IMAP, security: 'starttls' }),
      MailSourceSchema.parse({ ...IMAP, type: 'pop3' }),
    ];

    expect(plainRemote.success).toBe(false);
    expect(plainLocal.success).toBe(true);
    expect(graphHttp.success).toBe(false);
    expect(ports.map((p) => ('port' in p ? p.port : null))).toEqual([993, 143, 995]);
  });

  it('gives a Graph source the application grant with the Graph default scope, or a delegated consent', () => {
    const app = channel({ source: { type: 'graph', tenantId: 'company.example', mailbox: 'service@company.example', clientId: 'graph-app' } });
    const delegated = channel({
      source: { type: 'graph', tenantId: 'company.example', mailbox: 'service@company.example', clientId: 'graph-app', auth: 'delegated' },
    });

    expect(channelOAuthClient(app)).toMatchObject({
      grant: 'client_credentials',
      scope: 'https://graph.microsoft.com/.default',
      tokenUrl: 'https://login.microsoftonline.com/company.example/oauth2/v2.0/token',
    });
    expect(channelOAuthClient(delegated)).toMatchObject({
      grant: 'authorization_code',
      authorizeUrl: 'https://login.microsoftonline.com/company.example/oauth2/v2.0/authorize',
    });
  });
});
