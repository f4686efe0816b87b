import { isLanguageCode } from '../model/language.ts';
import type { LanguageDetector } from '../ports/language.ts';

/**
 * Characters of the new text a detector reads. The language shows in the first sentences; a
 * longer reply (a pasted log, hostile mail) costs no more than this.
 */
export const MAX_LANGUAGE_SCAN_CHARS = 2000;

/**
 * The language of a mail's new text (`ExtractedReply.reply`: quoted history and signature already
 * removed, so a German answer above an English quote is German), as an ISO 639-1 code, or null
 * when the detector is unsure, says something that is no ISO 639-1 code, or there is no detector.
 */
export async function replyLanguage(detector: LanguageDetector | undefined, reply: string): Promise<string | null> {
  if (!detector) return null;
  const { language } = await detector.detect(reply.slice(0, MAX_LANGUAGE_SCAN_CHARS));
  return language !== null && isLanguageCode(language) ? language : null;
}
