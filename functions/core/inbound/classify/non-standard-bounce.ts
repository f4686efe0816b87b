import { headerValues, type ParsedMessage } from '../../model/message.ts';
import { noticeSection } from './bounce-text.ts';
import { once } from '../../once.ts';
import { addressesIn } from './fields.ts';
import { hasListEnvelope, hasNullReturnPath, hasSystemReturnPath, isNoReplySender, isReplyOrForward, isSystemSender } from './sender.ts';
import { detailFromPhrase, replyCode } from '../../mail/smtp-status.ts';

/** Why a message without an RFC 3464 report is taken for a bounce or a delay warning. */
export interface TextBounce {
  readonly lane: 'bounce' | 'delay';
  readonly evidence: string;
  /** Addresses named by X-Failed-Recipients (Exim), lowercase. */
  readonly failedRecipients: readonly string[];
}

// Subjects of failure notices (English, German, French, Spanish, Italian, Dutch, Japanese, Russian).
const BOUNCE_SUBJECT =
  /undeliver|undelivered|non[- ]?deliver|delivery (?:status notification|failure|failed|has failed|problem|notification)|mail delivery failed|message delivery has failed|delivery failure|failed delivery|returned mail|returning message|failure notice|could not be delivered|not delivered|mail failure|mail system error|error sending your mail|message status - undeliverable|unzustellbar|nicht zustellbar|non remis|non distribuable|no se puede entregar|non recapitabile|onbestelbaar|メールエラー|不達|配信エラー|не доставлено|bounce notification|rejected|returned to sender/i;

// Phrases that only mail systems write, one or more per common MTA.
const BOUNCE_BODY = new RegExp(
  [
    'this is the qmail-send program',
    'this message was created automatically by mail delivery software',
    'delivery to the following recipients? failed',
    'transcript of session follows',
    'the following addresses had (?:permanent )?fatal errors',
    "i'm sorry to have to inform you that your message could not",
    'i\\W?m afraid i wasn.t able to deliver',
    'your message did not reach some or all of the intended recipients',
    'delivery has failed to these recipients',
    'did not reach the following recipient',
    'could not be delivered to (?:one or more|the following|some)',
    'was not delivered to',
    'message could not be delivered',
    'unable to deliver (?:your )?message',
    "couldn't be delivered to",
    'there was an error delivering your mail',
    'we had trouble delivering your message',
    'permanent errors?',
    'failure reasons',
    'the mail system',
    'this is the mail system at host',
    'this is an automatically generated delivery status notification',
    'delivery status notification',
    'message delivery failure',
    'mailbox (?:is )?full',
    'user unknown',
    'no such (?:user|mailbox|recipient)',
    'not a valid user',
    'an error occurred while trying to deliver',
    'undeliverable',
    'your message was rejected',
    'mail delivery failed',
    'could not be delivered',
    'delivery (?:to .{1,80})?(?:has )?failed',
  ].join('|'),
  'i',
);

// List managers (FML, Mailman, Majordomo) refusing a post: the message was not delivered.
const LIST_REJECTION = /you are not a member of this (?:mailing )?list|duplicated message-id|post by non-member|your message .{0,80}(?:has been|was) rejected/i;

// Notices that say the message is still queued: RFC 3464 "delayed" in prose.
const DELAY =
  /\(delay\)|delivery delayed|delay(?:ed)? (?:notice|for more than)|warning: (?:could not send|message .{0,80}delayed)|has not (?:yet )?been delivered|will (?:continue to )?(?:retry|try|attempt)|this is a warning message only|only a temporary failure|still trying|delivery status notification: warning|you do not need to resend|will be retried/i;
const GAVE_UP =
  /permanent(?:ly)?|gave up|giving up|has been rejected|could not be delivered|cannot send message for|was not delivered|failed permanently|fatal error/i;

/**
 * Recognizes bounces that carry no message/delivery-status part (qmail, Exim without DSN,
 * Gmail, Exchange and Notes prose, old Sendmail, webmail providers). A person forwarding or
 * answering a bounce is not one: a reply/forward subject needs a system sender to count.
 */
export function detectTextBounce(message: ParsedMessage): TextBounce | null {
  const failedRecipients = headerValues(message.headers, 'x-failed-recipients').flatMap(addressesIn);
  // The notice is cut from the text only when a rule reads it (most mail is no bounce and reads none).
  const notice = once(() => noticeSection(message.text));
  const nullPath = hasNullReturnPath(message);
  // A From without an address (Webshield, DragonFly) is no person's.
  const fromless = message.from === null;
  const system = isSystemSender(message) || (fromless && (nullPath || hasSystemReturnPath(message)));
  const robot = system || fromless || nullPath || isNoReplySender(message);
  const subject = BOUNCE_SUBJECT.exec(message.subject)?.[0];
  const personal = isReplyOrForward(message.subject) && !system;
  let evidence: string | null = null;
  if (failedRecipients.length > 0) evidence = 'x-failed-recipients';
  else if ((hasListEnvelope(message) || /-(?:admin|owner|request)@/i.test(message.from?.address ?? '')) && LIST_REJECTION.test(notice())) {
    evidence = 'mailing list manager rejected the message';
  } else if (personal) return null;
  // Every prose rule needs a robot sender (system senders are robots) or a bounce subject: a
  // newsletter's or a person's text is not searched for MTA phrases.
  else if (robot || subject) evidence = proseEvidence(notice(), { system, robot, nullPath, subject });
  if (evidence === null) return null;
  const delayed = DELAY.test(message.subject) || (DELAY.test(notice()) && !GAVE_UP.test(notice()));
  return { lane: delayed ? 'delay' : 'bounce', evidence, failedRecipients };
}

/** The evidence of a bounce written as prose: the sender, the subject and the notice's phrases together. */
function proseEvidence(notice: string, sender: { system: boolean; robot: boolean; nullPath: boolean; subject: string | undefined }): string | null {
  const { system, robot, nullPath, subject } = sender;
  const body = BOUNCE_BODY.exec(notice)?.[0];
  const robotName = nullPath ? 'null return-path' : 'robot sender';
  if (system && (subject || body)) return `system sender; ${subject ? `subject "${subject}"` : `body "${body}"`}`;
  if (system && replyCode(notice) && detailFromPhrase(notice)) return 'system sender; smtp reply in body';
  if (robot && subject && body) return `${robotName}; subject "${subject}"`;
  // au by KDDI and other carriers: a null return path, a no-reply sender, a neutral subject.
  if (robot && body && strongBody(notice)) return `${robotName}; body "${body}"`;
  if (subject && body && strongBody(notice)) return `subject "${subject}"; body "${body}"`;
  return null;
}

// Without a system sender, only MTA signatures that a person would not type count.
function strongBody(notice: string): boolean {
  return /qmail-send program|created automatically by mail delivery software|transcript of session follows|had permanent fatal errors|this is the mail system at host|delivery has failed to these recipients|delivery to the following recipients? failed permanently|could not be delivered to:?\s*<[^<>\s]+@[^<>\s]+>|your mail (?:sent|attempted to be delivered) on:? /i.test(
    notice,
  );
}
