/**
 * The gateway's HTTP API, as the pages use it. Paths are relative to the page, so the pages work
 * under any prefix an ingress puts them behind. The API key, when one is set, goes with every call.
 */

export interface FieldError {
  field: string;
  message: string;
}

/** An answer that was not 2xx: the gateway's {error, fields} or OpenAI's {error: {message, type, code}}. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: FieldError[] = [],
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const KEY = 'mmgpt.apiKey';
export const API_KEY_CHANGED = 'mmgpt-api-key-changed';

export function apiKey(): string {
  try {
    return sessionStorage.getItem(KEY) ?? localStorage.getItem(KEY) ?? '';
  } catch {
    return '';
  }
}

/** Keeps the key for this tab only, or on this device too when `remember` is set; '' forgets it. */
export function setApiKey(key: string, remember: boolean): void {
  try {
    sessionStorage.removeItem(KEY);
    localStorage.removeItem(KEY);
    if (key) (remember ? localStorage : sessionStorage).setItem(KEY, key);
  } catch {
    // storage refused (private mode): the key lasts until the page closes
    memoryKey = key;
  }
  window.dispatchEvent(new Event(API_KEY_CHANGED));
}

let memoryKey = '';

export function rememberedOnDevice(): boolean {
  try {
    return localStorage.getItem(KEY) !== null;
  } catch {
    return false;
  }
}

export function authHeaders(): Record<string, string> {
  const key = apiKey() || memoryKey;
  return key ? { Authorization: `Bearer ${key}` } : {};
}

/** Turns an error answer into an ApiError with the server's own words. */
export async function errorOf(response: Response): Promise<ApiError> {
  let text = '';
  try {
    text = await response.text();
  } catch {
    // the body is gone; the status says enough
  }
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === 'object' && 'error' in body) {
      const error = (body as { error: unknown }).error;
      if (typeof error === 'string') {
        const fields = (body as { fields?: unknown }).fields;
        return new ApiError(response.status, error, Array.isArray(fields) ? (fields as FieldError[]) : []);
      }
      if (error && typeof error === 'object' && 'message' in error) {
        const e = error as { message: unknown; code?: unknown; type?: unknown };
        const code = typeof e.code === 'string' ? e.code : typeof e.type === 'string' ? e.type : null;
        return new ApiError(response.status, String(e.message), [], code);
      }
    }
  } catch {
    // not JSON
  }
  const reason = text.trim().slice(0, 300) || response.statusText || 'request failed';
  return new ApiError(response.status, `${response.status} ${reason}`);
}

export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  for (const [k, v] of Object.entries(authHeaders())) headers.set(k, v);
  if (!headers.has('Accept')) headers.set('Accept', 'application/json');
  const response = await fetch(path, { ...init, headers });
  if (!response.ok) throw await errorOf(response);
  return response;
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return (await (await request(path, { signal })).json()) as T;
}

export async function postJson<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
  const response = await request(path, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' },
    signal,
  });
  return (await response.json()) as T;
}

/** A user-facing sentence for any failure. */
export function describe(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401) return `${error.message} — set the API key (top right).`;
    return error.message;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
