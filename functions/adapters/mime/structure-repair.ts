/**
 * Repairs of the MIME breakages that make mailparser find no part of a multipart at all, so
 * that the mail shows an empty body (seen in bounces from Apache James, Exchange and Postfix,
 * and in hand-written or truncated mail):
 *
 * - a broken fold: `Content-Type: multipart/alternative;` followed by an unindented
 *   `boundary="..."` line, so the multipart has no boundary;
 * - a boundary mismatch: the parts are delimited by another token than the declared one;
 * - no boundary at all: the top-level multipart declares none, but delimiter lines of one
 *   token divide its body, which is then declared;
 * - nothing delimits: a multipart (top-level, or a part's) whose boundary is missing or never
 *   appears is read as one text/plain part (its charset kept), so its body is the text.
 *
 * All are repaired in a copy of the raw bytes, which the caller parses again.
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
  const retyped = retypeUndelimited(declareTopBoundary(remapped));
  return retyped === original ? null : Buffer.from(retyped, 'latin1');
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

/** A Content-Type field: where it starts and ends (folded lines included), and its text. */
interface Field {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** The Content-Type fields that head a header block (the message's, or a part's after a delimiter line). */
function contentTypeFields(text: string): Field[] {
  const fields: Field[] = [];
  let seen = 0;
  for (const match of text.matchAll(CONTENT_TYPE_FIELD)) {
    // A message has at most `maxParts` header blocks; past this many fields the rest is body text.
    if (++seen > MAX_FIELDS) break;
    if (!inHeaderBlock(text, match.index)) continue;
    let end = lineEnd(text, match.index);
    for (let n = 0; n < MAX_FIELD_LINES && end < text.length && /^[ \t]/.test(text.slice(end + 1, end + 2)); n++) end = lineEnd(text, end + 1);
    const field = text.slice(match.index, end).replace(/\r$/, '');
    fields.push({ start: match.index, end: match.index + field.length, text: field });
  }
  return fields;
}

// How far back a field looks for the start of its header block: a block is a few dozen lines.
const MAX_HEADER_LINES = 200;
const MAX_HEADER_CHARS = 64 * 1024;
const MAX_FIELDS = 1_000;

/** The line at `at` belongs to the message's header block or to one right after a delimiter line. */
function inHeaderBlock(text: string, at: number): boolean {
  let start = at;
  for (let n = 0; n < MAX_HEADER_LINES && at - start <= MAX_HEADER_CHARS; n++) {
    if (start === 0) return true;
    const previousStart = text.lastIndexOf('\n', start - 2) + 1;
    const previous = text.slice(previousStart, start - 1).replace(/\r$/, '');
    if (previous === '') return false;
    if (previous.startsWith('--')) return true;
    start = previousStart;
  }
  return false;
}

const isMultipart = (field: Field): boolean => /^content-type[ \t]*:[ \t]*multipart\//i.test(field.text);

function boundaryOf(field: Field): string | null {
  const match = new RegExp(DECLARED_BOUNDARY.source, 'i').exec(field.text);
  const boundary = (match?.[1] ?? match?.[2] ?? '').trimEnd();
  return boundary === '' ? null : boundary;
}

function delimiterCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const match of text.matchAll(DELIMITER_LINE)) {
    const token = (match[1] ?? '').trimEnd();
    counts.set(token, (counts.get(token) ?? 0) + 1);
  }
  return counts;
}

/** The message's own Content-Type field, when it has one. */
function topField(text: string, fields: readonly Field[]): Field | null {
  const headerEnd = text.search(/\r?\n\r?\n/);
  const top = fields[0];
  return top !== undefined && (headerEnd === -1 || top.start < headerEnd) ? top : null;
}

/**
 * A top-level multipart that names no boundary, while the lines of one token divide its body
 * (and no other multipart claims that token), gets that token as its boundary.
 */
function declareTopBoundary(text: string): string {
  const fields = contentTypeFields(text);
  const top = topField(text, fields);
  if (top === null || !isMultipart(top) || boundaryOf(top) !== null) return text;
  const counts = delimiterCounts(text);
  const declared = new Set(fields.map(boundaryOf));
  const tokens = unique([...counts.keys()].map((t) => openingOf(t, counts))).filter(
    (t) => t.length > 0 && t.length <= MAX_BOUNDARY && !declared.has(t) && !/["\\]/.test(t) && delimitsParts(t, counts),
  );
  const token = tokens[0];
  if (token === undefined) return text;
  const head = top.text.replace(/[ \t;]+$/, '');
  return `${text.slice(0, top.start)}${head}; boundary="${token}"${text.slice(top.end)}`;
}

/** A multipart whose boundary is missing or delimits nothing: mailparser reads no part of it. */
function undelimited(field: Field, counts: ReadonlyMap<string, number>): boolean {
  const boundary = boundaryOf(field);
  return isMultipart(field) && (boundary === null || (!counts.has(boundary) && !counts.has(`${boundary}--`)));
}

/** Every undelimited multipart becomes text/plain with its charset: its body is the only text there is. */
function retypeUndelimited(text: string): string {
  const counts = delimiterCounts(text);
  return retype(
    text,
    contentTypeFields(text).filter((field) => undelimited(field, counts)),
  );
}

/**
 * The last resort when the repaired copy cannot be read either (a declared boundary that
 * delimits more parts than the limit allows): a top-level multipart whose own boundary is
 * missing or delimits nothing is read as one text/plain part. Null when that is not the case.
 */
export function readAsOnePart(raw: Buffer): Buffer | null {
  if (raw.byteLength > REPAIR_MAX_BYTES) return null;
  const text = raw.toString('latin1');
  const top = topField(text, contentTypeFields(text));
  return top !== null && undelimited(top, delimiterCounts(text)) ? Buffer.from(retype(text, [top]), 'latin1') : null;
}

function retype(text: string, fields: readonly Field[]): string {
  if (fields.length === 0) return text;
  const pieces: string[] = [];
  let from = 0;
  for (const field of fields) {
    const charset = /\bcharset[ \t]*=[ \t]*"?([\w.:-]{1,60})/i.exec(field.text)?.[1];
    pieces.push(text.slice(from, field.start), `Content-Type: text/plain${charset ? `; charset=${charset}` : ''}`);
    from = field.end;
  }
  pieces.push(text.slice(from));
  return pieces.join('');
}
