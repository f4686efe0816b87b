import { PolicyError } from '../../errors.ts';
import type { ChannelSettings } from '../../model/channel.ts';
import type { AgentReply } from '../../model/agent-reply.ts';
import type { AttachmentRef, ExtraHeader, OutboundAddress, OutboundContent, OutboundMail } from '../../model/outbound-mail.ts';
import type { OutboundSettings } from '../../model/outbound-settings.ts';
import { assertHtmlDepth } from './html-depth.ts';
import { assertAttachmentFilename, assertSafeAddress, assertSafeDisplayName, assertSafeExtraHeader } from './header-safety.ts';
import { replyTokenAddress } from './message-id.ts';
import { DEFAULT_TEMPLATE, assertTemplate, type MailTemplate } from './render-template.ts';

/** The conversation a mail belongs to, as planning needs it. */
export interface PlanConversation {
  readonly id: string;
  readonly ticketNumber: string;
  readonly replyToken: string | null;
}

/**
 * The From of a mail: the address the agent chose (the channel address when none) if it is the
 * channel address or one of its allowed From addresses, with that entry's display name, else the
 * channel's. Throws `PolicyError('policy')` for any other address: sending as an address the
 * admin did not allow would be spoofing, and SES would refuse an unverified one anyway.
 */
export function resolveFrom(channel: ChannelSettings, outbound: OutboundSettings, chosen: string | undefined): OutboundAddress {
  const wanted = (chosen ?? channel.address).trim().toLowerCase();
  assertSafeAddress('from.address', wanted);
  const entry = outbound.allowedFrom.find((f) => f.address === wanted);
  if (wanted !== channel.address && !entry) {
    throw new PolicyError(
      'policy',
      `${wanted} is not an allowed From address of channel ${channel.id}; use ${[channel.address, ...outbound.allowedFrom.map((f) => f.address)].join(', ')}`,
    );
  }
  const name = (entry?.name || outbound.displayName || channel.name).trim();
  assertSafeDisplayName('from.name', name);
  return { address: wanted, name };
}

/**
 * Reply-To of a mail: the conversation's reply-token address when the channel uses tokens; else
 * the channel address when From is not an address the channel receives on (an allowed From of
 * another mailbox), so answers still come back; else none.
 */
export function resolveReplyTo(channel: ChannelSettings, conversation: PlanConversation, from: OutboundAddress): OutboundAddress | null {
  if (channel.replyToken && conversation.replyToken) {
    return { address: replyTokenAddress(channel.address, conversation.replyToken), name: from.name };
  }
  const receiving = [channel.address, ...channel.aliases];
  return receiving.includes(from.address) ? null : { address: channel.address, name: from.name };
}

/** Every address of the channel: never a recipient of its own mail. */
export function ownAddresses(channel: ChannelSettings, outbound: OutboundSettings): string[] {
  return [channel.address, ...channel.aliases, ...outbound.allowedFrom.map((f) => f.address)];
}

/** The template a reply uses when it names none and the channel stores no `default`: the inline one, else the built-in one. */
export function channelTemplate(outbound: OutboundSettings): MailTemplate {
  return { html: outbound.template ?? DEFAULT_TEMPLATE, text: null };
}

/**
 * The content pieces of a mail: the agent's text and HTML as given, the chosen template checked
 * (both variants, and its nesting depth, as the signature's), the signature (null when both parts are blank). Sanitizing and rendering are
 * `renderBodies`', when the mail is composed or previewed.
 */
export function contentOf(channel: ChannelSettings, outbound: OutboundSettings, conversation: PlanConversation, reply: AgentReply): OutboundContent {
  // Stored before there were limits: refused when the reply is queued rather than when it is sent.
  assertHtmlDepth(reply.template.html, 'template');
  if (reply.signature?.html) assertHtmlDepth(reply.signature.html, 'signature.html');
  assertTemplate(reply.template.html, 'html');
  if (reply.template.text !== null) assertTemplate(reply.template.text, 'text', 'text');
  const blank = (s: string | null | undefined): string | null => (s && s.trim() !== '' ? s : null);
  const signature =
    reply.signature && (blank(reply.signature.text) || blank(reply.signature.html))
      ? { text: blank(reply.signature.text), html: blank(reply.signature.html) }
      : null;
  return {
    text: blank(reply.text),
    html: blank(reply.html),
    signature,
    template: reply.template.html,
    textTemplate: reply.template.text,
    ticketNumber: conversation.ticketNumber,
    agentName: reply.agentName.trim(),
    channelName: (outbound.displayName || channel.name).trim(),
  };
}

/** Attachment filenames go into Content-Disposition and Content-Type headers: checked like any header text, and no paths. */
export function checkAttachments(attachments: readonly AttachmentRef[]): AttachmentRef[] {
  attachments.forEach((a, i) => {
    if (a.filename !== undefined) assertAttachmentFilename(`attachments[${i}].filename`, a.filename);
  });
  return [...attachments];
}

/** Extra headers (e.g. `Auto-Submitted` on an acknowledgement), checked. */
export function checkHeaders(headers: readonly ExtraHeader[]): ExtraHeader[] {
  for (const h of headers) assertSafeExtraHeader(h.name, h.value);
  return headers.map((h) => ({ name: h.name, value: h.value }));
}

/** The transport part of a planned mail. */
export function transportOf(outbound: OutboundSettings): OutboundMail['transport'] {
  return { kind: outbound.outbound.transport, configurationSet: outbound.outbound.configurationSet ?? null };
}
