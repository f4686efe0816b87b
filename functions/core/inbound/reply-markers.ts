/**
 * Line-level recognizers for quoted history in plain-text replies, as the common mail clients
 * write them (Gmail, Outlook desktop/web/mobile, Apple Mail, Thunderbird, Zoho, Yahoo, iOS and
 * Android mail), in the languages of the European and the largest Asian markets.
 */

import { matchForm } from './reply-match-form.ts';

// "-----Original Message-----", "-------- Message d'origine --------", "==== Original message ====".
// Besides Outlook's and Gmail's, the separators that Thunderbird (desktop: mime.properties 1041,
// and Android: message_compose_quote_header_separator) and Samsung Email write, per locale.
const HISTORY_PHRASES = [
  'original message',
  'reply message',
  'forwarded message',
  'ursprüngliche nachricht',
  'originalnachricht',
  'original-nachricht',
  'antwort nachricht',
  'weitergeleitete nachricht',
  "message d'origine",
  'message d’origine',
  'message original',
  'message transféré',
  'courriel initial',
  'mensaje original',
  'mensaje reenviado',
  'correo original',
  'mensagem original',
  'mensagem encaminhada',
  'messaggio originale',
  'messaggio inoltrato',
  'oorspronkelijk bericht',
  'origineel bericht',
  'originele bericht',
  'doorgestuurd bericht',
  'oprindelig meddelelse',
  'oprindelig besked',
  'original besked',
  'original meddelelse',
  'videresendt meddelelse',
  'opprinnelig melding',
  'original melding',
  'opphavleg melding',
  'ursprungligt meddelande',
  'originalmeddelande',
  'vidarebefordrat meddelande',
  'alkuperäinen viesti',
  'välitetty viesti',
  'eredeti üzenet',
  'továbbított üzenet',
  'původní zpráva',
  'přeposlaná zpráva',
  'pôvodná správa',
  'oryginalna wiadomość',
  'wiadomość oryginalna',
  'pierwotna wiadomość',
  'przekazana wiadomość',
  'treść oryginalnej wiadomości',
  'izvirno sporočilo',
  'originalna poruka',
  'algne kiri',
  'sākotnējā ziņa',
  'исходное сообщение',
  'оригинальное сообщение',
  'пересылаемое сообщение',
  'пересланное сообщение',
  'оригінальне повідомлення',
  'оригинално писмо',
  'оригинална порука',
  'αρχικό μήνυμα',
  'πρωτότυπο μήνυμα',
  'προωθημένο μήνυμα',
  'الرسالة الأصلية',
  'الرسالة المعاد توجيهها',
  'הודעה מקורית',
  'پیام اصلی',
  'orijinal mesaj',
  'özgün ileti',
  'iletilen mesaj',
  'mesaj original',
  'mesaj redirecționat',
  'thư gốc',
  'pesan asli',
  'pesan orisinal',
  '原始邮件',
  '原始郵件',
  '转发的邮件',
  '元のメッセージ',
  '元メール',
  '転送されたメッセージ',
  '원본 메시지',
  '전달된 메시지',
];
// Every quantifier is anchored or between disjoint classes (no `[ \\t]*` beside another), so a line costs one pass.
const HISTORY_MARKER = new RegExp(`^[ \\t]*[-=_*]{2,}[ \\t]*(?:${HISTORY_PHRASES.join('|')})[ \\t]*(?:[-=_*:]+[ \\t]*)?$`, 'iu');

const FORWARD_INTRO =
  /^[ \t]*(?:begin forwarded message|anfang der weitergeleiteten nachricht|début du message réexpédié|inicio del mensaje reenviado|início da mensagem reencaminhada|inizio messaggio inoltrato|begin doorgestuurd bericht)\s*:[ \t]*$/iu;

const SEPARATOR = /^[ \t]*(?:_{10,}|={4,}|-{10,})[ \t]*$/u;

