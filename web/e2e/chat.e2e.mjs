// The chat page in a real browser against the gateway's OpenAI-compatible API and a real inference
// worker (started by browser-tests' BrowserIT once the gateway serves GET /v1/models): a streamed
// answer, a second turn that carries the first, stop, copy, clear, the API key setting.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { accessibilityProblems, launch, openPage, shot } from './browser.mjs';
import { setApiKey } from './keys.mjs';

const WANTED_MODEL = process.env.MMGPT_E2E_CHAT_MODEL ?? process.env.MMGPT_E2E_MODEL ?? '';
const LONG = { timeout: 180_000 };

let browser;
let page;
const requests = [];

before(async () => {
  browser = await launch();
  page = await openPage(browser);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  page.on('request', (r) => {
    if (r.url().endsWith('/v1/chat/completions')) requests.push({ body: r.postDataJSON(), auth: r.headers().authorization });
  });
  await page.goto('#/chat');
  await setApiKey(page);
});

after(async () => {
  await browser?.close();
});

/** Sends a message with Enter and records how the answer grew; resolves when it is complete. */
async function ask(text) {
  const before = await page.locator('li.turn.assistant').count();
  await page.getByRole('textbox', { name: 'Message', exact: true }).fill(text);
  await page.evaluate(() => {
    window.__lengths = [];
    const log = document.querySelector('ol.turns');
    new MutationObserver(() => {
      const last = [...document.querySelectorAll('li.turn.assistant')].pop();
      if (last?.dataset.streaming === 'true') window.__lengths.push(last.querySelector('.text').textContent.length);
    }).observe(log, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  await page.getByRole('textbox', { name: 'Message', exact: true }).press('Enter');
  const answer = page.locator('li.turn.assistant').nth(before);
  await answer.and(page.locator('[data-streaming="false"]')).waitFor(LONG);
  return { answer, lengths: await page.evaluate(() => window.__lengths) };
}

describe('chat', () => {
  it('lists the served models and picks one', async () => {
    const select = page.getByLabel('Model');
    await page.waitForFunction(() => document.querySelectorAll('#chat-model option[value]:not([value=""])').length > 0, null, LONG);
    const options = await select.locator('option').evaluateAll((os) => os.map((o) => o.value));
    const choice = options.find((o) => WANTED_MODEL && o.includes(WANTED_MODEL.replace(/^models\//, ''))) ?? options[0];
    await select.selectOption(choice);
    await page.getByLabel('Max tokens').fill('24');
    await page.getByLabel('Seed').fill('7');
    await noAccessibilityProblems('the chat page');
  });

  it('streams an answer into the page as it is generated', async () => {
    const { answer, lengths } = await ask('What is hypertension?');
    // a random micro model may well answer in whitespace: any text counts
    const text = await answer.locator('.text').textContent();
    assert.ok(text.length > 0 && text !== '…', 'some text came back');
    const grew = new Set(lengths.filter((n) => n > 0));
    assert.ok(grew.size >= 2, `the answer grew in steps while streaming (lengths seen: ${lengths.join(', ')})`);
    const sent = requests.at(-1).body;
    assert.equal(sent.stream, true);
    assert.equal(sent.max_tokens, 24);
    assert.equal(sent.seed, 7);
    assert.deepEqual(sent.messages.map((m) => m.role), ['system', 'user']);
    await shot(page, 'chat-answer');
  });

  it('sends the whole conversation with the next turn', async () => {
    await ask('And how is it treated?');
    const sent = requests.at(-1).body;
    assert.deepEqual(sent.messages.map((m) => m.role), ['system', 'user', 'assistant', 'user']);
    assert.equal(sent.messages[1].content, 'What is hypertension?');
    assert.equal(await page.locator('li.turn').count(), 4);
  });

  it('copies an answer', async () => {
    const answer = page.locator('li.turn.assistant').first();
    await answer.getByRole('button', { name: 'Copy the answer' }).click();
    await answer.getByText('Copied').waitFor();
    const clip = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(clip, await answer.locator('.text').textContent());
  });

  it('stops a long answer with the Stop button', async () => {
    // long enough to stop midway, within a small model's context (1024 positions for the micro model)
    await page.getByLabel('Max tokens').fill('900');
    await page.getByRole('textbox', { name: 'Message', exact: true }).fill('Tell me everything about the heart.');
    await page.getByRole('textbox', { name: 'Message', exact: true }).press('Enter');
    const answer = page.locator('li.turn.assistant').last();
    await page.waitForFunction(() => ([...document.querySelectorAll('li.turn.assistant')].pop()?.querySelector('.text')?.textContent ?? '').replace('…', '').length > 0, null, LONG);
    await page.getByRole('button', { name: 'Stop' }).click();
    await answer.locator('.note', { hasText: 'stopped' }).waitFor();
    await page.getByRole('button', { name: 'Send' }).waitFor();
    await shot(page, 'chat-stopped');
  });

  it('clears the conversation', async () => {
    await page.getByRole('button', { name: 'Clear' }).click();
    assert.equal(await page.locator('li.turn').count(), 0);
    assert.deepEqual(page.problems.filter((p) => !p.includes('Failed to load resource')), []);
  });

  it('sent the API key with every request when one is set', () => {
    const key = process.env.MMGPT_E2E_API_KEY;
    for (const r of requests) assert.equal(r.auth, key ? `Bearer ${key}` : undefined);
  });

  it('reads on a phone', async () => {
    const phone = await openPage(browser, { width: 390, height: 844, mobile: true });
    await phone.goto('#/chat');
    await setApiKey(phone);
    await phone.getByRole('textbox', { name: 'Message', exact: true }).waitFor();
    assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth));
    await shot(phone, 'chat-phone');
    await phone.context().close();
  });
});

async function noAccessibilityProblems(where) {
  assert.deepEqual(await accessibilityProblems(page), [], `axe on ${where}`);
}
