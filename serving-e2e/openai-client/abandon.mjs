// More unstreamed requests at once than the workers' batches and queues hold: the excess is answered
// 503 "overloaded" at once; the rest are abandoned (connections closed) after SECONDS, which must stop
// their generation. Prints {overloaded, other, abandoned}.
//   GATEWAYS=... API_KEY=... MODEL=... REQUESTS=48 SECONDS=4 node abandon.mjs
import OpenAI from 'openai';

const gateways = process.env.GATEWAYS.split(',');
const total = Number(process.env.REQUESTS);
const controllers = [];
const outcome = { overloaded: 0, other: [], abandoned: 0 };

const calls = Array.from({ length: total }, (_, i) => {
  const client = new OpenAI({ baseURL: `${gateways[i % gateways.length]}/v1`, apiKey: process.env.API_KEY,
    maxRetries: 0, timeout: 600_000 });
  const controller = new AbortController();
  controllers.push(controller);
  return client.chat.completions.create({ model: process.env.MODEL, max_tokens: 900,
    messages: [{ role: 'user', content: `Tell me everything, ${i}.` }] }, { signal: controller.signal })
    .then(() => outcome.other.push('finished'))
    .catch((e) => {
      if (e instanceof OpenAI.APIUserAbortError) outcome.abandoned++;
      else if (e.status === 503 && e.code === 'overloaded') outcome.overloaded++;
      else outcome.other.push(`${e.status} ${e.message}`);
    });
});
await new Promise((resolve) => setTimeout(resolve, Number(process.env.SECONDS) * 1000));
controllers.forEach((c) => c.abort());
await Promise.all(calls);
console.log(JSON.stringify(outcome));
