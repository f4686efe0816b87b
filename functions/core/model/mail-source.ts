import { z } from 'zod';
import { TEXT_LIMITS } from './fields.ts';
import { OAUTH_PROVIDERS, SmtpHostSchema } from './transport-settings.ts';

/**
 * Where a channel's inbound mail comes from (IN-1): SES receiving (the default), or a mailbox the
 * company already has, read over IMAP, POP3 or Microsoft Graph. Secrets are not part of this
 * model: the source password and the OAuth client secret and refresh token are stored apart,
 * encrypted and bound to the settings they were set for, as for outbound SMTP.
 */

/** Loopback names a plaintext (`security: "none"`) source may use: only the sandbox reaches them. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1']);

/** One IMAP folder name as the server spells it (modified UTF-7 is the adapter's business). */
const FolderSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\r\n\0*%]+$/, 'a folder name, without line breaks, `*` or `%`');

/** One line-safe login value (it goes into a LOGIN, USER or XOAUTH2 line). */
const LoginSchema = z
  .string()
  .min(1)
  .max(TEXT_LIMITS.address)
  .regex(/^[^\r\n\0]+$/, 'no line breaks');

/**
 * The OAuth 2.0 client a mailbox source logs in with, when it is not the channel's SMTP one. Absent,
 * the source uses the OAuth client of the channel's `smtp.auth`: one consent serves both directions.
 */
export const SourceOAuthSchema = z.strictObject({
  provider: z.enum(OAUTH_PROVIDERS),
  tenant: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,99}$/, 'a tenant id or domain')
    .optional(),
  tokenUrl: z.url().max(TEXT_LIMITS.url).optional(),
  authorizeUrl: z.url().max(TEXT_LIMITS.url).optional(),
  clientId: LoginSchema,
  scope: z
    .string()
    .min(1)
    .max(1000)
    .regex(/^[\x21\x23-\x5b\x5d-\x7e]+(?: [\x21\x23-\x5b\x5d-\x7e]+)*$/, 'space-separated scope tokens')
    .optional(),
  redirectUri: z.url().max(TEXT_LIMITS.url).optional(),
});
export type SourceOAuth = z.infer<typeof SourceOAuthSchema>;

/**
 * Whose Authentication-Results header a mailbox's mail is judged by (RFC 8601 §5: only a header
 * the receiving side wrote may be believed): the authserv-id of the mailbox provider's, e.g.
 * `mx.google.com`, or `*` for the topmost header whatever its id (Microsoft 365 writes none, and
 * stamps its own on top of any a sender wrote). `null`: none is believed, so SPF, DKIM and DMARC
 * count as unproven (a server that writes no header of its own, such as a plain dovecot).
 */
const TrustedResultsSchema = z
  .string()
  .regex(/^(?:\*|[A-Za-z0-9][A-Za-z0-9.-]{0,252})$/, 'an authserv-id (a host name) or "*"')
  .nullable();

const common = {
  host: SmtpHostSchema,
  /** 993 (IMAP) or 995 (POP3) for `tls`, 143 or 110 otherwise, when absent. */
  port: z.number().int().min(1).max(65_535).optional(),
  /** `tls`: TLS from the first byte. `starttls`: STARTTLS/STLS before the login, required. `none`: plaintext, loopback (the sandbox) only. */
  security: z.enum(['tls', 'starttls', 'none']).default('tls'),
  user: LoginSchema,
  auth: z.enum(['password', 'oauth2']).default('password'),
  oauth: SourceOAuthSchema.optional(),
  /** `import-closed`: mail already in the mailbox at the first connection becomes closed conversations, queued nowhere and never acknowledged. `skip`: it is left alone. */
  initialSync: z.enum(['import-closed', 'skip']).default('skip'),
  /** Seconds between polls (the schedule's granularity is a minute). */
  pollSeconds: z.number().int().min(60).max(86_400).default(60),
  trustAuthenticationResults: TrustedResultsSchema.default(null),
};

export const ImapSourceSchema = z.strictObject({
  type: z.literal('imap'),
  ...common,
  folder: FolderSchema.default('INBOX'),
  handledFolder: FolderSchema.default('Handled'),
  failedFolder: FolderSchema.default('Failed'),
  /** `move` (to `handledFolder`), `delete`, or `keep` it where it is and remember it. */
  afterProcessing: z.enum(['move', 'delete', 'keep']).default('move'),
});

