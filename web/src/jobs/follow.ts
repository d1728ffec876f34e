import { authHeaders, errorOf, getJson, ApiError } from '../api';
import { readSse } from '../sse';
import { isTerminal, type JobEvent, type JobStatus } from './model';

export type FollowMode = 'connecting' | 'live' | 'polling' | 'ended';

export interface FollowHandlers {
  onEvent(event: JobEvent): void;
  onSnapshot(status: JobStatus): void;
  onMode(mode: FollowMode, detail?: string): void;
  onError(message: string): void;
}

export interface FollowOptions {
  /** Failed stream attempts in a row before polling takes over. */
  maxStreamFailures?: number;
  pollIntervalMs?: number;
  reconnectDelayMs?: number;
}

/**
 * Follows a job live: its event stream (GET /v1/jobs/{id}/events, history first), reconnecting
 * with Last-Event-ID when the stream drops; after repeated stream failures (a proxy that buffers or
 * cuts streams, a network that refuses them) it polls GET /v1/jobs/{id} instead. Stops when the
 * job has ended or the signal aborts.
 */
export async function followJob(id: string, handlers: FollowHandlers, signal: AbortSignal, options: FollowOptions = {}): Promise<void> {
  const maxFailures = options.maxStreamFailures ?? 3;
  const pollMs = options.pollIntervalMs ?? 2000;
  const reconnectMs = options.reconnectDelayMs ?? 1000;
  const path = `v1/jobs/${encodeURIComponent(id)}`;
  let lastSeq = 0;
  let ended = false;
  let failures = 0;

  handlers.onMode('connecting');
  while (!signal.aborted && !ended && failures < maxFailures) {
    try {
      const headers: Record<string, string> = { Accept: 'text/event-stream', ...authHeaders() };
      if (lastSeq > 0) headers['Last-Event-ID'] = String(lastSeq);
      const response = await fetch(`${path}/events`, { headers, signal, cache: 'no-store' });
      if (!response.ok) {
        const error = await errorOf(response);
        if (response.status === 404 || response.status === 401 || response.status === 403) {
          handlers.onError(error.message);
          handlers.onMode('ended');
          return;
        }
        throw error;
      }
      if (!response.body || !(response.headers.get('Content-Type') ?? '').startsWith('text/event-stream')) {
        throw new Error('the answer was not an event stream');
      }
      handlers.onMode('live');
      for await (const message of readSse(response.body, signal)) {
        if (!message.data) continue;
        const event = JSON.parse(message.data) as JobEvent;
        if (event.seq <= lastSeq) continue;
        lastSeq = event.seq;
        failures = 0;
        handlers.onEvent(event);
        if (isTerminal(event.state)) ended = true;
      }
      if (!ended) {
        // The stream closed without the job's last event: it ended long ago (its history has expired)
        // or the stream was cut (a gateway restart, an idle timeout). The snapshot says which.
        const status = await getJson<JobStatus>(path, signal);
        handlers.onSnapshot(status);
        if (isTerminal(status.state)) {
          ended = true;
          break;
        }
        failures++;
        handlers.onMode('connecting', 'stream closed; reconnecting');
        await sleep(reconnectMs, signal);
      }
    } catch (error) {
      if (signal.aborted) return;
      failures++;
      const detail = error instanceof Error ? error.message : String(error);
      handlers.onMode('connecting', `stream failed (${detail}); retrying`);
      await sleep(reconnectMs * failures, signal);
    }
  }
  if (signal.aborted) return;
  if (ended) {
    handlers.onMode('ended');
    return;
  }

  handlers.onMode('polling', 'live updates unavailable; polling every few seconds');
  while (!signal.aborted) {
    try {
      const status = await getJson<JobStatus>(path, signal);
      handlers.onSnapshot(status);
      if (isTerminal(status.state)) {
        handlers.onMode('ended');
        return;
      }
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ApiError && error.status === 404) {
        handlers.onError(error.message);
        return;
      }
      handlers.onError(error instanceof Error ? error.message : String(error));
    }
    await sleep(pollMs, signal);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done);
  });
}
