import { describe, expect, it } from 'vitest';
import { readSse, SseParser } from '../src/sse';

describe('SseParser', () => {
  it('dispatches on a blank line, joins data lines and keeps the last id', () => {
    const p = new SseParser();
    expect(p.push('id: 1\ndata: {"a":\ndata: 1}\n')).toEqual([]);
    expect(p.push('\n')).toEqual([{ event: 'message', data: '{"a":\n1}', id: '1' }]);
    expect(p.push('data: x\n\n')).toEqual([{ event: 'message', data: 'x', id: '1' }]);
  });

  it('takes CRLF, LF and CR line ends, even a CRLF split across chunks', () => {
    const p = new SseParser();
    const out = [...p.push('data: a\r'), ...p.push('\n\r\n'), ...p.push('data: b\r\r'), ...p.push('data: c\n\n')];
    expect(out.map((m) => m.data)).toEqual(['a', 'b', 'c']);
  });

  it('ignores comments and unknown fields, names events, strips one leading space only', () => {
    const p = new SseParser();
    const out = p.push(': keep-alive\nretry: 10\nevent: status\nfoo: bar\ndata:  two spaces\n\n');
    expect(out).toEqual([{ event: 'status', data: ' two spaces', id: '' }]);
  });

  it('does not dispatch an event without data, and a NUL in an id leaves the id as it was', () => {
    const p = new SseParser();
    expect(p.push('id: 7\n\nevent: x\n\n')).toEqual([]);
    expect(p.push('id: 8\u0000\ndata: d\n\n')).toEqual([{ event: 'message', data: 'd', id: '7' }]);
  });

  it('reads a byte stream whose chunks split a multi-byte character', async () => {
    const bytes = new TextEncoder().encode('data: 你好\n\ndata: [DONE]\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.slice(0, 8)); // inside the first character's three bytes
        c.enqueue(bytes.slice(8));
        c.close();
      },
    });
    const got: string[] = [];
    for await (const m of readSse(body)) got.push(m.data);
    expect(got).toEqual(['你好', '[DONE]']);
  });
});
