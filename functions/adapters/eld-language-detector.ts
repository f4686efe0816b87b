import type { LanguageDetector, LanguageGuess } from '../core/ports/language.ts';

/** Fewer letters than this (any script) and no guess is made: an empty or numbers-only reply says nothing. */
export const MIN_LETTERS = 4;

type Eld = typeof import('eld/extrasmall')['eld'];

/**
 * The language detector the functions run: eld (Efficient Language Detector, Apache-2.0) with its
 * `extrasmall` n-gram database, 60 languages, ISO 639-1 codes. A guess counts only when eld calls
 * it reliable: the best score reaches 0.75 of that language's average score and stands apart from
 * the second (eld's default; a stricter 0.9 turned 22 of the benchmark's 298 right answers into
 * none to avoid 2 wrong ones). The database is a 0.9 MB module that takes about 0.2 s to build, so
 * it is imported on the first detection, not when the function starts (the admin API, which
 * detects only in a dry run, starts without it). See docs/language.md for the measurements.
 */
export class EldLanguageDetector implements LanguageDetector {
  #eld: Promise<Eld> | undefined;

  async detect(text: string): Promise<LanguageGuess> {
    if (!hasLetters(text, MIN_LETTERS)) return { language: null, reason: 'too-short' };
    this.#eld ??= import('eld/extrasmall').then((m) => m.eld);
    const result = (await this.#eld).detect(text);
    if (result.language === '' || !result.isReliable()) return { language: null, reason: 'unsure' };
    return { language: result.language, reason: 'detected' };
  }
}

const LETTER = /\p{L}/u;

function hasLetters(text: string, wanted: number): boolean {
  let count = 0;
  for (const char of text) {
    if (LETTER.test(char) && ++count >= wanted) return true;
  }
  return false;
}
