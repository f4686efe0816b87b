import type { ChannelSettings } from '../model/channel.ts';
import type { InboundRecord } from '../model/inbound-record.ts';
import type { ApplyFeedbackOptions } from '../outbound/feedback/apply-feedback.ts';
import { correlateReport } from '../outbound/feedback/correlate-report.ts';
import { processFeedback, type ProcessedFeedback, type ProcessFeedbackDeps } from '../outbound/feedback/process-feedback.ts';
import type { InboundDecision } from './decide-message.ts';

/** What a DSN or ARF report that reached a channel needs: the feedback function's use case and options. */
export interface DeliveryReportDeps extends ProcessFeedbackDeps {
  /** Where feedback suppresses and how soft failures count, as the feedback function has them. */
  readonly options: ApplyFeedbackOptions;
}

/**
 * Applies a delivery report (a DSN or ARF report: mail we sent over the channel's SMTP server
 * comes back this way) to the reply it reports on, as an SES event is applied: the recipient's
 * status and the suppression list, once per report (`processFeedback`). Null for mail of any
 * other lane. A report on no mail of ours changes nothing.
 */
export async function applyDeliveryReport(
  deps: DeliveryReportDeps,
  channel: ChannelSettings,
  record: InboundRecord,
  decision: InboundDecision,
): Promise<ProcessedFeedback | null> {
  const feedback = correlateReport({
    channelId: channel.id,
    message: decision.message,
    classification: decision.classification,
    receivedAt: record.mail.receivedAt,
    receiptId: record.sesMessageId,
  });
  return feedback === null ? null : processFeedback(deps, feedback, deps.options);
}
