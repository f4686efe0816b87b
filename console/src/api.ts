/**
 * The console's one way to the server: the public API under `base` (`/api` on the console's own
 * origin: the sandbox's console server and CloudFront both pass it to the API unchanged), with
 * the signed-in agent's bearer token. Nothing else is called but S3's presigned upload forms.
 */

/** An answer the API refused, with its problem message (`{ error: { code, message } }`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface Answer<T> {
  readonly status: number;
  readonly data: T;
  readonly etag: string | null;
}

export class Api {
  constructor(
    private readonly base: string,
    private readonly token: string,
    /** Called when a request is answered 401: the token stopped working (expired, or the sandbox restarted). */
    private readonly onUnauthorized: () => void = () => undefined,
  ) {}

  get<T>(path: string): Promise<T> {
    return this.send<T>('GET', path).then((a) => a.data);
  }

  post<T>(path: string, body: unknown = {}, headers: Record<string, string> = {}): Promise<Answer<T>> {
    return this.send<T>('POST', path, body, headers);
  }

  put<T>(path: string, body: unknown): Promise<Answer<T>> {
    return this.send<T>('PUT', path, body);
  }

  delete(path: string, keepalive = false): Promise<Answer<unknown>> {
    return this.send('DELETE', path, undefined, {}, keepalive);
  }

  async send<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, keepalive = false): Promise<Answer<T>> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        keepalive,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      throw new ApiError(0, 'network', 'the API cannot be reached; is the sandbox (or the network) up?');
    }
    const text = await response.text();
    let data: unknown = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!response.ok) {
      if (response.status === 401) this.onUnauthorized();
      const error = (data as { error?: { code?: string; message?: string } } | null)?.error;
      throw new ApiError(response.status, error?.code ?? `http-${response.status}`, error?.message ?? `the API answered ${response.status}`);
    }
    return { status: response.status, data: data as T, etag: response.headers.get('etag') };
  }
}

/** The path of a route with each `{name}` filled in, URL-encoded. */
export function path(template: string, params: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
}
