import { ConflictError, NotFoundError, ValidationError, type ValidationIssue } from '../errors.ts';
import { ChannelResourceSchema, type ChannelResource, type SecretKind } from '../model/admin-resources.ts';
import { channelEndpointChanges } from '../model/channel-credentials.ts';
import { isMailboxSource } from '../model/mail-source.ts';
import type { ChannelStore, ConversationAdmin, CredentialStore, ReceiptRules, SkillStore, Versioned } from '../ports/admin.ts';
import { isSafeDisplayName } from '../outbound/compose/header-safety.ts';
import { parseOrThrow } from '../validation.ts';
import { changedFields, everything, recordChange, type AdminRequest, type AuditDeps } from './admin-context.ts';
import { clearCredentials } from './clear-credentials.ts';
import { channelCalendarIssues, type CalendarStore } from './calendar-admin.ts';

export interface ChannelAdminDeps extends AuditDeps {
  readonly channels: ChannelStore;
  readonly skills: SkillStore;
  readonly receipt: ReceiptRules;
  /** Domains the mail service receives for; a channel address must be in one. Empty: any domain. */
  readonly domains: readonly string[];
  /** Secrets of the channels' SMTP logins: cleared when the settings they are used with change. */
  readonly credentials: CredentialStore;
  /** A channel with open conversations is not deleted. */
  readonly conversations: ConversationAdmin;
  /** The calendar a channel's `sla` names must exist (`always` is built in); unchecked without. */
  readonly calendars?: CalendarStore;
}

/** A channel as written, and the secrets the write cleared because their endpoint settings changed. */
export type ChannelWrite = Versioned<ChannelResource> & { readonly credentialsCleared: readonly SecretKind[] };

/**
 * Creates a channel and makes its addresses receive mail at once (no redeploy): the receipt
 * rule first, so a channel that exists always receives. `ConflictError` when the id is taken.
 */
export async function createChannel(deps: ChannelAdminDeps, request: AdminRequest, input: unknown): Promise<Versioned<ChannelResource>> {
  const channel = parseOrThrow(ChannelResourceSchema, input, 'channel');
  await checkChannel(deps, channel);
  await receive(deps, channel);
  const stored = await deps.channels.create(channel.id, channel, now(deps));
  await recordChange(deps, request, 'channel.create', { type: 'channel', id: channel.id }, Object.keys(channel));
  await recordForceTlsOff(deps, request, null, channel);
  return stored;
}

/**
 * Replaces a channel's settings at the version the caller read (`If-Match`). When a setting its
 * secrets are used with changes (SMTP host, port, security, Force TLS, user, auth type, OAuth
 * client, endpoints, tenant, scope), the stored secrets are cleared and the answer names them.
 */
export async function replaceChannel(
  deps: ChannelAdminDeps,
  request: AdminRequest,
  id: string,
  input: unknown,
  expectedVersion: number,
  action = 'channel.update',
): Promise<ChannelWrite> {
  const current = await deps.channels.get(id);
  if (!current) throw new NotFoundError(`channel ${id} not found`);
  refuseOtherId(input, id);
  const channel = parseOrThrow(ChannelResourceSchema, { ...(input as object), id }, 'channel');
  await checkChannel(deps, channel);
  const addressesChanged = changedFields(pick(current.value), pick(channel)).length > 0;
  // Rule first when addresses are added, so the new ones receive from the moment the API says so.
  if (addressesChanged || isMailboxSource(current.value.source) !== isMailboxSource(channel.source)) await receive(deps, channel);
  const stored = await deps.channels.replace(id, channel, expectedVersion, now(deps));
  await recordChange(deps, request, action, { type: 'channel', id }, changedFields(current.value, channel));
  await recordForceTlsOff(deps, request, current.value, channel);
  const changes = channelEndpointChanges(current.value, channel);
  const credentialsCleared = changes.length > 0 ? await clearCredentials(deps, request, id, changes) : [];
  return { ...stored, credentialsCleared };
}

/** Merges top-level fields into the stored channel (JSON merge patch of one level), then replaces it. */
export async function patchChannel(
  deps: ChannelAdminDeps,
  request: AdminRequest,
  id: string,
  patch: Record<string, unknown>,
  expectedVersion: number,
): Promise<ChannelWrite> {
  const current = await deps.channels.get(id);
  if (!current) throw new NotFoundError(`channel ${id} not found`);
  refuseOtherId(patch, id);
  const merged: Record<string, unknown> = { ...current.value };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null && key !== 'allowedAttachmentExtensions') delete merged[key];
    else merged[key] = value;
  }
  return replaceChannel(deps, request, id, merged, expectedVersion);
}

/**
 * Deletes a channel: its item first (no more routing), then its receipt rule and its secrets.
 * Refused (`ConflictError`) for a channel the deploy config seeds (a redeploy would bring it
 * back) and for one with open conversations (their answers would have nowhere to go).
 */
export async function deleteChannel(deps: ChannelAdminDeps, request: AdminRequest, id: string, expectedVersion: number): Promise<void> {
  const current = await deps.channels.get(id);
  if (!current) throw new NotFoundError(`channel ${id} not found`);
  if (current.managedBy === 'config') {
    throw new ConflictError(`channel ${id} is seeded by the deploy config: disable it instead, or remove it from the config and redeploy`);
  }
  if (await hasOpenConversations(deps, id)) {
    throw new ConflictError(`channel ${id} has open conversations: disable it instead, or close them first`);
  }
  await deps.channels.delete(id, expectedVersion);
  await deps.receipt.remove(id);
  await clearCredentials(deps, request, id, 'deleted');
  await recordChange(deps, request, 'channel.delete', { type: 'channel', id });
}