// Header keys of a quoted header block, per language, by role: Outlook's reply header, and the
// keys Thunderbird writes above a forwarded or quoted mail (desktop: mime.properties 1000–1013,
// Android: message_compose_quote_header_*). Bold (*From:*) when HTML was converted to text;
// the colon may be spaced (French "De :").
const FROM_KEYS = [
  'from',
  'von',
  'absender',
  'de',
  'expéditeur',
  'remitente',
  'remetente',
  'van',
  'afzender',
  'da',
  'mittente',
  'fra',
  'afsender',
  'från',
  'avsändare',
  'od',
  'nadawca',
  'odesílatel',
  'от',
  'от кого',
  'отправитель',
  'від',
  'lähettäjä',
  'feladó',
  'kimden',
  'de la',
  'από',
  'من',
  'المرسل',
  'מאת',
  '发件人',
  '寄件者',
  '差出人',
  '보낸 사람',
].join('|');
const DATE_KEYS = [
  'message du',
  'inviato',
  'inviato il',
  'enviada em',
  'enviado em',
  'sent',
  'date',
  'gesendet',
  'gesendet am',
  'datum',
  'envoyé',
  'envoyé le',
  'enviado',
  'enviada',
  'enviado el',
  'fecha',
  'data',
  'data wysłania',
  'dato',
  'sendt',
  'skickat',
  'verzonden',
  'verstuurd',
  'lähetetty',
  'dátum',
  'elküldve',
  'odesláno',
  'odoslané',
  'wysłano',
  'wysłane',
  'отправлено',
  'дата',
  'надіслано',
  'gönderildi',
  'gönderilme',
  'tarih',
  'trimis',
  'στάλθηκε',
  'αποστολή',
  'ημερομηνία',
  'تاريخ',
  'التاريخ',
  'أرسلت',
  'تم الإرسال',
  'تاريخ الإرسال',
  'נשלח',
  '发送时间',
  '發送時間',
  '日期',
  '送信日時',
  '送信日',
  '寄送日期',
  '보낸 날짜',
].join('|');
const TO_KEYS = [
  'to',
  'an',
  'empfänger',
  'à',
  'destinataire',
  'a',
  'para',
  'destinatario',
  'destinatário',
  'aan',
  'ontvanger',
  'til',
  'modtager',
  'mottaker',
  'till',
  'mottagare',
  'do',
  'adresat',
  'odbiorca',
  'кому',
  'vastaanottaja',
  'címzett',
  'komu',
  'příjemce',
  'kime',
  'către',
  'προς',
  'إلى',
  'אל',
  '收件人',
  '收件者',
  '宛先',
  '받는 사람',
  'cc',
  'kopie',
  'kopie \\(cc\\)',
  'cci',
  'copie à',
  'dw',
  'kopia',
  'másolat',
  'másolatot kap',
  'kopi',
  'kopio',
  'копия',
  'نسخة',
].join('|');
const SUBJECT_KEYS = [
  'sujet',
  'subject',
  'betreff',
  'objet',
  'asunto',
  'onderwerp',
  'oggetto',
  'assunto',
  'emne',
  'ämne',
  'temat',
  'тема',
  'aihe',
  'tárgy',
  'předmět',
  'predmet',
  'konu',
  'subiect',
  'θέμα',
  'الموضوع',
  'موضوع',
  'נושא',
  '主题',
  '主旨',
  '件名',
  '제목',
].join('|');
const key = (keys: string): RegExp => new RegExp(`^[ \\t]*\\*?(?:${keys})\\*?[ \\t]*[:：]\\*?(?:[ \\t]|$)`, 'iu');
const KEYS = { from: key(FROM_KEYS), date: key(DATE_KEYS), to: key(TO_KEYS), subject: key(SUBJECT_KEYS) } as const;
type Role = keyof typeof KEYS;

function roleOf(line: string): Role | null {
  for (const role of ['from', 'date', 'to', 'subject'] as const) if (KEYS[role].test(line)) return role;
  return null;
}

// ">>> Visit our site <<<": arrows that point at a banner, not quote markers. Tested by
// looking at both ends: as a pattern (`>{2,}.*<{2,}`) a run of `>` before `<<` backtracks.
function isBanner(line: string): boolean {
  const trimmed = trimSpaceTab(line);
  return trimmed.length >= 4 && trimmed.startsWith('>>') && trimmed.endsWith('<<') && !/[\r\u2028\u2029]/u.test(trimmed);
}

/** The line without leading and trailing spaces and tabs (only those, as `[ \t]*` in a pattern). */
function trimSpaceTab(line: string): string {
  let start = 0;
  let end = line.length;
  while (start < end && (line[start] === ' ' || line[start] === '\t')) start++;
  while (end > start && (line[end - 1] === ' ' || line[end - 1] === '\t')) end--;
  return line.slice(start, end);
}

const RAW_HEADER = /^[ \t]*(?:message-id|mime-version|content-type|content-transfer-encoding|received|return-path|dkim-signature)[ \t]*:/iu;

/** A `>`-quoted line. */
export function isQuotedLine(line: string): boolean {
  return startsWithQuote(line) && !(line.includes('<<') && isBanner(line));
}

/** `>` after optional spaces and tabs (`^[ \t]*>`), as a scan: the extraction's most frequent test, several times per line. */
function startsWithQuote(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) return c === 0x3e;
  }
  return false;
}

// A lone "From: someone@example.com" line after a blank line: what is left of a header block
// whose other lines the sender's client dropped or wrapped into links.
const LONE_FROM = /^\*?(?:from|von|de|van|fra|från)\*?[ \t]*:\*?[ \t]+(?:[^<>@\s]+@[^<>@\s]+|[^<>@\s][^<>@]{0,79}<[^<>@\s]+@[^<>@\s]+>)[ \t]*$/iu;

