import type { Attachment } from '../model/message.ts';

/**
 * File names of attachments whose extension is not on the channel's allow-list
 * (`null` allows everything). Inline images referenced by Content-ID are part of the body
 * and always allowed. An attachment without a name is judged by the extension of nothing: refused
 * when a list is set, since its type cannot be checked.
 */
export function rejectedAttachments(attachments: readonly Attachment[], allowedExtensions: readonly string[] | null): string[] {
  if (allowedExtensions === null) return [];
  const allowed = new Set(allowedExtensions.map((e) => e.toLowerCase().replace(/^\./, '')));
  return attachments
    .filter((a) => !(a.inline && a.contentId))
    .filter((a) => !allowed.has(extensionOf(a.filename)))
    .map((a) => a.filename ?? `(unnamed ${a.contentType})`);
}

function extensionOf(filename: string | null): string {
  const match = /\.([^./\\]+)$/.exec(filename?.trim() ?? '');
  return match?.[1]?.toLowerCase() ?? '';
}
