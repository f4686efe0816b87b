import type { ParsedMessage } from '../../core/model/message.ts';
import { readCsv } from './corpus.ts';

export interface FieldCheck {
  readonly file: string;
  readonly field: 'subject' | 'from' | 'attachments';
  readonly expected: string;
  readonly actual: string;
  readonly agrees: boolean;
}

/** Zammad labels this project holds wrong, left out of that field's score, with the reason. */
export const PARSE_LABEL_NOTES: Readonly<Record<string, { field: FieldCheck['field']; reason: string }>> = {
  'zammad/mail/mail018.box': {
    field: 'subject',
    reason: 'the label keeps the UTF-7 subject undecoded (`+ANw-bermittlungsstatus`); decoded it is "Übermittlungsstatus"',
  },
  'zammad/mail/mail035.box': { field: 'from', reason: 'the label keeps the quotes around the address' },
  'zammad/mail/mail071.box': {
    field: 'from',
    reason: 'the label `power quadrant system@example.com` is no address (RFC 5322 local parts have no bare spaces)',
  },
  'zammad/mail/mail087.box': { field: 'from', reason: 'the label keeps the display name `Test` in the address' },
};

const squash = (s: string): string => s.replace(/\s+/g, ' ').trim();

/**
 * Compares the parsed subject, From address and attachment count with zammad's parse
 * expectations (attachments: the count without zammad's stored copy of the HTML body).
 */
export async function checkZammad(dir: string, messageOf: (file: string) => ParsedMessage | null): Promise<FieldCheck[]> {
  const rows = await readCsv(dir, 'zammad/labels.csv');
  const checks: FieldCheck[] = [];
  for (const row of rows) {
    const file = `zammad/${row.file}`;
    const message = messageOf(file);
    const subject = squash(message?.subject ?? '(unparsed)');
    // Zammad's `from` is whom to answer: the From address, or Reply-To when From carries none.
    const from = message?.from?.address || message?.replyTo[0]?.address || '';
    const attachments = String(message?.attachments.length ?? -1);
    const expect = {
      subject: squash(row.subject ?? ''),
      from: (row.from_email ?? '').toLowerCase().trim(),
      attachments: row.attachments_excl_html_body_copy ?? '',
    };
    checks.push({ file, field: 'subject', expected: expect.subject, actual: subject, agrees: subject === expect.subject });
    checks.push({ file, field: 'from', expected: expect.from, actual: from, agrees: from === expect.from });
    checks.push({ file, field: 'attachments', expected: expect.attachments, actual: attachments, agrees: attachments === expect.attachments });
  }
  return checks.filter((c) => PARSE_LABEL_NOTES[c.file]?.field !== c.field);
}
