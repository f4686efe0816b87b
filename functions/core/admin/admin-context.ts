import type { Actor } from '../model/admin-resources.ts';
import type { Caller } from '../model/agent.ts';
import type { Clock, IdGenerator } from '../ports/clock.ts';
import type { AuditLog, Page, PageRequest } from '../ports/admin.ts';

/** Who asks, and the request's id for the audit record. */
export interface AdminRequest {
  readonly actor: Actor;
  readonly requestId: string | null;
  /** The agent the identity resolved to: what they may see and do. */
  readonly caller: Caller;
}

/** What every admin use case needs to stamp and record a change. */
export interface AuditDeps {
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

/** Records one change: who, when, what (field names, never values). */
export async function recordChange(
  deps: AuditDeps,
  request: AdminRequest,
  action: string,
  resource: { readonly type: string; readonly id: string },
  fields: readonly string[] = [],
  extra: { readonly onBehalfOf?: string } = {},
): Promise<void> {
  await deps.audit.append({
    id: deps.ids.next(),
    at: deps.clock.now().toISOString(),
    actor: request.actor,
    action,
    resource: { ...resource },
    fields: [...fields].sort(),
    requestId: request.requestId,
    ...(extra.onBehalfOf ? { onBehalfOf: extra.onBehalfOf } : {}),
  });
}

/** Top-level fields whose values differ between two versions of a resource. */
export function changedFields(before: object | null, after: object | null): string[] {
  const a = (before ?? {}) as Record<string, unknown>;
  const b = (after ?? {}) as Record<string, unknown>;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}

/** Every item of a paged list (for the few, small lists: channels and skills). */
export async function everything<T>(list: (page: PageRequest) => Promise<Page<T>>, max = 10_000): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await list({ limit: 100, cursor });
    out.push(...page.items);
    cursor = page.cursor ?? undefined;
  } while (cursor && out.length < max);
  return out;
}
