import { MailparserMimeParser } from '../functions/adapters/mailparser-mime-parser.ts';
import { UuidIdGenerator } from '../functions/adapters/uuid-id-generator.ts';
import { InMemoryThreading } from '../functions/cli/in-memory-threading.ts';
import { decideInbound } from '../functions/core/inbound/decide-inbound.ts';
import { bareParse, benchChannel, LEAN } from './core-ratio.ts';
import { generateHostileMail, HOSTILE_KINDS, type HostileKind } from './hostile-mails.ts';
import { median, timeMs } from './stats.ts';

/** One pathological mail: median ms of the parser floors and of the inbound decision. */
export interface HostileRow {
  readonly kind: HostileKind;
  readonly bytes: number;
  /** mailparser with default options; `floorFailed` when it rejected the mail (hostile HTML breaks its text conversion). */
  readonly floorMs: number;
  readonly floorFailed: boolean;
  /** mailparser with the options the adapter uses. */
  readonly floorLeanMs: number;
  /** `decideInbound` with the in-memory store, as the inbound function runs it. */
  readonly decideMs: number;
  /** Tags the decision gave the mail (the limits and repairs it met among them). */
  readonly tags: readonly string[];
}

export interface HostileResult {
  readonly rounds: number;
  readonly rows: readonly HostileRow[];
  /** The row with the slowest decision. */
  readonly slowest: HostileRow;
}

async function timeFloor(raw: Buffer): Promise<{ ms: number; failed: boolean }> {
  const started = performance.now();
  const failed = await bareParse(raw).then(
    () => false,
    () => true,
  );
  return { ms: performance.now() - started, failed };
}

/**
 * Each pathological mail (`hostile-mails.ts`) through the inbound decision and through the
 * parser floors, interleaved round by round; the slowest decision is the figure that counts:
 * one crafted mail must not hold an inbound function for long.
 */
export async function measureHostile(options: { readonly quick: boolean; readonly kinds?: readonly HostileKind[] }): Promise<HostileResult> {
  const channel = benchChannel();
  const parser = new MailparserMimeParser();
  const store = new InMemoryThreading({ ids: new UuidIdGenerator() });
  const rounds = options.quick ? 1 : 3;
  const rows: HostileRow[] = [];
  for (const kind of options.kinds ?? HOSTILE_KINDS) {
    const raw = generateHostileMail(kind);
    const times = { floor: [] as number[], floorLean: [] as number[], decide: [] as number[] };
    let floorFailed = false;
    let tags: readonly string[] = [];
    for (let round = 0; round < rounds; round++) {
      const floor = await timeFloor(raw);
      times.floor.push(floor.ms);
      floorFailed ||= floor.failed;
      times.floorLean.push(await timeMs(() => bareParse(raw, LEAN)));
      times.decide.push(
        await timeMs(async () => {
          tags = (await decideInbound({ parser, lookup: store }, { raw, channel })).tags;
        }),
      );
    }
    rows.push({
      kind,
      bytes: raw.byteLength,
      floorMs: median(times.floor),
      floorFailed,
      floorLeanMs: median(times.floorLean),
      decideMs: median(times.decide),
      tags,
    });
  }
  const slowest = rows.reduce((worst, row) => (row.decideMs > worst.decideMs ? row : worst));
  return { rounds, rows, slowest };
}
