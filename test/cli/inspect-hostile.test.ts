import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { generateHostileMail, HOSTILE_KINDS } from '../../bench/hostile-mails.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');

describe('postroom inspect on hostile mail', () => {
  it('reads fourteen pathological 1 MB mails in seconds and names the limits each met', async () => {
    // Arrange
    const dir = await mkdtemp(join(tmpdir(), 'postroom-hostile-'));
    const files = await Promise.all(
      HOSTILE_KINDS.map(async (kind) => {
        const file = join(dir, `${kind}.eml`);
        await writeFile(file, generateHostileMail(kind));
        return file;
      }),
    );

    try {
      // Act
      const started = performance.now();
      const { stdout } = await run('node', ['cli/postroom.js', 'inspect', ...files], { cwd: ROOT, maxBuffer: 256 * 1024 * 1024 });
      const seconds = (performance.now() - started) / 1000;
      const lines = stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { subject: string; tags: string[]; error?: string });
      const tags = Object.fromEntries(lines.map((line) => [line.subject.replace('Hostile ', ''), line.tags.filter((t) => /^(?:limit-|structure-)/.test(t))]));

      // Assert: minutes per mail before the limits (a line of `>` before `<<x`, `a@…a@(:` lines, deep HTML)
      expect(lines.map((line) => line.error)).toEqual(HOSTILE_KINDS.map(() => undefined));
      expect(seconds).toBeLessThan(40);
      expect(tags).toMatchObject({
        'quote-arrows-line': ['limit-line-length'],
        'long-line': ['limit-line-length'],
        'html-nested-div': ['limit-html-depth'],
        'html-unclosed-raw-text': ['limit-html-depth'],
        'multipart-no-boundary': ['structure-repaired'],
        'attribution-at-lines': [],
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
