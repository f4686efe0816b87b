import { NotFoundError, PolicyError, ValidationError } from '../errors.ts';
import type { z } from 'zod';
import { SignatureSchema, TemplateSchema, type Signature, type Template } from '../model/admin-resources.ts';
import type { AgentStore, ChannelStore, Page, PageRequest, SignatureStore, TemplateStoreFactory, Versioned } from '../ports/admin.ts';
import type { HtmlSanitizer } from '../ports/html.ts';
import { checkHtmlDepth, MAX_HTML_DEPTH } from '../outbound/compose/html-depth.ts';
import { contentOf } from '../outbound/compose/plan-parts.ts';
import { renderBodies, renderSignature, type RenderedBodies } from '../outbound/compose/render-bodies.ts';
import { mailTemplateOf } from '../outbound/compose/reply-template.ts';
import { parseOrThrow, validationIssues } from '../validation.ts';
import { changedFields, recordChange, type AdminRequest, type AuditDeps } from './admin-context.ts';
import { channelOf } from './rule-admin.ts';

export interface TemplateAdminDeps extends AuditDeps {
  readonly channels: ChannelStore;
  readonly templates: TemplateStoreFactory;
  readonly signatures: SignatureStore;
  /** The agents resource: a preview's `{{agentName}}` is the agent's display name, as in their replies. */
  readonly agents: AgentStore;
  /** The HTML sanitizer, built on first use (it is heavy for a cold start). */
  readonly sanitizer: () => Promise<HtmlSanitizer>;
}

/**
 * Stored HTML deeper than the limit (written before there was one) is not given to the sanitizer,
 * whose work grows with the depth: a `PolicyError` (422) saying to replace it.
 */
function assertShallow(html: string, what: string): void {
  if (checkHtmlDepth(html, 'html').length > 0) {
    throw new PolicyError('policy', `${what} nests more than ${MAX_HTML_DEPTH} elements deep; replace it (PUT) with flatter HTML`);
  }
}

/** A template with its HTML sanitized as a mail document. */
function sanitizedTemplate(sanitizer: HtmlSanitizer, template: Template): Template {
  assertShallow(template.html, `the stored template ${template.name}`);
  return { ...template, html: sanitizer.document(template.html) };
}

/** A signature with its HTML sanitized as a fragment. */
function sanitizedSignature(sanitizer: HtmlSanitizer, signature: Signature): Signature {
  assertShallow(signature.html, 'the stored signature');
  return { ...signature, html: signature.html === '' ? '' : sanitizer.fragment(signature.html) };
}

/**
 * What sanitizing left, checked against the same schema as what was given: escaping can make it
 * longer (`&` becomes `&amp;`), and entities can become placeholders (`&#123;&#123;` is `{{`). A
 * value stored over a limit would fail every later read and reply, so it is refused here, each
 * issue naming its field "… after sanitizing".
 */
