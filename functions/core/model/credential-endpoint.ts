import { oauthEndpoints, type SmtpTransportSettings } from './transport-settings.ts';

/** One setting a stored secret is used with, by its path in the channel. */
export type EndpointField =
  | 'smtp.host'
  | 'smtp.port'
  | 'smtp.security'
  | 'smtp.forceTls'
  | 'smtp.auth.type'
  | 'smtp.auth.user'
  | 'smtp.auth.provider'
  | 'smtp.auth.tenant'
  | 'smtp.auth.tokenUrl'
  | 'smtp.auth.authorizeUrl'
  | 'smtp.auth.clientId'
  | 'smtp.auth.scope';

/**
 * The settings a channel's secrets are used with, in a fixed order: where they go (host, port,
 * implicit TLS or STARTTLS, Force TLS) and as whom (auth type and user; for OAuth 2.0 the
 * provider, tenant, token and authorize URLs, client id and scope, with presets applied). A
 * secret belongs to exactly these values: change one and it is cleared, and a ciphertext made
 * for other values does not decrypt (`credentialEndpointKey` is part of its encryption context).
 */
export function credentialEndpoint(settings: SmtpTransportSettings): ReadonlyMap<EndpointField, string | number | boolean | null> {
  const { auth } = settings;
  const fields = new Map<EndpointField, string | number | boolean | null>([
    ['smtp.host', settings.host],
    ['smtp.port', settings.port],
    ['smtp.security', settings.security],
    ['smtp.forceTls', settings.forceTls],
    ['smtp.auth.type', auth.type],
    ['smtp.auth.user', auth.user],
  ]);
  if (auth.type === 'oauth2') {
    const endpoints = oauthEndpoints(auth);
    fields.set('smtp.auth.provider', auth.provider);
    fields.set('smtp.auth.tenant', auth.tenant ?? null);
    fields.set('smtp.auth.tokenUrl', endpoints.tokenUrl);
    fields.set('smtp.auth.authorizeUrl', endpoints.authorizeUrl);
    fields.set('smtp.auth.clientId', auth.clientId);
    fields.set('smtp.auth.scope', endpoints.scope);
  }
  return fields;
}

/**
 * `credentialEndpoint` as one canonical string (versioned, fixed order, JSON-escaped). The
 * cipher binds a hash of it into every ciphertext; it holds no secret.
 */
export function credentialEndpointKey(settings: SmtpTransportSettings): string {
  return `v1:${JSON.stringify([...credentialEndpoint(settings)])}`;
}

/**
 * The endpoint settings that differ between two versions of a channel's SMTP settings; every
 * field of the side that has settings when only one has. Empty: the stored secrets still apply.
 */
export function endpointChanges(before: SmtpTransportSettings | null | undefined, after: SmtpTransportSettings | null | undefined): EndpointField[] {
  if (!before && !after) return [];
  const a = before ? credentialEndpoint(before) : new Map<EndpointField, unknown>();
  const b = after ? credentialEndpoint(after) : new Map<EndpointField, unknown>();
  const fields = new Set<EndpointField>([...a.keys(), ...b.keys()]);
  if (!before || !after) return [...fields];
  return [...fields].filter((f) => a.get(f) !== b.get(f));
}
