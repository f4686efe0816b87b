import { parseNotifications, validationResponse } from '../adapters/sources/graph-subscriptions.ts';
import { ID_PATTERN } from '../core/model/fields.ts';
import type { SourceStateStore } from '../core/ports/source-state.ts';

/** The part of an API Gateway HTTP API (v2) event the webhook reads. */
export interface WebhookEvent {
  readonly rawPath?: string;
  readonly rawQueryString?: string;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
  readonly pathParameters?: Readonly<Record<string, string | undefined>> | null;
  readonly requestContext?: { readonly http?: { readonly method?: string } };
}

export interface WebhookAnswer {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface GraphWebhookDeps {
  readonly states: SourceStateStore;
  /** Queues a poll of the channel's mailbox (the poll queue: one poll of a mailbox at a time). */
  readonly enqueuePoll: (channelId: string) => Promise<void>;
}

/** Graph's notification bodies are small; anything larger is not Graph's. */
const MAX_BODY_BYTES = 1024 * 1024;

/** Where Graph sends a channel's notifications, under the deployment's public API URL. */
export function graphNotificationUrl(baseUrl: string, channelId: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/webhooks/graph/${channelId}`;
}

/**
 * `POST /webhooks/graph/{channelId}`, the one route without authorization: Graph cannot sign
 * in. It answers Graph's validation request by echoing the token, and hands a notification whose
 * `clientState` is the channel's subscription secret to the poll queue, answering 202 within
 * milliseconds (Graph drops endpoints that take over 3 seconds). Whatever is sent, the answer
 * reveals nothing: a wrong secret, an unknown channel and a malformed body all get the same 202,
 * and at worst a poll comes sooner, which the FIFO group and the poll lease make harmless.
 */
export async function answerGraphWebhook(deps: GraphWebhookDeps, event: WebhookEvent): Promise<WebhookAnswer> {
  const accepted: WebhookAnswer = { statusCode: 202, headers: { 'content-type': 'text/plain' }, body: '' };
  if (event.requestContext?.http?.method !== 'POST') return { statusCode: 405, headers: { 'content-type': 'text/plain', allow: 'POST' }, body: 'POST only' };
  const token = validationResponse(`${event.rawPath ?? '/'}?${event.rawQueryString ?? ''}`);
  if (token !== null) return { statusCode: 200, headers: { 'content-type': 'text/plain' }, body: token };
  const channelId = event.pathParameters?.channelId ?? '';
  if (!ID_PATTERN.test(channelId)) return { statusCode: 404, headers: { 'content-type': 'text/plain' }, body: 'no such channel' };
  const raw = event.body ?? '';
  if (raw.length > MAX_BODY_BYTES) return { statusCode: 413, headers: { 'content-type': 'text/plain' }, body: 'too large' };
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  const subscription = (await deps.states.get(channelId))?.subscription;
  if (!subscription) return accepted;
  const parsed = parseNotifications(text, subscription.clientState);
  if (parsed.accepted.length > 0) await deps.enqueuePoll(channelId);
  return accepted;
}