function checkSanitized<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = validationIssues(result.error).map((i) => ({ path: i.path, message: `${i.message} (after sanitizing)` }));
  throw new ValidationError(`${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}

const readAs = <T>(stored: Versioned<T>, value: T): Versioned<T> => ({ ...stored, value });

/**
 * Creates or replaces a channel's template: create without `If-Match`, replace with it. The HTML
 * is stored sanitized; the template is checked before and after (`ValidationError` on `html` or
 * `text` naming every unknown placeholder, one inside a tag or attribute value, a missing
 * `{{body}}` — also one that only stood inside markup sanitizing removed —, a length over the
 * limit or nesting too deep).
 */
export async function putTemplate(
  deps: TemplateAdminDeps,
  request: AdminRequest,
  channelId: string,
  name: string,
  input: unknown,
  expectedVersion: number | null,
): Promise<Versioned<Template>> {
  await channelOf(deps, channelId);
  const given = parseOrThrow(TemplateSchema, { ...(input as object), name }, 'template');
  const template = checkSanitized(TemplateSchema, sanitizedTemplate(await deps.sanitizer(), given), 'template');
  const store = deps.templates(channelId);
  const at = deps.clock.now().toISOString();
  const before = expectedVersion === null ? null : await store.get(name);
  const stored = expectedVersion === null ? await store.create(name, template, at) : await store.replace(name, template, expectedVersion, at);
  const action = expectedVersion === null ? 'template.create' : 'template.update';
  await recordChange(deps, request, action, { type: 'template', id: `${channelId}/${name}` }, changedFields(before?.value ?? null, template));
  return stored;
}

/** A channel's template as stored, sanitized again on the way out (a stored value is never trusted to be clean). */
export async function readTemplate(deps: TemplateAdminDeps, channelId: string, name: string): Promise<Versioned<Template>> {
  const stored = await deps.templates(channelId).get(name);
  if (!stored) throw new NotFoundError(`channel ${channelId} has no template ${name}`);
  return readAs(stored, sanitizedTemplate(await deps.sanitizer(), stored.value));
}

/** A page of a channel's templates, each sanitized on the way out. */
export async function listTemplates(deps: TemplateAdminDeps, channelId: string, page: PageRequest): Promise<Page<Versioned<Template>>> {
  await channelOf(deps, channelId);
  const found = await deps.templates(channelId).list(page);
  const sanitizer = await deps.sanitizer();
  return { ...found, items: found.items.map((t) => readAs(t, sanitizedTemplate(sanitizer, t.value))) };
}

export async function deleteTemplate(deps: TemplateAdminDeps, request: AdminRequest, channelId: string, name: string, expectedVersion: number): Promise<void> {
  await deps.templates(channelId).delete(name, expectedVersion);
  await recordChange(deps, request, 'template.delete', { type: 'template', id: `${channelId}/${name}` });
}

/**
 * Creates or replaces an agent's signature; its HTML is stored sanitized, checked before and after
 * (length, nesting, no placeholders). Every later reply of the agent carries it.
 */
export async function putSignature(
  deps: TemplateAdminDeps,
  request: AdminRequest,
  agentId: string,
  input: unknown,
  expectedVersion: number | null,
): Promise<Versioned<Signature>> {
  // A signature belongs to an agent: none is kept for an id that names nobody.
  if (!(await deps.agents.get(agentId))) throw new NotFoundError(`agent ${agentId} not found`);
  const given = parseOrThrow(SignatureSchema, input, 'signature');
  const signature = checkSanitized(SignatureSchema, sanitizedSignature(await deps.sanitizer(), given), 'signature');
  const at = deps.clock.now().toISOString();
  const before = expectedVersion === null ? null : await deps.signatures.get(agentId);
  const stored =
    expectedVersion === null ? await deps.signatures.create(agentId, signature, at) : await deps.signatures.replace(agentId, signature, expectedVersion, at);
  const action = expectedVersion === null ? 'signature.create' : 'signature.update';
  await recordChange(deps, request, action, { type: 'signature', id: agentId }, changedFields(before?.value ?? null, signature));
  return stored;
}

/** An agent's signature as stored, sanitized again on the way out. */
export async function readSignature(deps: TemplateAdminDeps, agentId: string): Promise<Versioned<Signature>> {
  const stored = await deps.signatures.get(agentId);
  if (!stored) throw new NotFoundError(`agent ${agentId} has no signature`);
  return readAs(stored, sanitizedSignature(await deps.sanitizer(), stored.value));
}

export async function deleteSignature(deps: TemplateAdminDeps, request: AdminRequest, agentId: string, expectedVersion: number): Promise<void> {
  await deps.signatures.delete(agentId, expectedVersion);
  await recordChange(deps, request, 'signature.delete', { type: 'signature', id: agentId });
}

export interface PreviewInput {
  readonly text: string;
  /** The agent whose stored signature and display name (`{{agentName}}`) the preview carries; none when absent. */
  readonly agentId?: string | undefined;
  /** For `{{agentName}}` when no agent is named; with `agentId`, the agent's display name is used, as their replies do. */
  readonly agentName?: string | undefined;
  readonly ticketNumber?: string | undefined;
  /** For `{{subject}}`. */
  readonly subject?: string | undefined;
}

/**
 * A reply as the customer would get it: the channel's template around the text, the agent's
 * stored signature and display name (from the agents resource, as a reply takes it), put together
 * by the planner's `contentOf` and rendered by `renderBodies`, the functions that build the HTML
 * and text of every sent reply. The preview is the mail body. An unknown `agentId` is a
 * `ValidationError` naming it.
 */
export async function previewTemplate(deps: TemplateAdminDeps, channelId: string, name: string, input: PreviewInput): Promise<RenderedBodies> {
  const channel = (await channelOf(deps, channelId)).value;
  const template = await deps.templates(channelId).get(name);
  if (!template) throw new NotFoundError(`channel ${channelId} has no template ${name}`);
  let agentName = input.agentName ?? '';
  let signature: Signature | null = null;
  if (input.agentId) {
    const [agent, stored] = await Promise.all([deps.agents.get(input.agentId), deps.signatures.get(input.agentId)]);
    if (!agent) throw new ValidationError(`agentId: no agent ${input.agentId}`, [{ path: 'agentId', message: `no agent ${input.agentId}` }]);
    agentName = agent.value.displayName;
    signature = stored?.value ?? null;
  }
  const conversation = { id: 'preview', ticketNumber: input.ticketNumber ?? '0000000', replyToken: null };
  const content = contentOf(channel, channel, conversation, {
    agentId: input.agentId ?? '',
    agentName,
    text: input.text,
    html: null,
    cc: [],
    bcc: [],
    attachments: [],
    template: mailTemplateOf(template.value),
    signature,
  });
  return renderBodies(content, input.subject ?? '', await deps.sanitizer());
}

/** An agent's stored signature on its own, in both forms, as a reply carries it (`renderSignature`). */
export async function previewSignature(deps: TemplateAdminDeps, agentId: string): Promise<RenderedBodies> {
  const signature = await deps.signatures.get(agentId);
  if (!signature) throw new NotFoundError(`agent ${agentId} has no signature`);
  assertShallow(signature.value.html, 'the stored signature');
  const blank = (s: string): string | null => (s.trim() === '' ? null : s);
  return renderSignature({ html: blank(signature.value.html), text: blank(signature.value.text) }, await deps.sanitizer());
}
