import { NotFoundError } from '../errors.ts';
import { SignatureSchema, TemplateSchema, type Signature, type Template } from '../model/admin-resources.ts';
import type { ChannelStore, SignatureStore, TemplateStoreFactory, Versioned } from '../ports/admin.ts';
import { parseOrThrow } from '../validation.ts';
import { changedFields, recordChange, type AdminRequest, type AuditDeps } from './admin-context.ts';
import { escapeHtml, renderHtml, renderText, textToHtml } from './render-template.ts';
import { channelOf } from './rule-admin.ts';

export interface TemplateAdminDeps extends AuditDeps {
  readonly channels: ChannelStore;
  readonly templates: TemplateStoreFactory;
  readonly signatures: SignatureStore;
}

/** Creates or replaces a channel's template: create without `If-Match`, replace with it. */
export async function putTemplate(deps: TemplateAdminDeps, request: AdminRequest, channelId: string, name: string, input: unknown, expectedVersion: number | null): Promise<Versioned<Template>> {
  await channelOf(deps, channelId);
  const template = parseOrThrow(TemplateSchema, { ...(input as object), name }, 'template');
  const store = deps.templates(channelId);
  const at = deps.clock.now().toISOString();
  const before = expectedVersion === null ? null : await store.get(name);
  const stored = expectedVersion === null ? await store.create(name, template, at) : await store.replace(name, template, expectedVersion, at);
  await recordChange(deps, request, expectedVersion === null ? 'template.create' : 'template.update', { type: 'template', id: `${channelId}/${name}` }, changedFields(before?.value ?? null, template));
  return stored;
}

export async function deleteTemplate(deps: TemplateAdminDeps, request: AdminRequest, channelId: string, name: string, expectedVersion: number): Promise<void> {
  await deps.templates(channelId).delete(name, expectedVersion);
  await recordChange(deps, request, 'template.delete', { type: 'template', id: `${channelId}/${name}` });
}

export async function putSignature(deps: TemplateAdminDeps, request: AdminRequest, agentId: string, input: unknown, expectedVersion: number | null): Promise<Versioned<Signature>> {
  const signature = parseOrThrow(SignatureSchema, input, 'signature');
  const at = deps.clock.now().toISOString();
  const before = expectedVersion === null ? null : await deps.signatures.get(agentId);
  const stored = expectedVersion === null ? await deps.signatures.create(agentId, signature, at) : await deps.signatures.replace(agentId, signature, expectedVersion, at);
  await recordChange(deps, request, expectedVersion === null ? 'signature.create' : 'signature.update', { type: 'signature', id: agentId }, changedFields(before?.value ?? null, signature));
  return stored;
}

export async function deleteSignature(deps: TemplateAdminDeps, request: AdminRequest, agentId: string, expectedVersion: number): Promise<void> {
  await deps.signatures.delete(agentId, expectedVersion);
  await recordChange(deps, request, 'signature.delete', { type: 'signature', id: agentId });
}

export interface PreviewInput {
  readonly text: string;
  readonly agentId?: string | undefined;
  readonly ticketNumber?: string | undefined;
}

/** A reply as the customer would see it: the channel's template around the text and the agent's signature. */
export async function previewTemplate(deps: TemplateAdminDeps, channelId: string, name: string, input: PreviewInput): Promise<{ readonly html: string; readonly text: string }> {
  const channel = (await channelOf(deps, channelId)).value;
  const template = await deps.templates(channelId).get(name);
  if (!template) throw new NotFoundError(`channel ${channelId} has no template ${name}`);
  const signature = input.agentId ? (await deps.signatures.get(input.agentId))?.value ?? null : null;
  const common = { ticketNumber: input.ticketNumber ?? '0000000', channelName: channel.name || channel.address, agentId: input.agentId ?? '' };
  const html = renderHtml(template.value.html, { ...common, content: textToHtml(input.text), signature: signature?.html || textToHtml(signature?.text ?? '') });
  const text = renderText(template.value.text ?? '{{{content}}}\n\n{{{signature}}}', { ...common, content: input.text, signature: signature?.text ?? '' });
  return { html, text: text.trimEnd() };
}

/** An agent's signature on its own, in both forms. */
export async function previewSignature(deps: TemplateAdminDeps, agentId: string): Promise<{ readonly html: string; readonly text: string }> {
  const signature = await deps.signatures.get(agentId);
  if (!signature) throw new NotFoundError(`agent ${agentId} has no signature`);
  return { html: signature.value.html || (signature.value.text ? `<p>${escapeHtml(signature.value.text)}</p>` : ''), text: signature.value.text };
}
