import type { DeliveryRecipient } from '../../model/classification.ts';
import { addressIn, readFields, type Field } from './fields.ts';
import { enhancedCode, isPermanent, statusFromDiagnostic } from '../../mail/smtp-status.ts';

const ACTIONS = new Set(['failed', 'delayed', 'delivered', 'relayed', 'expanded']);
// Fields that open a per-recipient group (RFC 3464 §2.3); Sendmail adds X-Actual-Recipient.
const RECIPIENT_FIELDS = new Set(['original-recipient', 'final-recipient']);
// Hostile input limit: one DSN about thousands of recipients is not a real DSN.
const MAX_RECIPIENTS = 500;

/**
 * Parses an RFC 3464 message/delivery-status (or RFC 6533 message/global-delivery-status)
 * body into one entry per recipient. Tolerates missing blank lines between groups, a missing
 * Final-Recipient (Original-Recipient or X-Actual-Recipient is used), and a missing or
 * generic Status (derived from Diagnostic-Code, RFC 3464 §2.3.6).
 */
export function parseDeliveryStatus(text: string): DeliveryRecipient[] {
  return recipientGroups(readFields(text))
    .map(toRecipient)
    .filter((r): r is DeliveryRecipient => r !== null)
    .slice(0, MAX_RECIPIENTS);
}

// Groups are separated by blank lines (RFC 3464 §2.1); a repeated recipient field also opens
// one, for MTAs that omit the blank line. Field order inside a group varies in the wild.
function recipientGroups(fields: readonly Field[]): Field[][] {
  const groups: Field[][] = [];
  let current: Field[] | null = null;
  for (const field of fields) {
    if (field.name === '') {
      current = null;
      continue;
    }
    if (current === null || (RECIPIENT_FIELDS.has(field.name) && current.some((f) => f.name === field.name))) {
      current = [];
      groups.push(current);
    }
    current.push(field);
  }
  return groups;
}

function toRecipient(group: readonly Field[]): DeliveryRecipient | null {
  const get = (name: string) => group.find((f) => f.name === name)?.value ?? null;
  const address = addressIn(get('final-recipient') ?? '') ?? addressIn(get('x-actual-recipient') ?? '') ?? addressIn(get('original-recipient') ?? '');
  if (address === null) return null;
  const diagnostic = get('diagnostic-code');
  const rawAction = normalAction(
    get('action')
      ?.toLowerCase()
      .split(/[\s(;]/)[0] ?? null,
  );
  const status = pickStatus(get('status'), diagnostic, rawAction);
  const action = rawAction ?? actionOf(status);
  return {
    address,
    status,
    action,
    permanent: action === 'failed' && isPermanent(status, action),
    diagnostic: diagnostic ? diagnostic.replace(/^\s*smtp\s*;\s*/i, '') : null,
  };
}

/**
 * RFC 3464 makes Status authoritative, but many MTAs write a generic `5.0.0` and put the
 * precise code in Diagnostic-Code; a more specific code of the same class wins then.
 */
function pickStatus(status: string | null, rawDiagnostic: string | null, action: string | null): string | null {
  const diagnostic = rawDiagnostic === null ? null : unwrapSes(rawDiagnostic);
  const declared = status ? enhancedCode(status) : null;
  const cls = declared?.[0] ?? classOfAction(action);
  const fromDiagnostic = diagnostic ? statusFromDiagnostic(diagnostic, cls === '4' || cls === '5' ? cls : null) : null;
  if (declared === null) return fromDiagnostic;
  const explicit = diagnostic ? enhancedCode(diagnostic) : null;
  const sharper = explicit !== null && explicit === fromDiagnostic && explicit[0] === declared[0] && !explicit.endsWith('.0.0');
  return declared.endsWith('.0.0') && sharper ? explicit : declared;
}

/**
 * Amazon SES wraps the remote server's answer in a generic code of its own:
 * "5.1.0 - Unknown address error 552-'5.2.2 Mailbox Full' (delivery attempts: 0)". The
 * quoted answer is what the recipient's server said.
 */
function unwrapSes(diagnostic: string): string {
  const inner = /\b[245]\.\d{1,3}\.\d{1,3} - [^']{0,80}'([^']{3,400})'/.exec(diagnostic)?.[1];
  // Without a code of its own the answer says less than SES's code ("5.3.0 … 'Unknown user …'").
  return inner !== undefined && enhancedCode(inner) !== null ? inner : diagnostic;
}

// Vendors write non-RFC actions: SendGrid "expired", others "bounced" or "undeliverable".
function normalAction(action: string | null): string | null {
  if (action === null) return null;
  if (ACTIONS.has(action)) return action;
  return /^(?:expired|bounced?|undeliverable|failure|rejected|dropped)$/.test(action) ? 'failed' : null;
}

function classOfAction(action: string | null): string | null {
  if (action === 'failed') return '5';
  if (action === 'delayed') return '4';
  return null;
}

function actionOf(status: string | null): string | null {
  if (status?.startsWith('5.')) return 'failed';
  if (status?.startsWith('4.')) return 'delayed';
  if (status?.startsWith('2.')) return 'delivered';
  return null;
}
