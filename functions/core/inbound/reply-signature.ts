/**
 * Signatures at the end of a reply: the RFC 3676 "-- " delimiter, list footers after `__`,
 * blocks after `____` or `* * *`, sign-off blocks ("Regards," then name and title), and the
 * footers that mail apps add, in many languages ("Sent from my iPhone", "Get Outlook for
 * Android", "Gesendet von Outlook für Android", "Envoyé à partir de mon iPhone").
 */

import { matchForm } from './reply-match-form.ts';

const DELIMITER = /^(?:-- ?|--)$/u;
const SEPARATOR = /^[ \t]*(?:_{2,}|\*[ \t]*\*[ \t]*\*|\*{3,})[ \t]*$/u;

// The footers that mail apps add, in the apps' own translations: Outlook for iOS and Android's
// signature ("Get Outlook for iOS<https://aka.ms/o0ukef>", "Outlook für iOS<…> beziehen"), iOS
// Mail's "Sent from my iPhone" ("Von meinem iPhone gesendet", "Az iPhone-omról küldve",
// "أُرسلت من الـ iPhone"), Samsung Email's "Sent from my Galaxy", Windows Mail's "Sent from
// Mail<…> for Windows", Yahoo Mail's "Sent from Yahoo Mail on Android". The apps put the link
// after the app's name or at the end of the line; it is removed before matching.
// "<app> for <platform>" lines, whole (P is the platform):
const P = '(?:ios|android)';
const APP_FOOTER = [
  `get outlook for ${P}`,
  `outlook für ${P} (?:beziehen|herunterladen)`,
  `von outlook für ${P} gesendet`,
  `télécharger outlook pour ${P}`,
  `obtenir outlook pour ${P}`,
  `obtener outlook para ${P}`,
  `descargar outlook para ${P}`,
  `scarica outlook per ${P}`,
  `ottieni outlook per ${P}`,
  `baixe o outlook para ${P}`,
  `obtenha o outlook para ${P}`,
  `obter o outlook para ${P}`,
  `transferir o outlook para ${P}`,
  `outlook voor ${P} downloaden`,
  `download outlook (?:for|voor) ${P}`,
  `hämta outlook för ${P}`,
  `skaffa outlook för ${P}`,
  `hent outlook til ${P}`,
  `få outlook (?:til|for) ${P}`,
  `hanki outlook for ${P}`,
  `pobierz (?:aplikację )?outlook dla (?:systemu )?${P}`,
  `stáhněte si outlook pro ${P}`,
  `získejte outlook pro ${P}`,
  `az? ${P}-(?:hez|höz|re|ra) készült outlook (?:letöltése|beszerzése)`,
  `получите outlook для ${P}`,
  `скачайте outlook для ${P}`,
  `(?:احصل على|الحصول على) outlook (?:ل ?)?${P}`,
];
// "(ios|android) için outlook'u edinin", "iOS 版 Outlook を入手", "iOS용 Outlook 받기": platform first.
const PLATFORM_FIRST = `${P}(?: için| 版|용| 版の)? ?outlook(?:['’]u)?(?: (?:edinin|indirin|を入手|받기|を入手する))?`;
// "sent from <device>" lines: these open the line, the device or app follows.
const DEVICE_FOOTER = [
  'sent from (?:my )?',
  'sent via ',
  'sent using ',
  'sent with ',
  'von meinem ',
  'gesendet von (?:meinem )?',
  'gesendet mit ',
  'gesendet vom ',
  'envoyé de mon ',
  'envoyé depuis (?:mon )?',
  'envoyé à partir de (?:mon )?',
  'envoyé avec ',
  'enviado desde (?:mi )?',
  'enviado con ',
  'enviado a través de ',
  'enviado do (?:meu )?',
  'enviado de (?:meu )?',
  'enviado pelo ',
  'enviado a partir do (?:meu )?',
  'enviado via ',
  'enviado com ',
  'inviato da(?:l mio)? ',
  'inviato dal ',
  'inviato con ',
  'verzonden (?:vanaf|met|vanuit|via) (?:mijn )?',
  'verstuurd (?:vanaf|met|vanuit|via) (?:mijn )?',
  'skickat från (?:min )?',
  'skickat med ',
  'sendt fra (?:min )?',
  'sendt med ',
  'lähetetty ',
  'wysłane z ',
  'wysłano z ',
  'wysłane za pomocą ',
  'отправлено с ',
  'отправлено из ',
  'надіслано з ',
  'odesláno z ',
  'odoslané z ',
  'elküldve ',
  'küldve ',
  'trimis de pe ',
  'trimis din ',
  'στάλθηκε από ',
  'εστάλη από ',
  'أرسلت من ',
  'ارسلت من ',
  'أرسل من ',
  'مرسل من ',
  'تم الإرسال من ',
  'تم الارسال من ',
  'נשלח מ',
  'gönderildi ',
  'ios için outlook',
];
// Footers whose verb comes last: German "Von Outlook für iOS gesendet", Hungarian "Az
// iPhone-omról küldve", Turkish "iPhone'umdan gönderildi", Japanese, Chinese, Korean.
const DEVICE_FOOTER_LAST = [
  'von \\S.{0,40} gesendet',
  '\\S.{0,40}(?:ról|ről) küldve',
  '\\S.{0,40}(?:dan|den|tan|ten) gönderildi',
  '\\S{1,30}(?:から送信|发送|發送|에서 보냄)',
];
const FOOTER = new RegExp(`^[ \\t]*(?:(?:${APP_FOOTER.join('|')})|${PLATFORM_FIRST}|(?:${DEVICE_FOOTER_LAST.join('|')})\\.?)[ \\t]*$`, 'iu');
/** Every alternative of the footer pattern, as written: each names the app or holds the verb (`FOOTER_WORD`; a unit test holds it). */
export const FOOTER_ALTERNATIVES: readonly string[] = [...APP_FOOTER, PLATFORM_FIRST, ...DEVICE_FOOTER_LAST];
/** A line with none of these words is spared the long footer pattern. */
export const FOOTER_WORD = /outlook|gesendet|küldve|gönderildi|から送信|发送|發送|에서 보냄/iu;
const DEVICE_LINE = new RegExp(`^[ \\t]*(?:${DEVICE_FOOTER.join('|')})(\\S[^,;\\n]{0,48})[ \\t]*$`, 'iu');
// What a "sent from" line names is a device or an app: a brand or product name (capitals or
// digits: "iPhone", "Samsung Galaxy", "Mail for Windows 10"), a device word, or words in a
// script without case (Arabic, Hebrew, Chinese). "Sent from my office" is a sentence.
const DEVICE_WORDS = new RegExp(
  [
    'phone',
    'mobile',
    'tablet',
    'handy',
    'telefo',
    'téléphone',
    'teléfono',
    'telemóvel',
    'celular',
    'móvil',
    'cellulare',
    'puhelin',
    'телефон',
    'смартфон',
    'τηλέφωνο',
    'android',
    'ipad',
    'mail',
  ].join('|'),
  'iu',
);
const LINK = /<https?:\/\/[^>\s]*>/gu;

