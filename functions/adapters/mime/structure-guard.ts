import { MailParseError } from '../../core/errors.ts';
import type { RawHeaderLine } from './header-block.ts';

/** The parts of a mailsplit MIME node this module reads. */
export interface SplitNode {
  readonly contentType: string | false;
  readonly charset: string | false;
  readonly parentNode: SplitNode | false;
  readonly messageNode?: boolean;
  readonly headers: { getList(): RawHeaderLine[] };
}

interface SplitChunk extends Partial<SplitNode> {
  readonly type: string;
}

type ChunkProcessor = (chunk: SplitChunk, done: (error?: unknown) => void) => void;

/** The mailparser internals the guard hooks into (mailparser is pinned at 3.9.31). */
interface MailParserInternals {
  processChunk: ChunkProcessor;
  attachmentList: object[];
}

/** What the guard learns about a node while mailparser processes it. */
export interface NodeObservation {
  readonly node: SplitNode;
  readonly depth: number;
  /** Inside a message/rfc822 that mailparser parsed inline (a forwarded message's parts). */
  readonly embedded: boolean;
  /** The attachment object mailparser created for this node, if it became one. */
  readonly attachment: object | null;
}

/** Number of enclosing parts: the root is at depth 0, its children at 1, and so on. */
function depthOf(node: SplitNode): number {
  let depth = 0;
  for (let parent = node.parentNode; parent; parent = parent.parentNode) depth += 1;
  return depth;
}

function isEmbedded(node: SplitNode): boolean {
  for (let parent = node.parentNode; parent; parent = parent.parentNode) {
    if (parent.contentType === 'message/rfc822' && parent.messageNode) return true;
  }
  return false;
}

/**
 * Wraps mailparser's per-chunk step so every MIME node is counted and measured before
 * mailparser builds anything for it. mailparser bounds neither nesting depth nor (beyond
 * mailsplit's own 1000) the part count, so a nesting bomb is stopped here, while streaming,
 * at the first node past a limit. Each node is then reported to `observe`.
 */
export function guardStructure(
  parser: object,
  limits: { readonly maxDepth: number; readonly maxParts: number },
  observe: (observation: NodeObservation) => void,
): void {
  const internals = parser as MailParserInternals;
  const original = internals.processChunk.bind(parser);
  let parts = 0;
  internals.processChunk = (chunk, done) => {
    let called = false;
    const once = (error?: unknown): void => {
      if (called) return;
      called = true;
      done(error);
    };
    try {
      if (chunk.type !== 'node') return original(chunk, once);
      const node = chunk as SplitChunk & SplitNode;
      parts += 1;
      if (parts > limits.maxParts) {
        return once(new MailParseError(`More than ${limits.maxParts} MIME parts`, { limit: 'parts' }));
      }
      const depth = depthOf(node);
      if (depth > limits.maxDepth) {
        return once(new MailParseError(`MIME nesting deeper than ${limits.maxDepth}`, { limit: 'depth' }));
      }
      const before = internals.attachmentList.length;
      original(chunk, once);
      // mailparser registers an attachment synchronously while it processes the node.
      const attachment = internals.attachmentList.length > before ? (internals.attachmentList.at(-1) ?? null) : null;
      observe({ node, depth, embedded: isEmbedded(node), attachment });
    } catch (error) {
      once(error);
    }
  };
}
