/** Characters of a message's new text kept as its preview (lists show it; the body stays in S3). */
export const PREVIEW_CHARS = 280;

/** The start of a text on one line, cut at `PREVIEW_CHARS` with an ellipsis. */
export function previewOf(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= PREVIEW_CHARS ? flat : `${flat.slice(0, PREVIEW_CHARS - 1)}…`;
}
