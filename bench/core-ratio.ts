import { MailParser, type MailParserOptions } from 'mailparser';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MailparserMimeParser } from '../functions/adapters/mailparser-mime-parser.ts';
import { UuidIdGenerator } from '../functions/adapters/uuid-id-generator.ts';
import { decideInbound } from '../functions/core/inbound/decide-inbound.ts';
import { InMemoryThreading } from '../functions/cli/in-memory-threading.ts';
import { ChannelSettingsSchema, type ChannelSettings } from '../functions/core/model/channel.ts';
import { MAIL_KINDS, generateMail, type MailKind } from './mails.ts';
import { median, timeMs } from './stats.ts';

/** Median milliseconds of each step for one mail, and the goal ratio. */
export interface CoreRatioRow {
  readonly kind: MailKind;
  readonly bytes: number;
  readonly rounds: number;
  /** mailparser `MailParser` stream, default options, every attachment drained: the floor. */
  readonly floorMs: number;
  /** The same with mailparser's HTML/text extras off, as the adapter runs it. */
  readonly floorLeanMs: number;
  /** `MailparserMimeParser.parse`: the adapter (mailparser plus mapping, sanitizing, limits). */
  readonly adapterParseMs: number;
  /** `decideInbound` with the in-memory store: parse, classify, thread, route. */
  readonly decideMs: number;
  /** decideMs / floorMs: the goal figure. */
  readonly ratio: number;
  /** decideMs / floorLeanMs: what the adapter and core add to the parser's own work. */
  readonly ratioLean: number;
}

/**
 * A full GC before each timed step of a large mail: otherwise one step pays for the garbage of
 * the step before it, and the 25/40 MB medians swing by a third. `--expose-gc` can be set at run
 * time; the `gc` function then appears in new contexts.
 */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** The options `run-mailparser.ts` passes, for the lean floor. */
export const LEAN: MailParserOptions = { keepDeliveryStatus: true, skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true };

/** Bare mailparser: parse to the end, drain and release each attachment, keep nothing. */
export function bareParse(raw: Buffer, options: MailParserOptions = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const parser = new MailParser(options);
    parser.on('data', (data: { type: string; content?: NodeJS.ReadableStream; release?: () => void }) => {
      if (data.type !== 'attachment' || !data.content) return;
      data.content.on('end', () => data.release?.());
      data.content.resume();
    });
    parser.once('end', () => resolve());
    // `on`, not `once`: mailparser's HTML conversion can emit a second error for hostile HTML.
    parser.on('error', reject);
    parser.end(raw);
  });
}

/** The benchmark channel: everything default. */
export function benchChannel(): ChannelSettings {
  return ChannelSettingsSchema.parse({ id: 'support', address: 'support@example.com', defaultSkill: 'support' });
}

/** A store holding the conversation the 5 KB reply answers, so its decision threads (a join). */
async function storeWithParent(channel: ChannelSettings, parser: MailparserMimeParser): Promise<InMemoryThreading> {
  const store = new InMemoryThreading({ ids: new UuidIdGenerator() });
  const parent = generateMail('reply-5k', { messageId: 'first@customer.example', inReplyTo: null, subject: 'Printer broken' });
  const decision = await decideInbound({ parser, lookup: store }, { raw: parent, channel });
  await store.apply(channel.id, decision.thread, { channel, message: decision.message });
  return store;
}

export interface CoreRatioOptions {
  readonly quick: boolean;
  readonly kinds?: readonly MailKind[];
}

/**
 * Interleaves the four measurements round by round (floor, lean floor, adapter, decision), so
 * drift in CPU speed or GC pressure hits all of them alike.
 */
export async function measureCoreRatio(options: CoreRatioOptions): Promise<CoreRatioRow[]> {
  const channel = benchChannel();
  const parser = new MailparserMimeParser();
  const store = await storeWithParent(channel, parser);
  const rows: CoreRatioRow[] = [];
  const gc = collector();
  for (const kind of options.kinds ?? MAIL_KINDS) {
    const raw = generateMail(kind);
    const big = raw.byteLength > 10 * 1024 * 1024;
    const steps = {
      floor: () => bareParse(raw),
      floorLean: () => bareParse(raw, LEAN),
      adapter: () => parser.parse(raw, { maxBytes: channel.maxMessageBytes }),
      decide: () => decideInbound({ parser, lookup: store }, { raw, channel }),
    };
    const times: Record<keyof typeof steps, number[]> = { floor: [], floorLean: [], adapter: [], decide: [] };
    // Small mails run many rounds after a warm-up round; the large ones come after them, with
    // the code already warm, and each round takes seconds.
    const warmup = big ? 0 : 1;
    const minRounds = big ? (options.quick ? 1 : 3) : 15;
    const budgetMs = big ? 0 : options.quick ? 300 : 1200;
    const started = performance.now();
    for (let round = 0; round < warmup + minRounds || (performance.now() - started < budgetMs && round < 400); round++) {
      for (const [name, step] of Object.entries(steps) as [keyof typeof steps, () => Promise<unknown>][]) {
        if (big) gc();
        const ms = await timeMs(step);
        if (round >= warmup) times[name].push(ms);
      }
    }
    const floorMs = median(times.floor);
    const floorLeanMs = median(times.floorLean);
    const decideMs = median(times.decide);
    rows.push({
      kind, bytes: raw.byteLength, rounds: times.decide.length, floorMs, floorLeanMs, adapterParseMs: median(times.adapter), decideMs,
      ratio: decideMs / floorMs, ratioLean: decideMs / floorLeanMs,
    });
  }
  return rows;
}
