// The official openai client against the gateway: every call the serving API answers, checked with
// node:assert. Prints one JSON object of results (the seeded texts, for comparing doors) on success;
// exits non-zero with the failed assertion otherwise.
//   GATEWAYS=http://a,http://b API_KEY=... MODEL=models/x node check.mjs
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const [gatewayA, gatewayB] = process.env.GATEWAYS.split(',');
const model = process.env.MODEL;
const apiKey = process.env.API_KEY;
const a = new OpenAI({ baseURL: `${gatewayA}/v1`, apiKey, maxRetries: 0 });
const b = new OpenAI({ baseURL: `${gatewayB}/v1`, apiKey, maxRetries: 0 });
const question = [{ role: 'user', content: 'What is a fever?' }];
const seeded = { model, messages: question, temperature: 0.8, seed: 42, max_tokens: 16 };
const results = {};

// GET /v1/models
const ids = [];
for await (const m of a.models.list()) {
  assert.equal(m.object, 'model');
  ids.push(m.id);
}
assert.ok(ids.includes(model), `models list ${ids}`);

// Not streamed
const whole = await a.chat.completions.create(seeded);
assert.equal(whole.object, 'chat.completion');
assert.match(whole.id, /^chatcmpl-/);
assert.equal(whole.model, model);
assert.equal(whole.choices.length, 1);
assert.equal(whole.choices[0].message.role, 'assistant');
assert.equal(whole.choices[0].finish_reason, 'length');
assert.ok(whole.choices[0].message.content.length > 0);
assert.equal(whole.usage.completion_tokens, 16);
assert.ok(whole.usage.prompt_tokens > 5);
assert.equal(whole.usage.total_tokens, whole.usage.prompt_tokens + 16);
results.seeded = whole.choices[0].message.content;

// Streamed, through the other gateway, with usage: role first, text, one finish, usage, then the end.
const stream = await b.chat.completions.create({ ...seeded, stream: true, stream_options: { include_usage: true } });
let text = '';
let chunks = 0;
let finish = null;
let usage = null;
const streamIds = new Set();
for await (const chunk of stream) {
  assert.equal(chunk.object, 'chat.completion.chunk');
  streamIds.add(chunk.id);
  if (chunk.choices.length === 0) {
    usage = chunk.usage;
    continue;
  }
  assert.equal(chunk.usage, null);
  assert.equal(usage, null, 'usage comes last');
  const choice = chunk.choices[0];
  if (chunks++ === 0) {
    assert.equal(choice.delta.role, 'assistant', 'the first delta carries the role');
  }
  text += choice.delta.content ?? '';
  if (choice.finish_reason) {
    assert.equal(finish, null, 'one finish per choice');
    finish = choice.finish_reason;
  }
}
assert.equal(streamIds.size, 1);
assert.equal(text, results.seeded, 'the same seed streams the same text');
assert.equal(finish, 'length');
assert.equal(usage.completion_tokens, 16);
assert.equal(usage.total_tokens, usage.prompt_tokens + 16);
results.streamChunks = chunks;

// A stop string taken from the seeded text: generation ends before it, finish_reason "stop".
const points = Array.from(results.seeded);
const stop = points.slice(3, 5).join('');
const before = results.seeded.slice(0, results.seeded.indexOf(stop));
const stopped = await a.chat.completions.create({ ...seeded, stop: [stop, '\u0000never'] });
assert.equal(stopped.choices[0].message.content, before);
assert.equal(stopped.choices[0].finish_reason, 'stop');

// n choices: choice 0 is the seed's own answer, choice 1 the next seed's.
const two = await a.chat.completions.create({ ...seeded, n: 2 });
assert.deepEqual(two.choices.map((c) => c.index), [0, 1]);
assert.equal(two.choices[0].message.content, results.seeded);
assert.equal(two.usage.completion_tokens, 32);

// Every sampling field at once is taken.
const tuned = await b.chat.completions.create({ ...seeded, top_p: 0.9, presence_penalty: 0.5, frequency_penalty: 0.5,
  max_completion_tokens: 4, max_tokens: undefined, logprobs: false });
assert.equal(tuned.usage.completion_tokens, 4);

// Completions: echo puts the prompt first; the stream gives the same text.
const prompt = 'The patient has';
const completion = await a.completions.create({ model, prompt, max_tokens: 8, temperature: 0.7, seed: 3, echo: true });
assert.equal(completion.object, 'text_completion');
assert.ok(completion.choices[0].text.startsWith(prompt));
let streamed = '';
for await (const chunk of await b.completions.create({ model, prompt, max_tokens: 8, temperature: 0.7, seed: 3, stream: true })) {
  streamed += chunk.choices[0]?.text ?? '';
}
assert.equal(prompt + streamed, completion.choices[0].text);

// Completions with a stop string (a string here, not a list) taken from that text: cut before it.
const continuation = completion.choices[0].text.slice(prompt.length);
const cstop = Array.from(continuation).slice(2, 4).join('');
const cut = await b.completions.create({ model, prompt, max_tokens: 8, temperature: 0.7, seed: 3, stop: cstop });
assert.equal(cut.choices[0].text, continuation.slice(0, continuation.indexOf(cstop)));
assert.equal(cut.choices[0].finish_reason, 'stop');

// Errors in OpenAI's shape, as the client's own error classes.
await assert.rejects(a.chat.completions.create({ ...seeded, logprobs: true }),
  (e) => e instanceof OpenAI.BadRequestError && e.param === 'logprobs' && e.code === 'unsupported_parameter');
await assert.rejects(a.chat.completions.create({ ...seeded, response_format: { type: 'json_object' } }),
  (e) => e instanceof OpenAI.BadRequestError && e.param === 'response_format');
await assert.rejects(a.chat.completions.create({ ...seeded, max_tokens: 100000 }),
  (e) => e instanceof OpenAI.BadRequestError && e.param === 'max_tokens' && /4096/.test(e.message));
await assert.rejects(a.chat.completions.create({ ...seeded, model: 'models/none' }),
  (e) => e instanceof OpenAI.NotFoundError && e.code === 'model_not_found');
await assert.rejects(a.chat.completions.create({ ...seeded, max_tokens: 4000 }),
  (e) => e instanceof OpenAI.BadRequestError && /maximum context length is 1024 tokens/.test(e.message));
const wrongKey = new OpenAI({ baseURL: `${gatewayA}/v1`, apiKey: 'sk-wrong', maxRetries: 0 });
await assert.rejects(wrongKey.models.list(), (e) => e instanceof OpenAI.AuthenticationError && e.status === 401);

console.log(JSON.stringify(results));
