import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { policyAction, readSesFeedback } from '../core/outbound/feedback/ses-event.ts';
import type { RecipientUpdate } from '../core/model/delivery-feedback.ts';
import { type Command, UsageError } from './command.ts';
import { errorLine, writeJsonLine } from './output.ts';

const HELP = `Usage: postroom feedback inspect FILE...

Reads each file as the feedback function reads an SQS message body of the SES event pipeline
and prints one JSON object per line (JSON Lines), in the order of the files:

  {"file", "kind", "messageId", "recipients": [{"address", "smtpStatus", "action"}]}

A file may hold the SNS envelope, the bare record (SNS raw delivery or an identity
notification), an EventBridge event, or an SQS event whose records carry any of these (one line
per record). Payloads are read as they really come: event types in any case, keys in
PascalCase, a pretty-printed Message, no mail object, timestamps with offsets.

  kind        bounce, complaint, delivery, delay, reject, rendering-failure, or ignored
              (Send, Open, Click, Subscription; SNS subscription and unsubscribe confirmations,
              SES's setup notice and other control messages)
  messageId   the SES message id the event is about; null when it names none (the feedback
              function logs such an event and applies nothing)
  action      what the suppression policy does with the recipient: suppress (hard bounce,
              complaint), count (soft failure: every Transient or Undetermined bounce,
              whatever its status code; suppresses after repeated failures), none

A payload that cannot be read gives {"file", "error"} with the reason and the command goes on.
Exit status: 0 when every file could be read (payload errors are reported in their lines), 1
when a file could not be read at all.

Examples:
  npx postroom feedback inspect test/fixtures/ses-events/real/*.json
  npx postroom feedback inspect bounce.json | jq -c '{kind, recipients}'`;

interface RecipientLine {
  readonly address: string | null;
  readonly smtpStatus: string | null;
  readonly action: string;
}

type Line =
  | { readonly file: string; readonly kind: string; readonly messageId: string | null; readonly recipients: readonly RecipientLine[] }
  | { readonly file: string; readonly error: string };

function recipientsOf(updates: readonly RecipientUpdate[]): RecipientLine[] {
  return updates.map((u) => ({ address: u.address, smtpStatus: u.smtpStatus, action: policyAction(u) }));
}

/** The line for one payload (an SQS body): what the feedback function makes of it. */
export function describePayload(file: string, body: string): Line {
  try {
    const read = readSesFeedback(body);
    switch (read.kind) {
      case 'feedback':
        return {
          file,
          kind: read.feedback.kind,
          messageId: read.feedback.target.kind === 'ses' ? read.feedback.target.sesMessageId : null,
          recipients: recipientsOf(read.feedback.updates),
        };
      case 'unaddressed':
        return { file, kind: read.feedbackKind, messageId: null, recipients: recipientsOf(read.updates) };
      case 'ignored':
        return { file, kind: 'ignored', messageId: read.sesMessageId, recipients: [] };
      case 'control':
        return { file, kind: 'ignored', messageId: null, recipients: [] };
    }
  } catch (error) {
    return errorLine(file, error);
  }
}

/**
 * The payloads a file holds: the bodies of an SQS event (`Records[].body`) or the `Sns` objects
 * of a Lambda SNS event, else the file itself.
 */
export function payloadsOf(text: string): string[] {
  if (!/^\s*\{\s*"Records"\s*:/.test(text.slice(0, 64))) return [text];
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return [text];
  }
  const records = (data as { Records?: unknown }).Records;
  if (!Array.isArray(records) || records.length === 0) return [text];
  const bodies = records.map((r: unknown) => {
    const record = (r ?? {}) as { body?: unknown; Sns?: unknown };
    if (typeof record.body === 'string') return record.body;
    if (record.Sns !== undefined) return JSON.stringify(record.Sns);
    return null;
  });
  return bodies.every((b): b is string => b !== null) ? bodies : [text];
}

export const feedbackCommand: Command = {
  help: HELP,
  async run(args) {
    const { positionals } = parseArgs({ args: [...args], options: {}, allowPositionals: true });
    const [action, ...files] = positionals;
    if (action !== 'inspect')
      throw new UsageError(action === undefined ? 'name a command: inspect (see --help)' : `unknown command '${action}': inspect (see --help)`);
    if (files.length === 0) throw new UsageError('no files given (see --help)');
    let unreadable = 0;
    for (const file of files) {
      const text = await readFile(file, 'utf8').catch((error: unknown) => error as Error);
      if (text instanceof Error) {
        unreadable += 1;
        await writeJsonLine(errorLine(file, text));
        continue;
      }
      for (const body of payloadsOf(text)) await writeJsonLine(describePayload(file, body));
    }
    return unreadable > 0 ? 1 : 0;
  },
};
