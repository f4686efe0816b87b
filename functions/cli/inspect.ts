import { classify } from '../core/inbound/classify.ts';
import { extractReply } from '../core/inbound/extract-reply.ts';
import { extractTicketNumber } from '../core/mail/ticket-number.ts';
import type { ChannelSettings } from '../core/model/channel.ts';
import type { ParsedMessage } from '../core/model/message.ts';
import type { Command } from './command.ts';
import { runOverMailFiles } from './mail-files.ts';

const HELP = `Usage: postroom inspect [--channel SETTINGS.json] FILE...

Parses and classifies each mail file and prints one JSON object per line (JSON Lines), in the
order of the files: ids, addresses, subject, text and the new text of a reply, attachments,
the lane (human, auto-reply, out-of-office, bounce, delay, delivery-report, feedback-report,
read-receipt, bulk) with its reason, the bounce report and the ticket number in the subject.
A file that cannot be parsed gives {"file", "error"} and the command goes on. Exit status:
0 when every file could be read (parse errors are reported in their lines), 1 when a file
could not be read at all.

Options:
  --channel FILE   channel settings JSON (ticket number format, addresses); default:
                   support@example.test with tickets like [#0000017]

Examples:
  npx postroom inspect mail.eml
  npx postroom inspect bounces/*.eml | jq -c '{file, lane, bounce}'`;

/** The JSON line `inspect` prints for one parsed message. */
export function describeMessage(file: string, message: ParsedMessage, channel: ChannelSettings): Record<string, unknown> {
  const classification = classify(message, { ownAddresses: [channel.address, ...channel.aliases] });
  const isBounce = classification.lane === 'bounce';
  const reply = extractReply(message.text, message.htmlReply);
  return {
    file,
    messageId: message.messageId,
    inReplyTo: message.inReplyTo,
    references: message.references,
    subject: message.subject,
    from: message.from,
    to: message.to,
    cc: message.cc,
    date: message.date,
    text: message.text,
    reply: reply.reply,
    replyRule: reply.rule,
    replyConfidence: reply.confidence,
    attachments: message.attachments.map(({ filename, contentType, size, inline }) => ({ filename, contentType, size, inline })),
    lane: classification.lane,
    laneReason: classification.reason,
    bounce: isBounce ? classification.deliveryReport : null,
    deliveryReport: classification.deliveryReport,
    feedbackReport: classification.feedbackReport,
    tags: classification.tags,
    ticketNumber: extractTicketNumber(message.subject, channel.ticket),
  };
}

export const inspectCommand: Command = {
  help: HELP,
  run: (args) => runOverMailFiles(args, (channel) => (file, message) => describeMessage(file, message, channel)),
};
