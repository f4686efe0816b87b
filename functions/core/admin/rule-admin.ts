import { NotFoundError, ValidationError } from '../errors.ts';
import type { ChannelResource } from '../model/admin-resources.ts';
import { RoutingRuleSchema, type RoutingRule } from '../model/channel.ts';
import type { Versioned } from '../ports/admin.ts';
import { parseOrThrow } from '../validation.ts';
import type { AdminRequest } from './admin-context.ts';
import { replaceChannel, type ChannelAdminDeps } from './channel-admin.ts';

/**
 * A channel's routing rules, in the order they are tried (first match wins, else the default
 * skill). They are part of the channel, so they share its version: `If-Match` takes the channel's ETag.
 */
export async function channelOf(deps: Pick<ChannelAdminDeps, 'channels'>, channelId: string): Promise<Versioned<ChannelResource>> {
  const channel = await deps.channels.get(channelId);
  if (!channel) throw new NotFoundError(`channel ${channelId} not found`);
  return channel;
}

/** Replaces the whole ordered list. */
export async function replaceRules(
  deps: ChannelAdminDeps,
  request: AdminRequest,
  channelId: string,
  rules: readonly unknown[],
  expectedVersion: number,
): Promise<Versioned<ChannelResource>> {
  const channel = await channelOf(deps, channelId);
  return replaceChannel(deps, request, channelId, { ...channel.value, routing: rules }, expectedVersion, 'rules.replace');
}

/** Inserts one rule at `position` (0 = tried first; default: last). */
export async function addRule(
  deps: ChannelAdminDeps,
  request: AdminRequest,
  channelId: string,
  input: unknown,
  position: number | undefined,
  expectedVersion: number,
): Promise<Versioned<ChannelResource>> {
  const rule = parseOrThrow(RoutingRuleSchema, input, 'rule');
  const channel = await channelOf(deps, channelId);
  const rules: RoutingRule[] = [...channel.value.routing];
  const at = position ?? rules.length;
  if (at < 0 || at > rules.length) throw new ValidationError(`position: 0 to ${rules.length}`, [{ path: 'position', message: `must be 0 to ${rules.length}` }]);
  rules.splice(at, 0, rule);
  return replaceChannel(deps, request, channelId, { ...channel.value, routing: rules }, expectedVersion, 'rules.add');
}

/** Removes the rule named `name`. */
export async function deleteRule(
  deps: ChannelAdminDeps,
  request: AdminRequest,
  channelId: string,
  name: string,
  expectedVersion: number,
): Promise<Versioned<ChannelResource>> {
  const channel = await channelOf(deps, channelId);
  if (!channel.value.routing.some((r) => r.name === name)) throw new NotFoundError(`channel ${channelId} has no rule ${name}`);
  const rules = channel.value.routing.filter((r) => r.name !== name);
  return replaceChannel(deps, request, channelId, { ...channel.value, routing: rules }, expectedVersion, 'rules.delete');
}
