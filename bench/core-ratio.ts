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
  /** `MailparserMimeParser.parse` as the decision runs it (HTML omitted): mailparser plus mapping, limits, the quote cut. */
  readonly adapterParseMs: number;
  /**
   * The same with the HTML sanitized, as the admin API reads a message; timed in rounds of its
   * own (see `measureCoreRatio`). Null for the mails over 10 MB (attachments, no HTML).
   */
  readonly sanitizedParseMs: number | null;
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

// A balanced Latin square for four steps, row `round % 4` = this order shifted by `round`: over
// four rounds, each step comes directly after each other step once.
const BALANCED = [0, 1, 3, 2];

export interface CoreRatioOptions {
  readonly quick: boolean;
  readonly kinds?: readonly MailKind[];
}

/**
 * Interleaves the four measurements round by round (floor, lean floor, adapter, decision), in
 * orders that change each round (`BALANCED`), so drift in CPU speed and GC pressure hits all of
 * them alike and no step always pays for the garbage of the same predecessor.
 *
 * The sanitizing parse runs in rounds of its own after them. Interleaved, the step after it paid
 * for collecting sanitize-html's garbage: on the newsletter, 2.1 ms of GC pauses per round fell
 * into the decision, which never sanitizes, and none into the sanitizing step; the ratio read
 * 1.49 that way and 0.98 with the sanitizing step left out, in one process.
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
      adapter: () => parser.parse(raw, { maxBytes: channel.maxMessageBytes }, { html: 'omit' }),
      decide: () => decideInbound({ parser, lookup: store }, { raw, channel }),
    };
    const names = Object.keys(steps) as (keyof typeof steps)[];
    const times: Record<keyof typeof steps, number[]> = { floor: [], floorLean: [], adapter: [], decide: [] };
    // Small mails run many rounds after a warm-up round; the large ones come after them, with
    // the code already warm, and each round takes seconds.
    const warmup = big ? 0 : 1;
    const minRounds = big ? (options.quick ? 1 : 3) : 15;
    const budgetMs = big ? 0 : options.quick ? 300 : 1200;
    const started = performance.now();
    for (let round = 0; round < warmup + minRounds || (performance.now() - started < budgetMs && round < 400); round++) {
      for (let index = 0; index < names.length; index++) {
        const name = names[((BALANCED[index] ?? index) + round) % names.length] as keyof typeof steps;
        if (big) gc();
        const ms = await timeMs(steps[name]);
        if (round >= warmup) times[name].push(ms);
      }
    }
    const sanitized = big ? null : await timeRounds(() => parser.parse(raw, { maxBytes: channel.maxMessageBytes }), minRounds, budgetMs / 4);
    const floorMs = median(times.floor);
    const floorLeanMs = median(times.floorLean);
    const decideMs = median(times.decide);
    rows.push({
      kind,
      bytes: raw.byteLength,
      rounds: times.decide.length,
      floorMs,
      floorLeanMs,
      adapterParseMs: median(times.adapter),
      sanitizedParseMs: sanitized === null ? null : median(sanitized),
      decideMs,
      ratio: decideMs / floorMs,
      ratioLean: decideMs / floorLeanMs,
    });
  }
  return rows;
}

/** One step alone: a warm-up round, then at least `minRounds` and more while the budget lasts. */
async function timeRounds(step: () => Promise<unknown>, minRounds: number, budgetMs: number): Promise<number[]> {
  const times: number[] = [];
  await step();
  const started = performance.now();
  while (times.length < minRounds || (performance.now() - started < budgetMs && times.length < 400)) times.push(await timeMs(step));
  return times;
}
