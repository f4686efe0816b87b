import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { buildApp } from 'fauxqs';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { MAX_UPLOAD_BYTES } from '../core/model/outbound-mail.ts';

/**
 * Browser-based uploads (a presigned POST, "POST Object") for the sandbox's S3, checked as S3
 * checks them: fauxqs takes such forms but skips the policy, so it would store what S3 refuses.
 * The upload route hands out these forms for agents' attachments. Checked as S3 documents it: the
 * SigV4 signature of the policy, its expiration, every condition (exact match, `eq`,
 * `starts-with`, `content-length-range`), and no form field that the policy does not name. The
 * object is then stored through fauxqs.
 */

type LocalS3App = ReturnType<typeof buildApp>;

export interface FormUploadOptions {
  /** The secret key the sandbox's clients sign with. */
  readonly secretAccessKey: string;
  /** Where accepted files are stored: the sandbox's own S3 client (read when a form arrives). */
  readonly s3: () => S3Client;
}

/** A refusal as S3 answers it: the status, its error code and the reason. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** An origin on this machine (the sandbox's console): the only ones the local S3 answers cross-origin. */
const LOOPBACK_ORIGIN = /^http:\/\/(?:127\.0\.0\.1|localhost):\d{1,5}$/;

// Fields S3 leaves out of the "every field needs a condition" rule.
const UNCONDITIONED = new Set(['policy', 'x-amz-signature', 'file']);
// Room for the form's other fields and its boundaries around the largest file.
const MAX_FORM_BYTES = MAX_UPLOAD_BYTES + 64 * 1024;

/** Answers form uploads (`POST /<bucket>` with `multipart/form-data`) before fauxqs's own route; call before it listens. */
export function acceptFormUploads(app: LocalS3App, options: FormUploadOptions): void {
  app.addHook('onRequest', async (request, reply) => {
    const type = String(request.headers['content-type'] ?? '');
    const bucket = /^\/([^/?]+)\/?(?:\?.*)?$/.exec(request.url)?.[1];
    if (request.method !== 'POST' || !bucket || !type.toLowerCase().startsWith('multipart/form-data')) return;
    // The agent console uploads from its own origin on this machine, as the stack's CORS rule lets
    // the console's origin upload to the bucket: the browser may then read whether S3 took the file.
    const origin = String(request.headers.origin ?? '');
    if (LOOPBACK_ORIGIN.test(origin)) reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
    try {
      const form = await readForm(request.raw, type);
      const name = decodeURIComponent(bucket);
      const { key, contentType, file } = checkForm(form, name, options.secretAccessKey, new Date());
      await options.s3().send(new PutObjectCommand({ Bucket: name, Key: key, Body: new Uint8Array(await file.arrayBuffer()), ContentType: contentType }));
      reply.code(204).send();
    } catch (error) {
      const refusal = error instanceof Refusal ? error : new Refusal(500, 'InternalError', error instanceof Error ? error.message : String(error));
      const xml = `<Error><Code>${refusal.code}</Code><Message>${escapeXml(refusal.message)}</Message></Error>`;
      reply.code(refusal.status).type('application/xml').send(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
    }
    return reply;
  });
}

async function readForm(stream: AsyncIterable<Buffer>, type: string): Promise<FormData> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.byteLength;
    if (size > MAX_FORM_BYTES) throw new Refusal(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
    chunks.push(chunk);
  }
  try {
    return await new Response(Buffer.concat(chunks), { headers: { 'content-type': type } }).formData();
  } catch {
    throw new Refusal(400, 'MalformedPOSTRequest', 'The body of your POST request is not well-formed multipart/form-data.');
  }
}