async function hasOpenConversations(deps: Pick<ChannelAdminDeps, 'conversations'>, channelId: string): Promise<boolean> {
  let cursor: string | undefined;
  do {
    // A page may come back empty with a cursor (the store filters after reading): go on.
    const page = await deps.conversations.list({ channelId, status: 'open' }, { limit: 100, cursor });
    if (page.items.length > 0) return true;
    cursor = page.cursor ?? undefined;
  } while (cursor);
  return false;
}

/** Turning Force TLS off lets a server without STARTTLS get mail (and the login) in clear: its own audit record. */
async function recordForceTlsOff(deps: AuditDeps, request: AdminRequest, before: ChannelResource | null, after: ChannelResource): Promise<void> {
  if (after.smtp?.forceTls === false && before?.smtp?.forceTls !== false) {
    await recordChange(deps, request, 'channel.force-tls-off', { type: 'channel', id: after.id }, ['smtp.forceTls']);
  }
}

/** The skills a channel names, with the field that names each. */
export function skillReferences(channel: ChannelResource): { readonly field: string; readonly skill: string }[] {
  return [
    { field: 'defaultSkill', skill: channel.defaultSkill },
    ...(channel.spamSkill ? [{ field: 'spamSkill', skill: channel.spamSkill }] : []),
    ...channel.routing.map((r, i) => ({ field: `routing[${i}].skill`, skill: r.skill })),
  ];
}

/**
 * Makes the channel receive: an SES receipt rule for its addresses, or none for a channel that
 * reads its own mailbox (its address need not be on a domain SES receives for).
 */
async function receive(deps: Pick<ChannelAdminDeps, 'receipt'>, channel: ChannelResource): Promise<void> {
  if (isMailboxSource(channel.source)) await deps.receipt.remove(channel.id);
  else await deps.receipt.put(channel);
}

/** What the schema cannot see: skills that exist, addresses no other channel owns, configured domains, unique rule names. */
async function checkChannel(deps: ChannelAdminDeps, channel: ChannelResource): Promise<void> {
  const issues: ValidationIssue[] = [];
  const skills = new Set((await everything((p) => deps.skills.list(p))).map((s) => s.value.name));
  for (const { field, skill } of skillReferences(channel)) {
    if (!skills.has(skill)) issues.push({ path: field, message: `no skill ${skill}: create it first (POST /skills)` });
  }
  const others = (await everything((p) => deps.channels.list(p))).filter((c) => c.value.id !== channel.id);
  const addresses = [channel.address, ...channel.aliases];
  const onOurDomains = (address: string, field: string) => {
    const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
    if (deps.domains.length > 0 && !deps.domains.some((d) => d.toLowerCase() === domain)) {
      issues.push({ path: field, message: `${domain} is not a domain this installation receives for (${deps.domains.join(', ')})` });
    }
  };
  addresses.forEach((address, i) => {
    const field = i === 0 ? 'address' : `aliases[${i - 1}]`;
    const owner = others.find((c) => [c.value.address, ...c.value.aliases].includes(address));
    if (owner) issues.push({ path: field, message: `${address} belongs to channel ${owner.value.id}` });
    // `local+TOKEN@domain` carries a conversation's reply token: such an address belongs to the channel of `local@domain`.
    if (address.slice(0, address.lastIndexOf('@')).includes('+'))
      issues.push({ path: field, message: 'no "+" in a channel address: plus addresses carry reply tokens' });
    if (!isMailboxSource(channel.source)) onOurDomains(address, field);
  });
  // A From address sends as this installation: it must be on a domain it owns (and signs for).
  channel.allowedFrom.forEach((from, i) => {
    onOurDomains(from.address, `allowedFrom[${i}].address`);
  });
  // The names From and Reply-To show: one the sender refuses (an address in it, `<…>`) would fail every mail of the channel.
  const names = [['name', channel.name], ['displayName', channel.displayName], ...channel.allowedFrom.map((f, i) => [`allowedFrom[${i}].name`, f.name])];
  for (const [path = '', name = ''] of names) {
    if (!isSafeDisplayName(name.trim())) issues.push({ path, message: 'a display name cannot hold an angle bracket, or an @ together with , or ;' });
  }
  const seen = new Set<string>();
  channel.routing.forEach((rule, i) => {
    if (seen.has(rule.name)) issues.push({ path: `routing[${i}].name`, message: `another rule is named ${rule.name}` });
    seen.add(rule.name);
  });
  issues.push(...(await channelCalendarIssues(deps.calendars, channel)));
  if (issues.length > 0) throw new ValidationError(`channel: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}

/** The path names the channel: a body naming another id is refused, never silently ignored. */
function refuseOtherId(input: unknown, id: string): void {
  const given = typeof input === 'object' && input !== null ? (input as { id?: unknown }).id : undefined;
  if (given !== undefined && given !== id) {
    throw new ValidationError(`id: the path names channel ${id}; a channel's id cannot change`, [
      { path: 'id', message: `cannot change; the path names channel ${id}` },
    ]);
  }
}

function pick(channel: ChannelResource): { address: string; aliases: readonly string[] } {
  return { address: channel.address, aliases: channel.aliases };
}

function now(deps: AuditDeps): string {
  return deps.clock.now().toISOString();
}
