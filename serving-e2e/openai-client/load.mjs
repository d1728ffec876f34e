// CLIENTS concurrent streaming clients, REQUESTS each, back to back, alternating between the gateways.
// Every stream is checked for well-formedness; prints a JSON summary with a few of the answers (nothing
// is thrown: the caller asserts on the counts, the listed problems, and the samples).
//   GATEWAYS=http://a,http://b API_KEY=... MODEL=models/x CLIENTS=16 REQUESTS=3 node load.mjs
import OpenAI from 'openai';

const gateways = process.env.GATEWAYS.split(',');
const model = process.env.MODEL;
const clients = Number(process.env.CLIENTS);
const requests = Number(process.env.REQUESTS);
const problems = [];
let completed = 0;
let tokens = 0;
const samples = []; // a few answers given in the crowd, for the caller to ask again alone

async function one(client, c, r) {
  const maxTokens = 8 + ((c * 7 + r * 13) % 25);
  const question = `Patient ${c}, visit ${r}: what should I do about a cough?`;
  const stream = await client.chat.completions.create({
    model, messages: [{ role: 'user', content: question }],
    temperature: 0.9, seed: c * 100 + r, max_tokens: maxTokens, stream: true, stream_options: { include_usage: true },
  });
  const ids = new Set();
  let first = true;
  let finish = null;
  let usage = null;
  let text = '';
  for await (const chunk of stream) {
    ids.add(chunk.id);
    if (chunk.choices.length === 0) {
      usage = chunk.usage;
      continue;
    }
    const choice = chunk.choices[0];
    if (first && choice.delta.role !== 'assistant') throw new Error('first delta without the role');
    first = false;
    if (finish !== null) throw new Error('a chunk after the finish');
    text += choice.delta.content ?? '';
    finish = choice.finish_reason ?? null;
  }
  if (ids.size !== 1) throw new Error(`chunk ids ${[...ids]}`);
  if (finish !== 'length' && finish !== 'stop') throw new Error(`finish_reason ${finish}`);
  if (!usage) throw new Error('no usage chunk');
  if (finish === 'length' && usage.completion_tokens !== maxTokens) {
    throw new Error(`${usage.completion_tokens} tokens for max_tokens ${maxTokens}`);
  }
  if (finish === 'length' && text.length === 0) throw new Error('no text');
  tokens += usage.completion_tokens;
  completed++;
  if (r === 0 && c < 4) samples.push({ client: c, seed: c * 100 + r, max_tokens: maxTokens, prompt: question, text });
}

const t0 = Date.now();
await Promise.all(Array.from({ length: clients }, async (_, c) => {
  const client = new OpenAI({ baseURL: `${gateways[c % gateways.length]}/v1`, apiKey: process.env.API_KEY, maxRetries: 0 });
  for (let r = 0; r < requests; r++) {
    try {
      await one(client, c, r);
    } catch (e) {
      problems.push(`client ${c} request ${r}: ${e.message}`);
    }
  }
}));
console.log(JSON.stringify({ completed, problems, tokens, samples, seconds: (Date.now() - t0) / 1000 }));
