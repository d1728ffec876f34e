import { authHeaders, errorOf, getJson } from '../api';
import { readSse } from '../sse';

/**
 * The gateway's OpenAI-compatible chat API: GET /v1/models and POST /v1/chat/completions with
 * stream=true (chunks as `data: {...}` server-sent events, the first delta carrying the role, a
 * finish_reason of stop or length, usage when asked for, then `data: [DONE]`).
 */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** What the settings panel sends; an absent field leaves the server's default. */
export interface Sampling {
  temperature?: number;
  top_p?: number;
  top_k?: number;
  max_tokens?: number;
  repetition_penalty?: number;
  seed?: number;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface StreamState {
  text: string;
  role: string | null;
  finishReason: string | null;
  usage: Usage | null;
  done: boolean;
}

export function emptyStream(): StreamState {
  return { text: '', role: null, finishReason: null, usage: null, done: false };
}

interface Chunk {
  choices?: { index?: number; delta?: { role?: string; content?: string | null }; finish_reason?: string | null }[];
  usage?: Usage | null;
  error?: { message?: string };
}

/** Folds one `data:` payload into the state; '[DONE]' ends it. Throws on an error chunk. */
export function applyChunk(state: StreamState, data: string): StreamState {
  if (data.trim() === '[DONE]') return { ...state, done: true };
  const chunk = JSON.parse(data) as Chunk;
  if (chunk.error) throw new Error(chunk.error.message ?? 'the server reported an error mid-stream');
  let next = state;
  for (const choice of chunk.choices ?? []) {
    if ((choice.index ?? 0) !== 0) continue; // the page asks for one choice (n = 1)
    const delta = choice.delta ?? {};
    next = {
      ...next,
      role: delta.role ?? next.role,
      text: next.text + (delta.content ?? ''),
      finishReason: choice.finish_reason ?? next.finishReason,
    };
  }
  if (chunk.usage) next = { ...next, usage: chunk.usage };
  return next;
}

export async function listModels(signal?: AbortSignal): Promise<string[]> {
  const body = await getJson<{ data?: { id: string }[] }>('v1/models', signal);
  return (body.data ?? []).map((m) => m.id);
}

/** Streams one answer; `onUpdate` sees the text grow. Aborting the signal stops generation. */
export async function streamChat(
  model: string,
  messages: ChatMessage[],
  sampling: Sampling,
  onUpdate: (state: StreamState) => void,
  signal: AbortSignal,
): Promise<StreamState> {
  const response = await fetch('v1/chat/completions', {
    method: 'POST',
    // OpenAI's own clients send Accept: application/json even for a stream, and some servers (this
    // gateway among them) answer 406 to text/event-stream alone: offer both.
    headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream, application/json', ...authHeaders() },
    body: JSON.stringify({ model, messages, ...sampling, stream: true, stream_options: { include_usage: true } }),
    signal,
  });
  if (!response.ok) throw await errorOf(response);
  if (!response.body) throw new Error('the answer has no body to stream');
  let state = emptyStream();
  for await (const message of readSse(response.body, signal)) {
    state = applyChunk(state, message.data);
    onUpdate(state);
    if (state.done) break;
  }
  return state;
}
