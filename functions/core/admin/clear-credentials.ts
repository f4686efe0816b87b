import type { SecretKind } from '../model/admin-resources.ts';
import type { CredentialStore } from '../ports/admin.ts';
import { recordChange, type AdminRequest, type AuditDeps } from './admin-context.ts';

/**
 * Forgets every stored secret (and pending OAuth consent) of a channel whose endpoint settings
 * changed or that is gone, marks its credentials `unset`, and records in the audit log which
 * secrets went and why. Returns the kinds that were set. Runs after the channel was written:
 * until then the old secrets decrypt only for the old settings, so no order of failures lets
 * a secret reach the new endpoint.
 */
export async function clearCredentials(
  deps: AuditDeps & { readonly credentials: CredentialStore },
  request: AdminRequest,
  channelId: string,
  because: readonly string[] | 'deleted',
): Promise<SecretKind[]> {
  if (!(await deps.credentials.get(channelId))) return [];
  const detail = because === 'deleted' ? 'cleared: the channel was deleted' : `cleared: ${because.join(', ')} changed; set the credentials again`;
  const cleared = await deps.credentials.clear(channelId, { status: 'unset', checkedAt: deps.clock.now().toISOString(), detail });
  if (cleared.length > 0) {
    const fields = because === 'deleted' ? cleared : [...cleared, ...because];
    await recordChange(deps, request, 'credentials.clear', { type: 'channel-credentials', id: channelId }, fields);
  }
  return cleared;
}
