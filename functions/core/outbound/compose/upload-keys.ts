/*
 * Where reply attachments live in the mail bucket. The outbound function reads only below
 * `outbound/uploads/`; below it, each agent's uploads have their own prefix, so a reply can be held
 * to the files its agent uploaded, and forwarded attachments of inbound mail are staged apart.
 */

/** Everything the outbound function may attach is below this prefix. */
export const UPLOAD_PREFIX = 'outbound/uploads/';

/** Where `POST /attachments` puts an agent's uploads: `outbound/uploads/agents/<agentId>/`. */
export function agentUploadPrefix(agentId: string): string {
  return `${UPLOAD_PREFIX}agents/${encodeURIComponent(agentId)}/`;
}

/** Where a forwarded attachment of a channel's inbound mail is copied when a reply is queued. */
export function stagedUploadPrefix(channelId: string): string {
  return `${UPLOAD_PREFIX}staged/${encodeURIComponent(channelId)}/`;
}

/** True when `key` is one of the uploads of one of `agentIds`. */
export function isUploadOf(key: string, agentIds: readonly string[]): boolean {
  return agentIds.some((id) => key.startsWith(agentUploadPrefix(id)));
}
