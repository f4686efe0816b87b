import { AppError } from '../errors.ts';

/** Merge pointers followed at most; they never form chains this long (nor cycles), but hostile luck must not hang a reader. */
export const MAX_MERGE_HOPS = 16;

/** What a store keeps of a conversation's fate: published, still a pending candidate, or merged into another. */
export interface MergeLink {
  readonly visibility: 'pending' | 'published' | 'merged';
  readonly mergedInto?: string | null | undefined;
}

/** The error for a merge chain that loops or runs too long: broken data, not a race to retry. */
export function mergeLoopError(where: string): AppError {
  return new AppError('merge-loop', `conversation merge pointers loop or run too long: ${where}`);
}

/** The next hop of a merge chain, remembering where it has been; throws on a loop or an overlong chain. */
export function nextHop(seen: Set<string>, from: string, to: string): string {
  seen.add(from);
  if (seen.has(to) || seen.size > MAX_MERGE_HOPS) throw mergeLoopError([...seen, to].join(' → '));
  return to;
}

/**
 * The conversation `id` ends in after following merge pointers (itself when it is not merged or
 * unknown). `read` is the store's own lookup of one conversation, so every store follows merges
 * the same way.
 */
export async function rootOf(read: (id: string) => Promise<MergeLink | undefined> | MergeLink | undefined, id: string): Promise<string> {
  const seen = new Set<string>();
  for (let current = id; ; ) {
    const link = await read(current);
    if (link?.visibility !== 'merged' || !link.mergedInto) return current;
    current = nextHop(seen, current, link.mergedInto);
  }
}
