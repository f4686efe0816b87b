/**
 * Repairs of two MIME breakages that make mailparser find no part of a multipart at all
 * (seen in bounces from Apache James, Exchange and Postfix):
 *
 * - a broken fold: `Content-Type: multipart/alternative;` followed by an unindented
 *   `boundary="..."` line, so the multipart has no boundary;
 * - a boundary mismatch: the parts are delimited by another token than the declared one.
 *
 * Both are repaired in a copy of the raw bytes, which the caller parses again.
 */

// Only worth a second pass for mail of bounce size; bigger mail keeps what the parser found.
const REPAIR_MAX_BYTES = 4 * 1024 * 1024;
// RFC 2046 §5.1.1: a boundary is 1 to 70 characters; generous for senders that exceed it.
const MAX_BOUNDARY = 200;

const CONTENT_TYPE_FIELD = /^content-type[ \t]*:/gim;
// A Content-Type field folded over more lines than this is not one worth repairing.
const MAX_FIELD_LINES = 50;
// An RFC 2045 parameter (RFC 2231 sections allowed) alone on a line: `boundary="x"`.
const PARAMETER_LINE = /^[a-z0-9!#$%&'+.^_`|~-]{1,100}(?:\*\d*)?\*?[ \t]*=[ \t]*(?:"[^"\r\n]{0,1000}"|[^\s";]{1,1000})[ \t]*(?:;[ \t]*)?$/i;
const DECLARED_BOUNDARY = /\bboundary[ \t]*=[ \t]*(?:"([^"\r\n]{1,200})"|([^\s";]{1,200}))/gi;
// Bounded so that a long line costs one failed match, not a backtracking scan.
const DELIMITER_LINE = /^--([^\r\n]{0,300})(\r?)$/gm;

/** A repaired copy of `raw`, or null when there is nothing to repair (or it is too large). */
export function repairStructure(raw: Buffer): Buffer | null {
  if (raw.byteLength > REPAIR_MAX_BYTES) return null;
  const original = raw.toString('latin1');
  const refolded = refoldParameters(original);
  const remapped = remapBoundaries(refolded);
  return remapped === original ? null : Buffer.from(remapped, 'latin1');
}

/** Indents parameter lines that continue a Content-Type field ending in `;` but lost their fold. */
function refoldParameters(text: string): string {
  const inserts: number[] = [];
  for (const field of text.matchAll(CONTENT_TYPE_FIELD)) {
    let end = lineEnd(text, field.index);
    let previous = text.slice(field.index, end);
    for (let n = 0; n < MAX_FIELD_LINES && end < text.length; n++) {
      const start = end + 1;
      end = lineEnd(text, start);
      const line = text.slice(start, end).replace(/\r$/, '');
      if (/^[ \t]/.test(line)) {
        previous = line;
      } else if (/;[ \t]*\r?$/.test(previous) && line.length <= 1200 && PARAMETER_LINE.test(line)) {
        inserts.push(start);
        previous = line;
      } else {
        break;
      }
    }
  }
  if (inserts.length === 0) return text;
  const pieces: string[] = [];
  let from = 0;
  for (const at of inserts) {
    pieces.push(text.slice(from, at), '\t');
    from = at;
  }
  pieces.push(text.slice(from));
  return pieces.join('');
}

function lineEnd(text: string, from: number): number {
  const end = text.indexOf('\n', from);
  return end < 0 ? text.length : end;
}

/**
 * Pairs each declared boundary that never delimits anything with an undeclared delimiter
 * token that does (in order of appearance), and rewrites that token's delimiter lines.
 */
function remapBoundaries(text: string): string {
  const declared = unique([...text.matchAll(DECLARED_BOUNDARY)].map((m) => (m[1] ?? m[2] ?? '').trimEnd()));
  const tokens = [...text.matchAll(DELIMITER_LINE)].map((m) => (m[1] ?? '').trimEnd());
  const counts = new Map<string, number>();
  for (const token of tokens) counts.set(token, (counts.get(token) ?? 0) + 1);
  const missing = declared.filter((b) => b.length > 0 && !counts.has(b) && !counts.has(`${b}--`));
  if (missing.length === 0) return text;
  const known = new Set(declared);
  const candidates = unique(tokens.map((t) => openingOf(t, counts))).filter(
    (t) => t.length > 0 && t.length <= MAX_BOUNDARY && !known.has(t) && delimitsParts(t, counts),
  );
  const mapping = new Map<string, string>();
  missing.forEach((boundary, i) => {
    const token = candidates[i];
    if (token !== undefined) mapping.set(token, boundary);
  });
  if (mapping.size === 0) return text;
  return text.replace(DELIMITER_LINE, (line, raw: string, cr: string) => {
    const token = raw.trimEnd();
    const close = !mapping.has(token) && token.endsWith('--');
    const target = mapping.get(close ? token.slice(0, -2) : token);
    return target === undefined ? line : `--${target}${close ? '--' : ''}${cr}`;
  });
}

/** The boundary a delimiter line names: a close delimiter `--b--` names `b` when `--b` occurs. */
function openingOf(token: string, counts: ReadonlyMap<string, number>): string {
  return token.endsWith('--') && counts.has(token.slice(0, -2)) ? token.slice(0, -2) : token;
}

// A real delimiter opens at least two parts, or opens one and closes the multipart; a lone
// dash line (`-----Original Message-----`, a signature) does neither.
function delimitsParts(token: string, counts: ReadonlyMap<string, number>): boolean {
  const opens = counts.get(token) ?? 0;
  return opens >= 2 || (opens === 1 && counts.has(`${token}--`));
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
