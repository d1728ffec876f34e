import { describe, expect, it } from 'vitest';
import { applyChunk, emptyStream } from '../src/chat/openai';

describe('applyChunk (OpenAI chat.completion.chunk)', () => {
  it('builds the text from deltas, takes the role, the finish reason and usage, and stops at [DONE]', () => {
    let s = emptyStream();
    s = applyChunk(s, '{"choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]}');
    s = applyChunk(s, '{"choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}');
    s = applyChunk(s, '{"choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":null}]}');
    s = applyChunk(s, '{"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}');
    s = applyChunk(s, '{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}');
    expect(s).toMatchObject({ text: 'Hello', role: 'assistant', finishReason: 'length', done: false });
    expect(s.usage?.completion_tokens).toBe(2);
    expect(applyChunk(s, '[DONE]').done).toBe(true);
  });

  it('throws the message of an error chunk', () => {
    expect(() => applyChunk(emptyStream(), '{"error":{"message":"model not found","type":"invalid_request_error"}}')).toThrow('model not found');
  });
});
