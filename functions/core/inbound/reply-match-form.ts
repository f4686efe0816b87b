/**
 * The form of a line that the reply recognizers read (the reply itself keeps the line as sent).
 * What a client's locale or a converter changes without changing the meaning is undone here,
 * so one table entry covers every spelling:
 * - full-width and compatibility forms (`－－－`, `＿＿＿`, `：`, `Ｆｒｏｍ`) become ASCII (NFKC);
 * - bidirectional and zero-width marks, which Arabic and Hebrew clients put around names,
 *   addresses and colons, are removed;
 * - Arabic diacritics and the tatweel are removed (iOS writes `أُرسلت`, a table `أرسلت`);
 * - Arabic-Indic and Persian digits become ASCII digits, so their dates and times count;
 * - runs of dash-like characters (`————`, `――――`, `────`, Japanese `ーーーー`) become `-` runs; a
 *   single one inside a word stays.
 * Every step is one pass over the line; an ASCII line is returned as it is.
 */
export function matchForm(line: string): string {
  if (!NON_ASCII.test(line)) return line;
  return line
    .normalize('NFKC')
    .replace(INVISIBLE, '')
    .replace(ARABIC_DIGIT, (digit) => String((digit.codePointAt(0) ?? 0) & 0xf))
    .replace(DASH_RUN, (run) => '-'.repeat(run.length));
}

// Printable ASCII and tabs pass as they are; anything else (rarely a control character) takes the long way.
const NON_ASCII = /[^\t -~]/u;
// Bidi marks and embeddings (U+200E/F, U+202A–E, U+2066–9), zero-width characters and the BOM,
// Arabic harakat (U+064B–U+0652), the superscript alef (U+0670) and the tatweel (U+0640).
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u064b-\u0652\u0670\u0640]/gu;
// U+0660–U+0669 and U+06F0–U+06F9: the low four bits are the digit's value.
const ARABIC_DIGIT = /[\u0660-\u0669\u06f0-\u06f9]/gu;
// Figure dash to horizontal bar, minus, box-drawing rules, the katakana prolonged sound mark.
const DASH_RUN = /[\u2012-\u2015\u2212\u2500\u2501\u30fc]{2,}/gu;