export const Pop3SourceSchema = z.strictObject({
  type: z.literal('pop3'),
  ...common,
  /** POP3 has no folders: `delete` it from the maildrop, or `keep` it and remember its UIDL. */
  afterProcessing: z.enum(['delete', 'keep']).default('delete'),
});

export const GraphSourceSchema = z.strictObject({
  type: z.literal('graph'),
  /** The Entra ID tenant (id or domain). */
  tenantId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,99}$/, 'a tenant id or domain'),
  /** The mailbox (user principal name or address) read. */
  mailbox: LoginSchema,
  /** `client-credentials`: the application's own permission (Mail.ReadWrite); `delegated`: an admin's consent (refresh token). */
  auth: z.enum(['client-credentials', 'delegated']).default('client-credentials'),
  clientId: LoginSchema,
  folder: FolderSchema.default('Inbox'),
  handledFolder: FolderSchema.default('Handled'),
  failedFolder: FolderSchema.default('Failed'),
  afterProcessing: z.enum(['move', 'delete', 'keep']).default('move'),
  initialSync: z.enum(['import-closed', 'skip']).default('skip'),
  pollSeconds: z.number().int().min(60).max(86_400).default(300),
  /** Exchange Online stamps its own Authentication-Results on every mail it delivers. */
  trustAuthenticationResults: TrustedResultsSchema.default('*'),
  /** Graph and sign-in endpoints; the public cloud's when absent (national clouds, the sandbox's stand-in). */
  graphUrl: z.url().max(TEXT_LIMITS.url).default('https://graph.microsoft.com/v1.0'),
  loginUrl: z.url().max(TEXT_LIMITS.url).default('https://login.microsoftonline.com'),
});

export const SesSourceSchema = z.strictObject({ type: z.literal('ses') });

/** Checks shared by the mailbox kinds: plaintext only to loopback, https endpoints (http to loopback only). */
function checkSource(source: z.infer<typeof MailSourceUnion>, ctx: z.RefinementCtx): void {
  const issue = (path: string, message: string): void => ctx.addIssue({ code: 'custom', path: [path], message });
  if (source.type === 'imap' || source.type === 'pop3') {
    if (source.security === 'none' && !LOOPBACK_HOSTS.has(source.host))
      issue('security', '"none" (plaintext) only to a loopback host, in the sandbox: use tls or starttls');
    if (source.auth === 'password' && source.oauth) issue('oauth', 'only with auth "oauth2"');
  }
  const urls: [string, string | undefined][] =
    source.type === 'graph'
      ? [
          ['graphUrl', source.graphUrl],
          ['loginUrl', source.loginUrl],
        ]
      : source.type === 'ses'
        ? []
        : [
            ['oauth.tokenUrl', source.oauth?.tokenUrl],
            ['oauth.authorizeUrl', source.oauth?.authorizeUrl],
          ];
  for (const [path, value] of urls) {
    if (!value || !URL.canParse(value)) continue;
    const url = new URL(value);
    const loopback = LOOPBACK_HOSTS.has(url.hostname.replace(/^\[|\]$/g, ''));
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) issue(path, 'must use https (http only to a loopback host, in the sandbox)');
    if (url.username || url.password || url.hash) issue(path, 'must carry no credentials or fragment');
  }
}

const MailSourceUnion = z.discriminatedUnion('type', [SesSourceSchema, ImapSourceSchema, Pop3SourceSchema, GraphSourceSchema]);

export const MailSourceSchema = MailSourceUnion.superRefine(checkSource).transform((s) => {
  if (s.type === 'imap' || s.type === 'pop3') {
    const tlsPort = s.type === 'imap' ? 993 : 995;
    const plainPort = s.type === 'imap' ? 143 : 110;
    return { ...s, port: s.port ?? (s.security === 'tls' ? tlsPort : plainPort) };
  }
  return s;
});
export type MailSource = z.infer<typeof MailSourceSchema>;
export type MailboxSource = Exclude<MailSource, { type: 'ses' }>;
export type ImapSource = Extract<MailSource, { type: 'imap' }>;
export type Pop3Source = Extract<MailSource, { type: 'pop3' }>;
export type GraphSource = Extract<MailSource, { type: 'graph' }>;

/** True for a channel that reads a mailbox (it is polled) rather than receiving through SES. */
export function isMailboxSource(source: MailSource | undefined): source is MailboxSource {
  return source !== undefined && source.type !== 'ses';
}
