import { SlaStateSchema, type SlaRecord, type SlaState } from '../core/sla/sla-clock.ts';
import { TABLE_SCHEMA } from './dynamo-schema.ts';

/**
 * The SLA attributes of a conversation item (`docs/sla.md`):
 *
 * | attribute | written by |
 * |---|---|
 * | `sla` (map: calendar, targets, start, due and warning times) | the publish of a new conversation; `writeSla` (start, resume) |
 * | `slaRespondedAt`, `slaPausedSince` | an agent's answer (blind, `if_not_exists`), closing; `writeSla` removes the pause |
 * | `slaEvents` (string set of `<target>.<kind>`) | the check, one conditional write per event |
 * | `slaRev` (number) | every write of the above but the check's |
 * | `slaPk` = `SLA`, `slaNext` = `<ISO time>#<id>` | the sparse `sla` index: when the check next looks; absent when nothing is owed |
 */
export const SLA_INDEX = TABLE_SCHEMA.slaIndex;
/** The one partition of the `sla` index (a check reads it in time order). */
export const SLA_PARTITION = 'SLA';

/** The index sort key of a conversation whose next event is due at `next`. */
export function slaNextKey(next: string, conversationId: string): string {
  return `${next}#${conversationId}`;
}

/** The SLA state of an item, or undefined when it has no clocks (attributes an answer wrote blind mean nothing then). */
export function slaStateOf(item: Record<string, unknown>): SlaState | undefined {
  if (typeof item.sla !== 'object' || item.sla === null) return undefined;
  const events = item.slaEvents instanceof Set ? [...(item.slaEvents as Set<string>)].sort() : [];
  const parsed = SlaStateSchema.safeParse({
    ...(item.sla as SlaRecord),
    respondedAt: typeof item.slaRespondedAt === 'string' ? item.slaRespondedAt : null,
    pausedSince: typeof item.slaPausedSince === 'string' ? item.slaPausedSince : null,
    events,
    rev: typeof item.slaRev === 'number' ? item.slaRev : 0,
  });
  return parsed.success ? parsed.data : undefined;
}

/**
 * An agent's answer, in the update that joins it anyway: the first response is met, the clocks
 * stand (waiting on the customer), the check has nothing to look for. Needs `:at`, `:zero`, `:one`.
 */
export const SLA_ANSWER = {
  set: 'slaRespondedAt = if_not_exists(slaRespondedAt, :at), slaPausedSince = if_not_exists(slaPausedSince, :at), slaRev = if_not_exists(slaRev, :zero) + :one',
  remove: 'slaPk, slaNext',
  values: { ':zero': 0, ':one': 1 },
} as const;

/** The sets and values that start the clocks in the publish of a new conversation, unless they run already (a retry). */
export function slaStartParts(
  conversationId: string,
  start: { readonly record: SlaRecord; readonly next: string | null },
): { sets: string[]; values: Record<string, unknown> } {
  const sets = ['sla = if_not_exists(sla, :sla)', 'slaRev = if_not_exists(slaRev, :slaRev)'];
  const values: Record<string, unknown> = { ':sla': start.record, ':slaRev': 1 };
  if (start.next !== null) {
    sets.push('slaPk = if_not_exists(slaPk, :slaPk)', 'slaNext = if_not_exists(slaNext, :slaNext)');
    Object.assign(values, { ':slaPk': SLA_PARTITION, ':slaNext': slaNextKey(start.next, conversationId) });
  }
  return { sets, values };
}
