/**
 * How work grows with input size, measured so that a loaded machine does not decide the answer:
 * the input at scale n and at 4n are timed alternately, several rounds, and the best time of
 * each is kept (a pause for garbage collection or another process falls on a round that is not
 * kept). Linear work grows about 4 times from n to 4n; quadratic work 16 times.
 */
export interface Growth {
  readonly smallMs: number;
  readonly largeMs: number;
  /** largeMs over smallMs, with smallMs counted as at least `FLOOR_MS`. */
  readonly ratio: number;
}

/** Times below this are mostly timer and call overhead: they count as this much. */
export const FLOOR_MS = 1;

/** The bound the tests hold work to: well above linear (4), well below quadratic (16). */
export const LINEAR_BOUND = 10;

/**
 * The growth from scale n to 4n of `run` on `make(n)`. When a measurement is over the bound it
 * is taken again, up to `attempts` times in all, and the lowest ratio is kept: the machine may
 * have been busy for one, but work that is not linear stays over the bound every time.
 */
export async function growth(
  make: (scale: number) => string,
  run: (input: string) => unknown,
  scale: number,
  { rounds = 5, attempts = 3 }: { readonly rounds?: number; readonly attempts?: number } = {},
): Promise<Growth> {
  const small = make(scale);
  const large = make(scale * 4);
  // One untimed run of each first, so compiling the code is not counted.
  await run(small);
  await run(large);
  let lowest: Growth | null = null;
  for (let attempt = 0; attempt < attempts && (lowest === null || lowest.ratio >= LINEAR_BOUND); attempt++) {
    const measured = await measure(small, large, run, rounds);
    if (lowest === null || measured.ratio < lowest.ratio) lowest = measured;
  }
  return lowest as Growth;
}

async function measure(small: string, large: string, run: (input: string) => unknown, rounds: number): Promise<Growth> {
  const best = { small: Number.POSITIVE_INFINITY, large: Number.POSITIVE_INFINITY };
  for (let round = 0; round < rounds; round++) {
    for (const [name, input] of [
      ['small', small],
      ['large', large],
    ] as const) {
      const started = performance.now();
      await run(input);
      best[name] = Math.min(best[name], performance.now() - started);
    }
  }
  return { smallMs: best.small, largeMs: best.large, ratio: best.large / Math.max(best.small, FLOOR_MS) };
}
