import { z } from 'zod';
import type { MailTemplate } from '../outbound/compose/render-template.ts';
import type { Signature } from './admin-resources.ts';
import { AddressSchema, headerSafeText, TEXT_LIMITS } from './fields.ts';
import type { AttachmentRef, OutboundAddress } from './outbound-mail.ts';

/** An address as an API caller gives it: a bare address, or an address with a display name. */
export const AddressInputSchema = z.union(
  [
    AddressSchema.transform((address): OutboundAddress => ({ address, name: '' })),
    z.strictObject({ address: AddressSchema, name: headerSafeText(TEXT_LIMITS.name).default('') }),
  ],
  { error: 'an email address, or { "address": an email address, "name": a name without line breaks }' },
);
export type AddressInput = z.input<typeof AddressInputSchema>;

/**
 * An agent's mail as the planner takes it: the fields of a `ReplyRequest` after its one parse,
 * attachments resolved to where their bytes are, the template and signature chosen
 * (`chooseTemplate`, `replySignature`). Planning checks header safety again, and nothing else.
 */
export interface AgentReply {
  readonly agentId: string;
  /** Shown in the template's `{{agentName}}`. */
  readonly agentName: string;
  /** One of the channel's From addresses; the channel address when missing. */
  readonly from?: string | undefined;
  readonly text: string | null;
  readonly html: string | null;
  readonly cc: readonly OutboundAddress[];
  readonly bcc: readonly OutboundAddress[];
  readonly attachments: readonly AttachmentRef[];
  readonly template: MailTemplate;
  /** The agent's signature; null (or both parts empty) for none. */
  readonly signature: Signature | null;
}

/** A new outbound mail (one that answers nothing): an agent's mail plus To and a subject. */
export interface NewMail extends AgentReply {
  readonly to: readonly OutboundAddress[];
  readonly subject: string;
}