// Closing phrases that open a sign-off block, per language (no mail client writes these: they
// are the usual closings of business mail in each language); "ß" also matches the Swiss "ss".
// A second closing may follow after a slash ("Mit freundlichen Grüßen / Kind regards"), then a
// comma, "!", "." or ":" (Hungarian "Üdvözlettel:"), or the sender's name on the same line.
const CLOSINGS = [
  // English
  'regards',
  'best regards',
  'kind regards',
  'warm regards',
  'warmest regards',
  'with kind regards',
  'with best regards',
  'many thanks',
  'thanks',
  'thank you',
  'thanks again',
  'thanks in advance',
  'thanks and regards',
  'best',
  'best wishes',
  'cheers',
  'sincerely',
  'yours sincerely',
  'sincerely yours',
  'yours truly',
  'yours faithfully',
  'all the best',
  'take care',
  'rgds',
  'brgds',
  // German
  'mit freundlichen grüßen',
  'mit freundlichem gruß',
  'freundliche grüße',
  'freundlicher gruß',
  'viele grüße',
  'beste grüße',
  'mit besten grüßen',
  'liebe grüße',
  'herzliche grüße',
  'schöne grüße',
  'grüße',
  'gruß',
  'mfg',
  'vielen dank',
  'danke',
  // French, Spanish, Italian, Portuguese
  'cordialement',
  'bien cordialement',
  'salutations',
  'sincères salutations',
  'meilleures salutations',
  'bien à vous',
  'amicalement',
  'merci',
  'merci d’avance',
  "merci d'avance",
  'saludos',
  'un saludo',
  'saludos cordiales',
  'un cordial saludo',
  'atentamente',
  'muchas gracias',
  'gracias',
  'cordiali saluti',
  'distinti saluti',
  'saluti',
  'un saluto',
  'cordialmente',
  'grazie',
  'grazie mille',
  'atenciosamente',
  'cumprimentos',
  'com os melhores cumprimentos',
  'melhores cumprimentos',
  'abraço',
  'um abraço',
  'abraços',
  'obrigado',
  'obrigada',
  'muito obrigado',
  'muito obrigada',
  'att',
  'att\\.',
  'saudações',
  // Dutch, Danish, Swedish, Norwegian, Finnish
  'met vriendelijke groet',
  'met vriendelijke groeten',
  'vriendelijke groet',
  'vriendelijke groeten',
  'met hartelijke groet',
  'hartelijke groet',
  'hartelijke groeten',
  'groeten',
  'groetjes',
  'mvg',
  'med venlig hilsen',
  'venlig hilsen',
  'venlige hilsner',
  'de bedste hilsner',
  'bedste hilsner',
  'mange hilsner',
  'kærlig hilsen',
  'hilsen',
  'vh',
  'mange tak',
  'på forhånd tak',
  'med vänliga hälsningar',
  'vänliga hälsningar',
  'bästa hälsningar',
  'hälsningar',
  'med vennlig hilsen',
  'vennlig hilsen',
  'beste hilsen',
  'mvh',
  'ystävällisin terveisin',
  'terveisin',
  'kiitos',
  // Polish, Czech, Hungarian, Romanian, Greek, Russian, Turkish
  'pozdrawiam',
  'pozdrawiam serdecznie',
  'serdecznie pozdrawiam',
  'z poważaniem',
  'z wyrazami szacunku',
  'z pozdrowieniami',
  'serdeczne pozdrowienia',
  'pozdrowienia',
  'łączę pozdrowienia',
  'dziękuję',
  'dziękuję bardzo',
  's pozdravem',
  'děkuji',
  'üdvözlettel',
  'tisztelettel',
  'köszönettel',
  'baráti üdvözlettel',
  'szívélyes üdvözlettel',
  'üdv',
  'köszönöm',
  'cu stimă',
  'με εκτίμηση',
  'с уважением',
  'с наилучшими пожеланиями',
  'спасибо',
  'saygılarımla',
  'iyi çalışmalar',
  'teşekkürler',
  // Arabic, Chinese, Japanese, Korean
  'مع التحية',
  'مع أطيب التحيات',
  'مع خالص التحية',
  'تحياتي',
  'مع الشكر',
  'شكرا',
  'مع التقدير',
  '此致',
  '谢谢',
  'よろしくお願いします',
  '감사합니다',
].map((closing) => closing.replaceAll('ß', '(?:ß|ss)'));
const CLOSING_WORDS = `(?:${CLOSINGS.join('|')})`;
const CLOSING = new RegExp(`^[ \\t]*${CLOSING_WORDS}(?:[ \\t]*/[ \\t]*${CLOSING_WORDS})?[ \\t]*[,!.:،]?[ \\t]*$`, 'iu');
// The sender's name after the closing's comma ("Pozdrawiam serdecznie, Piotr Wiśniewski"): one
// to four capitalized words.
const NAME = /^[ \t]*\p{Lu}[\p{L}.'’-]+(?:[ \t]+\p{Lu}[\p{L}.'’-]*){0,3}[ \t]*$/u;
const QUESTION = /[?？][ \t]*$/u;
const SENTENCE_END = /[.!?。！？]["'”’)\]]?[ \t]*$/u;

/** A signature delimiter line (RFC 3676 "-- ", also without the trailing space). */
export function isSignatureDelimiter(line: string): boolean {
  return DELIMITER.test(line);
}

/** A mail app's footer ("Sent from my iPhone", "Get Outlook for Android", ...); not "Sent from my desk, …". */
export function isMobileFooter(line: string): boolean {
  // Footers are short; the length test spares prose lines the long pattern.
  if (line.length > 160) return false;
  const form = matchForm(line);
  const text = form.includes('<http') ? form.replace(LINK, '') : form;
  if (text.trim().length > 64) return false;
  if (FOOTER_WORD.test(text) && FOOTER.test(text)) return true;
  const named = DEVICE_LINE.exec(text)?.[1];
  return named !== undefined && (/[\p{Lu}\d]/u.test(named) || DEVICE_WORDS.test(named) || !/\p{Ll}/u.test(named));
}

export type SignatureRule = 'signature-delimiter' | 'signature-separator' | 'sign-off' | 'mobile-footer';

/**
 * Where the signature starts among `lines` (the reply's own lines after its last quote, in
 * order, blanks included), and by which rule; null when there is none.
 * - the first "-- " delimiter;
 * - a `__`, `____` or `* * *` line followed by at most 12 short lines;
 * - a closing phrase ("Regards,") followed by 2 to 6 short lines (name, title, company), or a
 *   closing with the name on its line followed by 1 to 5: "Best,\nMaria" alone stays in the reply;
 * - a mail app's footer as the last line.
 * When the rules disagree, the new text wins: a delimiter, separator or closing is passed over
 * when a question follows it, or when a sentence lies between it and a later sign-off (a "--"
 * or "____" line that sets a list apart inside the reply, the real sign-off further down).
 */
export function signatureStart(lines: readonly string[]): { index: number; rule: SignatureRule } | null {
  const forms = lines.map(matchForm);
  const nonBlank: number[] = [];
  for (let index = 0; index < forms.length; index++) if ((forms[index] ?? '').trim() !== '') nonBlank.push(index);
  const last = nonBlank.at(-1);
  if (last === undefined) return null;
  // Separators and sign-offs only count near the end (at most 12 and 6 lines follow them), so
  // only the last lines are looked at: linear however many "Regards," lines a text has.
  const near = nonBlank.slice(Math.max(0, nonBlank.length - 14));
  const after = (index: number): string[] => near.filter((i) => i > index).map((i) => forms[i] ?? '');
  const delimiters = nonBlank.filter((index) => isSignatureDelimiter(forms[index] ?? ''));
  // A rule that closes the block (nothing after it) starts nothing.
  const separators = near.filter((index) => index !== last && SEPARATOR.test(forms[index] ?? '') && short(after(index), 12));
  const signOffs = near.filter((index) => index !== nonBlank[0] && isSignOff(forms[index] ?? '', after(index)));
  const lastSignOff = signOffs.at(-1) ?? -1;
  let newTextUntil = -1;
  for (const index of nonBlank) {
    const line = forms[index] ?? '';
    if (QUESTION.test(line) || (index < lastSignOff && readsAsSentence(line))) newTextUntil = index;
  }
  const holds = (index: number): boolean => index > newTextUntil;
  const delimiter = delimiters.find(holds);
  if (delimiter !== undefined) return { index: delimiter, rule: 'signature-delimiter' };
  const separator = separators.find(holds);
  if (separator !== undefined) return { index: separator, rule: 'signature-separator' };
  const signOff = signOffs.find(holds);
  if (signOff !== undefined) return { index: signOff, rule: 'sign-off' };
  return isMobileFooter(lines[last] ?? '') ? { index: last, rule: 'mobile-footer' } : null;
}

function short(tail: readonly string[], max: number): boolean {
  return tail.length <= max && tail.every((line) => line.trim().length <= 80);
}

/** A closing line with the name, title and company lines below it (no question among them). */
function isSignOff(line: string, tail: readonly string[]): boolean {
  if (line.length > 80 || tail.some((next) => QUESTION.test(next) || readsAsSentence(next))) return false;
  if (line.length <= 60 && CLOSING.test(line)) return tail.length >= 2 && short(tail, 6);
  const comma = line.indexOf(',');
  const named = comma > 0 && CLOSING.test(line.slice(0, comma)) && NAME.test(line.slice(comma + 1));
  return named && tail.length >= 1 && short(tail, 5);
}

/** A sentence of five words or more: new text, not a name, title or list item. */
function readsAsSentence(line: string): boolean {
  return SENTENCE_END.test(line) && line.trim().split(/\s+/u).length >= 5;
}
