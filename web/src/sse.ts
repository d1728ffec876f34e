/**
 * Server-sent events over fetch, so that requests can carry an Authorization header and a
 * Last-Event-ID of our choosing (EventSource can do neither). The parser follows the WHATWG
 * event-stream rules: lines end in CRLF, LF or CR; a blank line dispatches; `data` lines join with
 * LF; a line starting with ':' is a comment; an `id` with a NUL is ignored.
 */

export interface SseMessage {
  /** The `event` field, or 'message'. */
  event: string;
  data: string;
  /** The last `id` seen on the stream so far (the spec's "last event ID"), or '' if none. */
  id: string;
}

export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private lastId = '';
  private pendingCr = false;

  /** Feeds decoded text; returns the messages it completed, in order. */
  push(text: string): SseMessage[] {
    const out: SseMessage[] = [];
    let chunk = text;
    if (this.pendingCr && chunk.startsWith('\n')) {
      chunk = chunk.slice(1); // the LF of a CRLF split across two chunks
    }
    this.pendingCr = false;
    this.buffer += chunk;
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      if (match[0] === '\r' && match.index === this.buffer.length - 1) {
        // A CR at the very end may be the first half of a CRLF: take the line, skip a leading LF next time.
        this.pendingCr = true;
      }
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const message = this.line(line);
      if (message) out.push(message);
    }
    return out;
  }

  private line(line: string): SseMessage | null {
    if (line === '') {
      if (this.data.length === 0) {
        this.event = '';
        return null;
      }
      const message = { event: this.event || 'message', data: this.data.join('\n'), id: this.lastId };
      this.data = [];
      this.event = '';
      return message;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.event = value;
        break;
      case 'id':
        if (!value.includes('\u0000')) this.lastId = value;
        break;
      default:
        break; // 'retry' and unknown fields: the caller decides when to reconnect
    }
    return null;
  }
}

/** Reads a response body as server-sent events until it ends or the signal aborts. */
export async function* readSse(body: ReadableStream<Uint8Array>, signal?: AbortSignal): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  const cancel = () => {
    reader.cancel().catch(() => undefined);
  };
  signal?.addEventListener('abort', cancel);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const message of parser.push(decoder.decode(value, { stream: true }))) {
        yield message;
      }
    }
  } finally {
    signal?.removeEventListener('abort', cancel);
    reader.releaseLock();
  }
}
