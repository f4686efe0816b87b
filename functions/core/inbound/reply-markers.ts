/**
 * Line-level recognizers for quoted history in plain-text replies, as the common mail clients
 * write them (Gmail, Outlook desktop/web/mobile, Apple Mail, Thunderbird, Zoho, Yahoo, iOS and
 * Android mail), in the languages of the European and the largest Asian markets.
 */

const QUOTED_LINE = /^[ \t]*>/u;

// "-----Original Message-----", "-------- Message d'origine --------", "==== Original message ====".
const HISTORY_PHRASES = [
  'original message', 'reply message', 'forwarded message', 'ursprüngliche nachricht', 'originalnachricht', 'original-nachricht',
  'antwort nachricht', 'weitergeleitete nachricht', "message d'origine", 'message original', 'message transféré', 'mensaje original',
  'mensaje reenviado', 'mensagem original', 'mensagem encaminhada', 'messaggio originale', 'messaggio inoltrato', 'oorspronkelijk bericht',
  'origineel bericht', 'doorgestuurd bericht', 'oprindelig meddelelse', 'oprindelig besked', 'videresendt meddelelse', 'opprinnelig melding',
  'ursprungligt meddelande', 'vidarebefordrat meddelande', 'alkuperäinen viesti', 'välitetty viesti', 'eredeti üzenet', 'továbbított üzenet',
  'původní zpráva', 'přeposlaná zpráva', 'pôvodná správa', 'oryginalna wiadomość', 'wiadomość oryginalna', 'pierwotna wiadomość',
  'przekazana wiadomość', 'исходное сообщение', 'оригинальное сообщение', 'пересылаемое сообщение', 'пересланное сообщение',
  'αρχικό μήνυμα', 'προωθημένο μήνυμα', 'الرسالة الأصلية', 'الرسالة المعاد توجيهها', 'orijinal mesaj', 'iletilen mesaj', 'mesaj original',
  'mesaj redirecționat', '原始邮件', '原始郵件', '转发的邮件', '元のメッセージ', '転送されたメッセージ', '원본 메시지', '전달된 메시지',
];
const HISTORY_MARKER = new RegExp(`^[ \\t]*[-=_*]{2,}[ \\t]*(?:${HISTORY_PHRASES.join('|')})[ \\t]*[-=_*:]*[ \\t]*$`, 'iu');

const FORWARD_INTRO =
  /^[ \t]*(?:begin forwarded message|anfang der weitergeleiteten nachricht|début du message réexpédié|inicio del mensaje reenviado|início da mensagem reencaminhada|inizio messaggio inoltrato|begin doorgestuurd bericht)\s*:[ \t]*$/iu;

const SEPARATOR = /^[ \t]*(?:_{10,}|={4,}|-{10,})[ \t]*$/u;

// Header keys of a quoted header block, per language, by role. Bold (*From:*) when HTML was
// converted to text; the colon may be spaced (French "De :").
const FROM_KEYS = 'from|von|de|van|da|fra|från|od|от|от кого|lähettäjä|feladó|kimden|de la|Από|من|发件人|寄件者|差出人|보낸 사람';
const DATE_KEYS =
  'message du|inviato|enviada em|sent|date|gesendet|datum|envoyé|envoyé le|enviado|enviada|fecha|data|dato|sendt|skickat|lähetetty|dátum|elküldve|odesláno|wysłano|wysłane|отправлено|дата|gönderildi|tarih|trimis|στάλθηκε|ημερομηνία|تاريخ|التاريخ|أرسلت|发送时间|發送時間|日期|送信日時|보낸 날짜';
const TO_KEYS = 'to|an|à|a|para|aan|til|till|do|кому|vastaanottaja|címzett|komu|kime|către|προς|إلى|收件人|宛先|받는 사람|cc|kopie|cci|copie à';
const SUBJECT_KEYS = 'sujet|subject|betreff|objet|asunto|onderwerp|oggetto|assunto|emne|ämne|temat|тема|aihe|tárgy|předmět|konu|subiect|θέμα|الموضوع|主题|主旨|件名|제목';
const key = (keys: string): RegExp => new RegExp(`^[ \\t]*\\*?(?:${keys})\\*?[ \\t]*[:：]\\*?(?:[ \\t]|$)`, 'iu');
const KEYS = { from: key(FROM_KEYS), date: key(DATE_KEYS), to: key(TO_KEYS), subject: key(SUBJECT_KEYS) } as const;
type Role = keyof typeof KEYS;

function roleOf(line: string): Role | null {
  for (const role of ['from', 'date', 'to', 'subject'] as const) if (KEYS[role].test(line)) return role;
  return null;
}

// ">>> Visit our site <<<": arrows that point at a banner, not quote markers.
const BANNER = /^[ \t]*>{2,}.*<{2,}[ \t]*$/u;

const RAW_HEADER = /^[ \t]*(?:message-id|mime-version|content-type|content-transfer-encoding|received|return-path|dkim-signature)[ \t]*:/iu;

/** A `>`-quoted line. */
export function isQuotedLine(line: string): boolean {
  return QUOTED_LINE.test(line) && !(line.includes('<<') && BANNER.test(line));
}

// A lone "From: someone@example.com" line after a blank line: what is left of a header block
// whose other lines the sender's client dropped or wrapped into links.
const LONE_FROM = /^\*?(?:from|von|de|van|fra|från)\*?[ \t]*:\*?[ \t]+(?:[^<>@\s]+@[^<>@\s]+|[^<>@]{1,80}<[^<>@\s]+@[^<>@\s]+>)[ \t]*$/iu;

/**
 * A quoted header block starts at `index`: a From, Date or To line and, within the next six
 * lines, header lines of at least one other role, the block naming a From or Date. Wrapped
 * values (a long From split by the client) are allowed between the keys.
 */
export function isHeaderBlock(lines: readonly string[], index: number): boolean {
  const first = roleOf(lines[index] ?? '');
  if (first === null || first === 'subject') return false;
  const roles = new Set<Role>([first]);
  let anchored = false;
  // French Outlook puts two keys on one line ("À : x Objet : y").
  for (let next = index; next <= index + 6 && next < lines.length; next++) {
    const line = lines[next] ?? '';
    if (next > index && line.trim() === '' && roles.size < 2) return false;
    // Raw headers pasted into a message (a bug report, a forwarded source) are no reply header.
    if (RAW_HEADER.test(line)) return false;
    const role = roleOf(line);
    if (role) roles.add(role);
    if (role && /[\d@]/u.test(line)) anchored = true;
    if (/\s(?:objet|subject|betreff)\s*:/iu.test(line)) roles.add('subject');
  }
  // "Date: tomorrow / To: everyone" in a note is no header block: a real one names an address or a date.
  return roles.size >= 2 && (roles.has('from') || roles.has('date')) && anchored;
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