/** The checks S3 makes of a POST form; returns what to store. */
function checkForm(form: FormData, bucket: string, secretAccessKey: string, now: Date): { key: string; contentType: string; file: Blob } {
  const fields = new Map<string, string>();
  let file: Blob | null = null;
  for (const [name, value] of form.entries()) {
    if (name.toLowerCase() === 'file' && typeof value !== 'string') file = value;
    else if (typeof value === 'string') fields.set(name.toLowerCase(), value);
  }
  if (!file) throw new Refusal(400, 'InvalidArgument', 'POST requires exactly one file upload per request.');
  const policyText = fields.get('policy');
  if (!policyText) throw new Refusal(403, 'AccessDenied', 'Bucket POST must contain a policy');
  const credential = (fields.get('x-amz-credential') ?? '').split('/');
  const [, date = '', region = '', service = ''] = credential;
  if (!safeEqual(fields.get('x-amz-signature') ?? '', signPolicy(policyText, secretAccessKey, date, region, service))) {
    throw new Refusal(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
  }
  const policy = policyOf(policyText);
  if (!policy.expiration || Date.parse(policy.expiration) <= now.getTime()) {
    throw new Refusal(403, 'AccessDenied', 'Invalid according to Policy: Policy expired.');
  }
  const value = (name: string) => (name === 'bucket' ? bucket : fields.get(name));
  const named = new Set<string>(['bucket']);
  for (const condition of policy.conditions ?? []) {
    const check = conditionOf(condition);
    if (check.kind === 'range') {
      if (file.size > check.max) throw new Refusal(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
      if (file.size < check.min) throw new Refusal(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size');
      continue;
    }
    named.add(check.field);
    const actual = value(check.field) ?? '';
    if (check.kind === 'eq' ? actual !== check.value : !actual.startsWith(check.value)) {
      throw new Refusal(403, 'AccessDenied', `Invalid according to Policy: Policy Condition failed: ${JSON.stringify(condition)}`);
    }
  }
  const extra = [...fields.keys()].filter((name) => !UNCONDITIONED.has(name) && !name.startsWith('x-ignore-') && !named.has(name));
  if (extra.length > 0) throw new Refusal(403, 'AccessDenied', `Invalid according to Policy: Extra input fields: ${extra.join(', ')}`);
  const key = fields.get('key');
  if (!key) throw new Refusal(400, 'InvalidArgument', "Bucket POST must contain a field named 'key'.");
  return { key, contentType: fields.get('content-type') ?? 'binary/octet-stream', file };
}

type Condition = { kind: 'eq' | 'starts-with'; field: string; value: string } | { kind: 'range'; min: number; max: number };

/** One policy condition: `{ "field": "value" }`, `["eq" | "starts-with", "$field", "value"]` or `["content-length-range", min, max]`. */
function conditionOf(condition: unknown): Condition {
  if (Array.isArray(condition)) {
    const [op, a, b] = condition as unknown[];
    if (op === 'content-length-range' && typeof a === 'number' && typeof b === 'number') return { kind: 'range', min: a, max: b };
    if ((op === 'eq' || op === 'starts-with') && typeof a === 'string' && a.startsWith('$') && typeof b === 'string') {
      return { kind: op, field: a.slice(1).toLowerCase(), value: b };
    }
  } else if (condition && typeof condition === 'object') {
    const entries = Object.entries(condition);
    const [field, value] = entries[0] ?? [];
    if (entries.length === 1 && field && typeof value === 'string') return { kind: 'eq', field: field.toLowerCase(), value };
  }
  throw new Refusal(400, 'InvalidPolicyDocument', `Invalid Policy: Invalid Condition: ${JSON.stringify(condition)}`);
}

function policyOf(text: string): { expiration?: string; conditions?: unknown[] } {
  try {
    return JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as { expiration?: string; conditions?: unknown[] };
  } catch {
    throw new Refusal(400, 'InvalidPolicyDocument', 'Invalid Policy: Invalid JSON.');
  }
}

/** SigV4 of a POST policy: the base64 policy signed with the day's signing key. */
function signPolicy(policy: string, secretAccessKey: string, date: string, region: string, service: string): string {
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const signingKey = [region, service, 'aws4_request'].reduce<Buffer>((key, part) => hmac(key, part), hmac(`AWS4${secretAccessKey}`, date));
  return createHmac('sha256', signingKey).update(policy).digest('hex');
}

function safeEqual(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
