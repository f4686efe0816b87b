import type { DeliveryReport } from '../../core/model/classification.ts';
import { readCsv, readJson } from './corpus.ts';
import { RECIPIENT_LABEL_NOTES } from './label-notes.ts';

/** One labelled recipient and whether the core's report agrees with it. */
export interface RecipientCheck {
  readonly file: string;
  readonly expected: string;
  readonly actual: string;
  readonly agrees: boolean;
}

interface SisimaiCase {
  file: string;
  category: string;
  recipients: { index: number; status: string | null }[];
}

/** Looks up the delivery report the core produced for a corpus file. */
export type ReportOf = (file: string) => DeliveryReport | null;

/**
 * sisimai writes `X.0.9NN` when a bounce states no status: its own code for the reason it
 * inferred (RFC 3463 registers no such detail). Against those, only the class (4 or 5) is
 * compared.
 */
const SISIMAI_PSEUDO_STATUS = /^([245])\.0\.9\d\d$/;

function sisimaiStatusAgrees(label: string | null, actual: string | null): boolean {
  if (label === null) return true;
  const pseudo = SISIMAI_PSEUDO_STATUS.exec(label);
  return pseudo ? actual?.[0] === pseudo[1] : label === actual;
}

/**
 * sisimai labels give, per recipient (by position), the enhanced status code. A recipient
 * agrees when the core reports a recipient at that position with the same status (any status
 * when the label has none). Recipients the core reports beyond the label's count disagree.
 */
export async function checkSisimai(dir: string, reportOf: ReportOf): Promise<RecipientCheck[]> {
  const labels = await readJson<{ cases: SisimaiCase[] }>(dir, 'sisimai/labels.json');
  const checks: RecipientCheck[] = [];
  for (const c of labels.cases.filter((x) => x.category === 'bounce' || x.category === 'dsn-delivered')) {
    const file = `sisimai/${c.file}`;
    const actual = reportOf(file)?.recipients ?? [];
    const note = RECIPIENT_LABEL_NOTES[file];
    const expected = [...c.recipients].sort((a, b) => a.index - b.index).slice(0, note?.recipients);
    const n = Math.max(expected.length, actual.length);
    for (let i = 0; i < n; i += 1) {
      const want = expected[i];
      const got = actual[i];
      const agrees = want !== undefined && got !== undefined && sisimaiStatusAgrees(want.status, got.status);
      checks.push({
        file,
        expected: want ? `#${i + 1} ${want.status ?? '(any status)'}` : '(none)',
        actual: got ? `#${i + 1} ${got.address} ${got.status ?? '(no status)'}` : '(none)',
        agrees,
      });
    }
  }
  return checks;
}

/**
 * bounceparser labels give the bounced addresses and, for some, an SMTP reply code or a
 * status. An address agrees when the core reports it and its status matches the label's
 * status, or the class (2/4/5) of the label's reply code.
 */
export async function checkBounceparser(dir: string, reportOf: ReportOf): Promise<RecipientCheck[]> {
  const rows = await readCsv(dir, 'bounceparser/labels.csv');
  const checks: RecipientCheck[] = [];
  for (const row of rows.filter((r) => r.is_bounce === 'True' && (r.addresses ?? '').trim() !== '')) {
    const file = `bounceparser/${row.file}`;
    const recipients = reportOf(file)?.recipients ?? [];
    for (const address of (row.addresses ?? '').trim().split(/\s+/)) {
      const got = recipients.find((r) => r.address === address.toLowerCase());
      const status = row.status ?? '';
      const code = row.smtp_code ?? '';
      const statusAgrees = status !== '' ? got?.status === status : code !== '' ? got?.status?.[0] === code[0] : true;
      checks.push({
        file,
        expected: `${address} ${status || code || '(any status)'}`,
        actual: got ? `${got.address} ${got.status ?? '(no status)'}` : '(not reported)',
        agrees: got !== undefined && statusAgrees,
      });
    }
  }
  return checks;
}
