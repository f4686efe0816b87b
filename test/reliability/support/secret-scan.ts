import { format } from 'node:util';

/*
 * Collects what a run shows to people — every line written to stdout or stderr (Powertools
 * loggers, the sandbox's own messages, console calls) and every HTTP answer of the API (status,
 * headers, body) — and finds the test secrets in it: as written, URL-encoded, JSON-escaped and in
 * base64 (either alphabet, at any byte offset, as SMTP AUTH or a Basic header would carry it).
 */

export interface Leak {
  /** The secret's label (`smtp password`, `refresh token 2`…), never its value. */
  readonly secret: string;
  /** How it appeared: `as written`, `url-encoded`, `json-escaped`, `base64`. */
  readonly form: string;
  readonly where: string;
  /** The text around it, with the secret itself masked. */
  readonly context: string;
}

interface Captured {
  readonly where: string;
  readonly text: string;
}

/** The base64 runs that appear whatever the bytes before the secret are (offsets 0, 1, 2), in both alphabets. */
function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const forms: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    // Characters that depend on the secret's bytes only: after the padding bytes, before the last partial group.
    const start = Math.ceil((offset * 8) / 6);
    const end = Math.floor(((offset + bytes.length) * 8) / 6);
    const core = encoded.slice(start, end);
    if (core.length >= 8) forms.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...new Set(forms)];
}

export class SecretScan {
  private readonly secrets = new Map<string, string>();
  private readonly captured: Captured[] = [];
  private lines = 0;
  private answers = 0;

  /** A secret to look for; values shorter than 8 characters would match by chance and are refused. */
  add(label: string, value: string | null | undefined): void {
    if (!value) throw new Error(`secret ${label} has no value`);
    if (value.length < 8) throw new Error(`secret ${label} is shorter than 8 characters: it would match by chance`);
    if (!this.secrets.has(value)) this.secrets.set(value, label);
  }

  get secretCount(): number {
    return this.secrets.size;
  }

  get lineCount(): number {
    return this.lines;
  }

  get answerCount(): number {
    return this.answers;
  }

  /** Every captured text, for assertions on what was logged (not for printing: it may hold a leak). */
  texts(): readonly Captured[] {
    return this.captured;
  }

  /** Keeps a text someone would see (a log line, an answer, a file), named by where it came from. */
  record(where: string, text: string): void {
    this.captured.push({ where, text });
  }

  /**
   * Captures everything written to stdout and stderr, and every console call, until the returned
   * function is called. Nothing captured is passed on (the run's own output stays quiet and holds no secret).
   */
  capture(): () => void {
    const streams = [
      ['stdout', process.stdout],
      ['stderr', process.stderr],
    ] as const;
    const originals = streams.map(([, stream]) => stream.write);
    for (const [name, stream] of streams) {
      stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
        for (const line of text.split('\n')) {
          if (line.trim() !== '') {
            this.lines++;
            this.record(name, line);
          }
        }
        const done = rest.find((r): r is () => void => typeof r === 'function');
        done?.();
        return true;
      }) as typeof stream.write;
    }
    const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
    const consoleOriginals = methods.map((m) => console[m]);
    for (const method of methods) {
      console[method] = (...args: unknown[]) => {
        this.lines++;
        this.record(`console.${method}`, format(...args));
      };
    }
    return () => {
      streams.forEach(([, stream], i) => {
        stream.write = originals[i] as typeof stream.write;
      });
      methods.forEach((method, i) => {
        console[method] = consoleOriginals[i] as (typeof console)[typeof method];
      });
    };
  }

  /** `fetch`, with the answer's status line, headers and body kept. */
  async fetch(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; text: string; json: Record<string, unknown> }> {
    const response = await fetch(url, init);
    const text = await response.text();
    const headers = [...response.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n');
    const where = `${init.method ?? 'GET'} ${new URL(url).pathname} → ${response.status}`;
    this.answers++;
    this.record(where, `HTTP ${response.status}\n${headers}\n\n${text}`);
    let json: Record<string, unknown> = {};
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      json = {};
    }
    return { status: response.status, headers: response.headers, text, json };
  }

  /** Where any secret appears in `text`. */
  scanText(where: string, text: string): Leak[] {
    const leaks: Leak[] = [];
    for (const [value, label] of this.secrets) {
      const forms: [string, string][] = [
        ['as written', value],
        ['url-encoded', encodeURIComponent(value)],
        ['json-escaped', JSON.stringify(value).slice(1, -1)],
        ...base64Forms(value).map((f): [string, string] => ['base64', f]),
      ];
      for (const [form, needle] of forms) {
        const at = text.indexOf(needle);
        if (at < 0) continue;
        const around = text
          .slice(Math.max(0, at - 60), at + needle.length + 60)
          .split(needle)
          .join('«secret»');
        leaks.push({ secret: label, form, where, context: around.replace(/\s+/g, ' ') });
        break;
      }
    }
    return leaks;
  }

  /** Every leak in everything captured so far. */
  leaks(): Leak[] {
    return this.captured.flatMap((c) => this.scanText(c.where, c.text));
  }
}
