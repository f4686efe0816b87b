/** What a detector made of a text: its language, or why it gives none. */
export interface LanguageGuess {
  /** ISO 639-1 code, lowercase (`de`, `fr`); null when unsure. */
  readonly language: string | null;
  /** `detected`, or why not: too few letters to tell, or no language stood out. */
  readonly reason: 'detected' | 'too-short' | 'unsure';
}

/**
 * Tells the language of a short text (the new text of a mail). No I/O; asynchronous only so an
 * adapter can load its data on first use instead of when its function starts.
 */
export interface LanguageDetector {
  detect(text: string): Promise<LanguageGuess>;
}
