import MailComposer from 'nodemailer/lib/mail-composer';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { NodemailerMimeComposer, composerOptions } from '../functions/adapters/outbound/nodemailer-mime-composer.ts';
import { formatTicketNumber } from '../functions/core/mail/ticket-number.ts';
import { ChannelSettingsSchema } from '../functions/core/model/channel.ts';
import type { AttachmentRef } from '../functions/core/model/outbound-mail.ts';
import { OutboundSettingsSchema } from '../functions/core/model/outbound-settings.ts';
import type { AgentReply } from '../functions/core/model/agent-reply.ts';
import { channelTemplate } from '../functions/core/outbound/compose/plan-parts.ts';
import { planReply } from '../functions/core/outbound/compose/plan-reply.ts';
import type { AttachmentContent, AttachmentSource } from '../functions/core/ports/composer.ts';
import { median, round, timeMs } from './stats.ts';

/** The outbound mail shapes: a short text reply, an HTML reply, a reply with two 1 MB files. */
export const COMPOSE_KINDS = ['text-reply', 'html-reply-20k', 'attachments-2m'] as const;
export type ComposeKind = (typeof COMPOSE_KINDS)[number];

/** Median milliseconds of one compose, ours against nodemailer's bare compose of the same mail. */
export interface ComposeRow {
  readonly kind: ComposeKind;
  /** Bytes of the composed message. */
  readonly bytes: number;
  readonly rounds: number;
  /** `planReply`: validation, header safety, subject, threading, recipients. */
  readonly planMs: number;
  /** `NodemailerMimeComposer.compose`: sanitizing, text alternative, template, MailComposer, size check. */
  readonly composeMs: number;
  /** `new MailComposer(sameOptions).compile().build()`: the floor, bodies already rendered. */
  readonly bareMs: number;
  /** composeMs / bareMs. */
  readonly ratio: number;
}

const PARAGRAPH = 'Thank you for your patience. We checked the printer log and the update from Tuesday reset the tray settings; ';

/** Deterministic pseudo-random bytes (xorshift), standing for a compressed file. */
function noise(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

class MemorySource implements AttachmentSource {
  constructor(private readonly files: ReadonlyMap<string, AttachmentContent>) {}

  async fetch(ref: AttachmentRef): Promise<AttachmentContent> {
    const file = this.files.get(ref.source === 's3' ? ref.key : ref.rawKey);
    if (!file) throw new Error('no such benchmark file');
    return file;
  }
}

function replyInput(kind: ComposeKind): { reply: Partial<AgentReply>; files: Map<string, AttachmentContent> } {
  const files = new Map<string, AttachmentContent>();
  if (kind === 'text-reply') return { reply: { text: `Hello Jane,\n\n${PARAGRAPH.repeat(6)}\n\nBest regards` }, files };
  if (kind === 'html-reply-20k') {
    const html = `<p>Hello <b>Jane</b>,</p>${`<p style="color:#333">${PARAGRAPH}<a href="https://acme.example/faq">FAQ</a></p>`.repeat(150)}<table><tr><td>Tray</td><td>A4</td></tr></table>`;
    return { reply: { text: null, html, signature: { html: '<p><b>Max</b><br>ACME Support</p>', text: '' } }, files };
  }
  const attachments = [1, 2].map((n) => {
    files.set(`up/${n}`, { filename: `report-${n}.pdf`, contentType: 'application/pdf', content: noise(1024 * 1024, n) });
    return { source: 's3' as const, key: `up/${n}`, filename: `report-${n}.pdf`, contentType: 'application/pdf' };
  });
  return { reply: { text: `Hello Jane,\n\n${PARAGRAPH}`, attachments }, files };
}

/** A full GC before each timed step of a large mail, so no step pays for the garbage of the one before (as in core-ratio). */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const WARMUP = 3;

export interface ComposeBenchOptions {
  readonly quick: boolean;
  readonly kinds?: readonly ComposeKind[];
}

/**
 * Times the outbound composition round by round, interleaving plan, our compose and the bare
 * nodemailer compose of the same mail (same headers, bodies, attachments), so drift hits all
 * alike. The bare figure is the floor: what nodemailer costs for MIME alone.
 */
export async function measureCompose(options: ComposeBenchOptions): Promise<ComposeRow[]> {
  const channel = ChannelSettingsSchema.parse({ id: 'support', address: 'support@example.com', defaultSkill: 'support', name: 'ACME Support' });
  const outbound = OutboundSettingsSchema.parse({});
  const ticket = formatTicketNumber(1234, channel.ticket);
  const composer = new NodemailerMimeComposer();
  const date = new Date('2026-12-01T10:00:00.000Z');
  const rows: ComposeRow[] = [];
  const gc = collector();
  for (const kind of options.kinds ?? COMPOSE_KINDS) {
    const { reply, files } = replyInput(kind);
    const source = new MemorySource(files);
    let n = 0;
    const plan = () =>
      planReply(
        { ids: { next: () => `bench-${++n}` } },
        {
          channel,
          outbound,
          conversation: { id: 'conv-1', ticketNumber: ticket, replyToken: 'tok' },
          answered: {
            messageId: 'c2@customer.example',
            inReplyTo: 'c1@customer.example',
            references: ['c1@customer.example'],
            subject: 'AW: Printer broken',
            from: { address: 'jane@customer.example', name: 'Jane Doe' },
            replyTo: [],
            sender: null,
          },
          reply: {
            agentId: 'agent-1',
            agentName: 'Max',
            text: null,
            html: null,
            cc: [],
            bcc: [],
            attachments: [],
            template: channelTemplate(outbound),
            signature: null,
            ...reply,
          },
        },
      ).mail;
    const mail = plan();
    const fetched = await Promise.all(mail.attachments.map((ref) => source.fetch(ref)));
    const bareOptions = composerOptions(mail, fetched, date);
    const bytes = (await composer.compose(mail, source)).byteLength;
    const rounds = kind === 'attachments-2m' ? (options.quick ? 5 : 15) : options.quick ? 30 : 150;
    const large = bytes > 1024 * 1024;
    const timed = async (fn: () => Promise<unknown>): Promise<number> => {
      if (large) gc();
      return timeMs(fn);
    };
    const planTimes: number[] = [];
    const composeTimes: number[] = [];
    const bareTimes: number[] = [];
    for (let i = 0; i < WARMUP + rounds; i++) {
      const p = await timed(async () => plan());
      const c = await timed(() => composer.compose(mail, source));
      const b = await timed(() => new MailComposer({ ...bareOptions }).compile().build());
      if (i < WARMUP) continue;
      planTimes.push(p);
      composeTimes.push(c);
      bareTimes.push(b);
    }
    const composeMs = median(composeTimes);
    const bareMs = median(bareTimes);
    rows.push({
      kind,
      bytes,
      rounds,
      planMs: round(median(planTimes), 3),
      composeMs: round(composeMs, 3),
      bareMs: round(bareMs, 3),
      ratio: round(composeMs / bareMs),
    });
  }
  return rows;
}

/** The rows as a small table for the console. */
export function formatComposeRows(rows: readonly ComposeRow[]): string {
  const lines = ['kind              bytes       plan ms  compose ms  bare ms  ratio'];
  for (const r of rows) {
    lines.push(
      `${r.kind.padEnd(16)} ${String(r.bytes).padStart(9)} ${r.planMs.toFixed(3).padStart(10)} ${r.composeMs.toFixed(3).padStart(11)} ${r.bareMs.toFixed(3).padStart(8)} ${r.ratio.toFixed(2).padStart(6)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
