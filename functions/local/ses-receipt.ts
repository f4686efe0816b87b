import { randomBytes } from 'node:crypto';
import { ReceiptVerdictsSchema, type ReceiptVerdicts } from '../core/model/classification.ts';
import { parseOrThrow } from '../core/validation.ts';
import type { SesReceiptEvent } from '../runtime/ses-event.ts';

/** A message id shaped like the ones SES receiving hands out: 20 bytes, lowercase base32-ish. */
export function newSesMessageId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(40)].map((b) => alphabet[b % alphabet.length]).join('');
}

export const ALL_PASS: Required<Omit<ReceiptVerdicts, 'dmarcPolicy'>> = {
  spamVerdict: 'PASS',
  virusVerdict: 'PASS',
  spfVerdict: 'PASS',
  dkimVerdict: 'PASS',
  dmarcVerdict: 'PASS',
};

/**
 * The event SES receiving passes to a receipt rule's Lambda action: headers and verdicts, never
 * the body (the S3 action stored that under the same message id).
 */
export function sesReceiptEvent(input: {
  readonly sesMessageId: string;
  readonly mailFrom: string;
  readonly recipients: readonly string[];
  readonly verdicts: ReceiptVerdicts;
  readonly receivedAt: Date;
}): SesReceiptEvent {
  const timestamp = input.receivedAt.toISOString();
  const verdict = (status: string | undefined) => ({ status: status ?? 'DISABLED' });
  return {
    Records: [
      {
        ses: {
          mail: { messageId: input.sesMessageId, timestamp, source: input.mailFrom },
          receipt: {
            timestamp,
            recipients: [...input.recipients],
            spamVerdict: verdict(input.verdicts.spamVerdict),
            virusVerdict: verdict(input.verdicts.virusVerdict),
            spfVerdict: verdict(input.verdicts.spfVerdict),
            dkimVerdict: verdict(input.verdicts.dkimVerdict),
            dmarcVerdict: verdict(input.verdicts.dmarcVerdict),
            ...(input.verdicts.dmarcPolicy ? { dmarcPolicy: input.verdicts.dmarcPolicy.toLowerCase() } : {}),
          },
        },
      },
    ],
  };
}

const VERDICT_KEYS: Readonly<Record<string, keyof ReceiptVerdicts>> = {
  spam: 'spamVerdict',
  virus: 'virusVerdict',
  spf: 'spfVerdict',
  dkim: 'dkimVerdict',
  dmarc: 'dmarcVerdict',
  'dmarc-policy': 'dmarcPolicy',
};

/**
 * Parses `spam=FAIL, virus=FAIL, dmarc=FAIL, dmarc-policy=REJECT` (the sandbox's `--verdicts`
 * option and `X-Sandbox-Verdicts` header) over a base set of verdicts.
 */
export function parseVerdicts(text: string, base: ReceiptVerdicts): ReceiptVerdicts {
  const out: Record<string, string> = { ...base };
  for (const part of text
    .split(/[,;]/)
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name = '', value = ''] = part.split('=').map((s) => s.trim());
    const key = VERDICT_KEYS[name.toLowerCase()];
    if (!key) throw new Error(`unknown verdict '${name}' (use ${Object.keys(VERDICT_KEYS).join(', ')})`);
    out[key] = value.toUpperCase();
  }
  return parseOrThrow(ReceiptVerdictsSchema, out, 'verdicts');
}