/**
 * A quoted header block starts at `index`: a From, Date, To or Subject line and, within the next
 * six header lines, header lines of at least one other role, the block naming a From or Date.
 * Wrapped values (a long From split by the client) are allowed between the keys, and so are
 * up to two blank lines before a key (Outlook's HTML turned into text puts one after each header
 * line). A block that opens with the subject, as Thunderbird's forward header does, needs three
 * roles. Returns the index after the block's last line, or -1.
 */
export function headerBlockEnd(lines: readonly string[], index: number): number {
  const first = roleOf(lines[index] ?? '');
  if (first === null) return -1;
  const roles = new Set<Role>([first]);
  let anchored = false;
  let end = index;
  let blanks = 0;
  let seen = 0;
  for (let next = index; next < lines.length && seen < 7; next++) {
    const line = lines[next] ?? '';
    if (line.trim() === '') {
      if (++blanks > 2) break;
      continue;
    }
    const role = roleOf(line);
    // After a blank line only another header line continues the block: the rest is the mail.
    if (blanks > 0 && role === null) break;
    blanks = 0;
    seen++;
    // Raw headers pasted into a message (a bug report, a forwarded source) are no reply header.
    if (RAW_HEADER.test(line)) return -1;
    if (role) roles.add(role);
    if (role && /[\d@]/u.test(line)) anchored = true;
    // French Outlook puts two keys on one line ("À : x Objet : y").
    if (/\s(?:objet|subject|betreff)\s*:/iu.test(line)) roles.add('subject');
    end = next + 1;
  }
  // "Date: tomorrow / To: everyone" in a note is no header block: a real one names an address or a date.
  const enough = roles.size >= (first === 'subject' ? 3 : 2) && (roles.has('from') || roles.has('date')) && anchored;
  return enough ? end : -1;
}

/**
 * The text opens with a From, Date or To key in any of the languages above: what follows an
 * HTML rule in Outlook's reply header (the MIME adapter asks).
 */
export function opensWithHeaderKey(text: string): boolean {
  const role = roleOf(matchForm(text.trimStart().slice(0, 120)));
  return role !== null && role !== 'subject';
}

/** A quoted header block starts at `index` (see `headerBlockEnd`). */
export function isHeaderBlock(lines: readonly string[], index: number): boolean {
  return headerBlockEnd(lines, index) !== -1;
}

/** An "Original Message" or forward marker line, in any of the languages above. */
export function isHistoryMarker(line: string): boolean {
  return HISTORY_MARKER.test(line) || FORWARD_INTRO.test(line);
}

/**
 * True when everything from `index` on is quoted history that is not `>`-prefixed: an
 * "Original Message" or forward marker, a separator followed by a header block, or a header
 * block itself.
 */
export function startsUnprefixedHistory(lines: readonly string[], index: number): boolean {
  const line = lines[index] ?? '';
  // Every marker, key and separator has a colon or opens with a rule: most prose lines stop here.
  if (!line.includes(':') && !line.includes('：') && !/^[ \t]*[-=_*]{2,}/u.test(line)) return false;
  if (isHistoryMarker(line)) return true;
  if (SEPARATOR.test(line) || /^[ \t]*-{3,}[ \t]*$/u.test(line)) {
    // Outlook puts at most a blank line or two between the rule and the header block; a bound
    // keeps hostile runs of separators and blank lines linear.
    let next = index + 1;
    while ((lines[next] ?? '').trim() === '' && next < lines.length && next <= index + 3) next++;
    return isHeaderBlock(lines, next);
  }
  return isHeaderBlock(lines, index) || (LONE_FROM.test(line) && (lines[index - 1] ?? '').trim() === '' && index > 0);
}

const GLUED_PHRASE = new RegExp(HISTORY_PHRASES.join('|'), 'iu');
// Three or more: prose sets words apart with "--".
const RULE_BEFORE = /\S[ \t]*[-=_*－＝＿]{3,}[ \t]*$/u;
const RULE_AFTER = /^[ \t]*[-=_*－＝＿]{3,}/u;

/**
 * Splits a line that holds the end of the reply and, glued to it, an "Original Message" marker
 * between rules ("Danke!-------- Ursprüngliche Nachricht --------": the client or a converter
 * lost the line break). Returns null otherwise. The phrase is found first, then the rules
 * beside it are checked in short slices, so the test is linear in the line.
 */
export function splitGluedMarker(line: string): [string, string] | null {
  if (!/[-=_*－＝＿]{3}/u.test(line) || isHistoryMarker(line)) return null;
  const found = GLUED_PHRASE.exec(line);
  if (!found) return null;
  const before = line.slice(Math.max(0, found.index - 24), found.index);
  const after = line.slice(found.index + found[0].length, found.index + found[0].length + 24);
  if (!RULE_BEFORE.test(before) || !RULE_AFTER.test(after)) return null;
  const rule = /[-=_*－＝＿]+[ \t]*$/u.exec(before);
  const at = found.index - before.length + (rule?.index ?? before.length);
  const head = line.slice(0, at).trimEnd();
  return head === '' ? null : [head, line.slice(at)];
}
