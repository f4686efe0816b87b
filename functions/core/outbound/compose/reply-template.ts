import { ValidationError } from '../../errors.ts';
import type { Signature, Template } from '../../model/admin-resources.ts';
import type { ChannelSettings } from '../../model/channel.ts';
import type { VersionedStore } from '../../ports/admin.ts';
import { channelTemplate } from './plan-parts.ts';
import type { MailTemplate } from './render-template.ts';

/** Where a reply's template and signature come from: the stores the admin API writes. */
export interface ReplyLayoutStores {
  /** A channel's templates, by name. */
  readonly templates: (channelId: string) => Pick<VersionedStore<Template>, 'get'>;
  /** Agents' signatures, by agent id. */
  readonly signatures: Pick<VersionedStore<Signature>, 'get'>;
}

/** The stored template a reply that names none is rendered with. */
export const DEFAULT_TEMPLATE_NAME = 'default';

/** A stored template as the renderer takes it. */
export function mailTemplateOf(template: Template): MailTemplate {
  return { html: template.html, text: template.text ?? null };
}

/**
 * The template of a reply, in this order: the stored template the reply names; else the
 * channel's stored `default` template; else the channel's inline `outbound.template`; else the
 * built-in layout. A name the channel has no template for is a `ValidationError` on `template`
 * (400): the reply asked for a layout that does not exist, and sending it in another would be a
 * surprise to the customer and the agent.
 */
export async function chooseTemplate(stores: ReplyLayoutStores, channel: ChannelSettings, name: string | undefined): Promise<MailTemplate> {
  const store = stores.templates(channel.id);
  if (name !== undefined) {
    const named = await store.get(name);
    if (!named) {
      const message = `channel ${channel.id} has no template ${name}; leave template out for the channel's default`;
      throw new ValidationError(`template: ${message}`, [{ path: 'template', message }]);
    }
    return mailTemplateOf(named.value);
  }
  const stored = await store.get(DEFAULT_TEMPLATE_NAME);
  return stored ? mailTemplateOf(stored.value) : channelTemplate(channel);
}

/**
 * The signature a reply carries: the one the request gives (the `postroom reply` command may),
 * else the replying agent's stored signature, else none. The API's reply body cannot give one,
 * so a reply through the API always carries its agent's own.
 */
export async function replySignature(stores: ReplyLayoutStores, agentId: string, given: Signature | undefined): Promise<Signature | null> {
  if (given !== undefined) return given;
  return (await stores.signatures.get(agentId))?.value ?? null;
}
