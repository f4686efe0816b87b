/**
 * Signatures at the end of a reply: the RFC 3676 "-- " delimiter, list footers after `__`,
 * blocks after `____` or `* * *`, sign-off blocks ("Regards," then name and title), and the
 * footers that mail apps add, in many languages ("Sent from my iPhone", "Get Outlook for
 * Android", "Gesendet von Outlook für Android", "Envoyé à partir de mon iPhone").
 */

const DELIMITER = /^(?:-- ?|--)$/u;
const SEPARATOR = /^[ \t]*(?:_{2,}|\*[ \t]*\*[ \t]*\*|\*{3,})[ \t]*$/u;

// "<app> for <platform>" lines and "sent from <device>" lines, per language. A trailing
// `<https://…>` link (Outlook adds one) is allowed.
const APP_FOOTER = [
  'get outlook for (?:ios|android)', 'gesendet von outlook für (?:ios|android)', 'outlook für (?:ios|android) herunterladen',
  'télécharger outlook pour (?:ios|android)', 'obtener outlook para (?:ios|android)', 'descargar outlook para (?:ios|android)',
  'scarica outlook per (?:ios|android)', 'baixe o outlook para (?:ios|android)', 'obtenha o outlook para (?:ios|android)',
  'outlook voor (?:ios|android) downloaden', 'download outlook (?:for|voor) (?:ios|android)', 'hämta outlook för (?:ios|android)',
  'hent outlook til (?:ios|android)', 'pobierz outlook dla systemu (?:ios|android)', 'получите outlook для (?:ios|android)',
];
const DEVICE_FOOTER = [
  'sent from (?:my )?', 'sent via ', 'sent using ', 'sent with ', 'von meinem ', 'gesendet von (?:meinem )?', 'gesendet mit ',
  'envoyé de mon ', 'envoyé depuis mon ', 'envoyé à partir de (?:mon )?', 'enviado desde mi ', 'enviado desde ', 'enviado do meu ',
  'enviado a partir do meu ', 'inviato da(?:l mio)? ', 'verzonden (?:vanaf|met) (?:mijn )?', 'verstuurd vanaf mijn ', 'skickat från min ',
  'sendt fra min ', 'sendt fra ', 'lähetetty ', 'wysłane z ', 'отправлено с ', 'odesláno z ', 'odoslané z ', 'elküldve ', 'trimis de pe ',
  'στάλθηκε από ', 'أرسلت من ', 'gönderildi ', 'ios için outlook',
];
const FOOTER = new RegExp(`^[ \\t]*(?:(?:${APP_FOOTER.join('|')})|(?:${DEVICE_FOOTER.join('|')})\\S[^,;\\n]{0,48}|\\S{1,30}(?:から送信|发送|發送|에서 보냄))[ \\t]*(?:<https?://[^>\\s]+>)?[ \\t]*$`, 'iu');

// Closing phrases that open a sign-off block, per language; an optional comma or "!" follows.
const CLOSINGS = [
  'regards', 'best regards', 'kind regards', 'warm regards', 'warmest regards', 'many thanks', 'thanks', 'thank you', 'thanks again',
  'best', 'best wishes', 'cheers', 'sincerely', 'yours sincerely', 'yours truly', 'yours faithfully', 'all the best',
  'mit freundlichen grüßen', 'mit freundlichen grüssen', 'freundliche grüße', 'viele grüße', 'beste grüße', 'liebe grüße', 'grüße', 'gruß',
  'cordialement', 'bien cordialement', 'salutations', 'bien à vous', 'merci', 'saludos', 'un saludo', 'saludos cordiales', 'atentamente',
  'cordiali saluti', 'distinti saluti', 'saluti', 'grazie', 'atenciosamente', 'cumprimentos', 'obrigado', 'obrigada', 'met vriendelijke groet',
  'vriendelijke groet', 'groeten', 'mvg', 'med vänliga hälsningar', 'vänliga hälsningar', 'hälsningar', 'med venlig hilsen', 'venlig hilsen',
  'hilsen', 'med vennlig hilsen', 'mvh', 'ystävällisin terveisin', 'terveisin', 'pozdrawiam', 'z poważaniem', 's pozdravem', 'üdvözlettel',
  'с уважением', 'спасибо', 'saygılarımla', 'cu stimă', 'με εκτίμηση', 'مع التحية', '此致', '谢谢', 'よろしくお願いします', '감사합니다',
];
const CLOSING = new RegExp(`^[ \\t]*(?:${CLOSINGS.join('|')})[ \\t]*[,!.]?[ \\t]*$`, 'iu');

/** A signature delimiter line (RFC 3676 "-- ", also without the trailing space). */
export function isSignatureDelimiter(line: string): boolean {
  return DELIMITER.test(line);
}

/** A mail app's footer ("Sent from my iPhone", "Get Outlook for Android", ...); not "Sent from my desk, …". */
export function isMobileFooter(line: string): boolean {
  // Footers are short; the length test spares prose lines the long pattern.
  if (line.length > 120) return false;
  const text = line.includes('<http') ? line.replace(/<https?:\/\/[^>\s]+>\s*$/u, '') : line;
  return text.trim().length <= 64 && FOOTER.test(line);
}

export type SignatureRule = 'signature-delimiter' | 'signature-separator' | 'sign-off' | 'mobile-footer';

/**
 * Where the signature starts among `lines` (the reply's own lines after its last quote, in
 * order, blanks included), and by which rule; null when there is none.
 * - the first "-- " delimiter;
 * - a `__`, `____` or `* * *` line followed by at most 12 short lines;
 * - a closing phrase ("Regards,") followed by 2 to 6 short lines (name, title, company):
 *   "Best,\nMaria" alone stays in the reply;
 * - a mail app's footer as the last line.
 */
export function signatureStart(lines: readonly string[]): { index: number; rule: SignatureRule } | null {
  const nonBlank: number[] = [];
  for (let index = 0; index < lines.length; index++) if ((lines[index] ?? '').trim() !== '') nonBlank.push(index);
  const last = nonBlank.at(-1);
  if (last === undefined) return null;
  const delimiter = nonBlank.find((index) => isSignatureDelimiter(lines[index] ?? ''));
  if (delimiter !== undefined) return { index: delimiter, rule: 'signature-delimiter' };
  // Separators and sign-offs only count near the end (at most 12 and 6 lines follow them), so
  // only the last lines are looked at: linear however many "Regards," lines a text has.
  const tailStart = Math.max(0, nonBlank.length - 14);
  const near = nonBlank.slice(tailStart);
  const after = (index: number): string[] => near.filter((i) => i > index).map((i) => lines[i] ?? '');
  const short = (tail: readonly string[], max: number): boolean => tail.length <= max && tail.every((line) => line.trim().length <= 80);
  const separator = near.find((index) => SEPARATOR.test(lines[index] ?? '') && short(after(index), 12));
  if (separator !== undefined) return { index: separator, rule: 'signature-separator' };
  for (const index of near) {
    const line = lines[index] ?? '';
    if (index === nonBlank[0] || line.length > 48 || !CLOSING.test(line)) continue;
    const tail = after(index);
    if (tail.length >= 2 && short(tail, 6) && tail.every((line) => !/[?]\s*$/u.test(line))) return { index, rule: 'sign-off' };
  }
  return isMobileFooter(lines[last] ?? '') ? { index: last, rule: 'mobile-footer' } : null;
}
