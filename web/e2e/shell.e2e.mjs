// The frame around the pages and the chat page as it stands on any gateway, with or without the chat
// API: the default page, navigation, the API key dialog, accessibility, phone width.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { accessibilityProblems, BASE_URL, launch, openPage, shot } from './browser.mjs';
import { API_KEY } from './keys.mjs';

let browser;
let chatApi;

before(async () => {
  browser = await launch();
  chatApi = (await fetch(new URL('v1/models', BASE_URL), {
    headers: API_KEY ? { Authorization: `Bearer ${API_KEY}` } : {},
  })).status !== 404;
});

after(async () => {
  await browser?.close();
});

describe('the pages around the content', () => {
  it('opens on the chat page, which says whether this gateway serves chat', async () => {
    const page = await openPage(browser);
    await page.goto('./');
    await page.getByRole('heading', { level: 1, name: 'Chat' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Chat' }).getAttribute('aria-current'), 'page');
    await page.waitForFunction(() => document.title.startsWith('Chat'), null, { timeout: 5_000 }).catch(() => undefined);
    assert.equal(await page.title(), 'Chat · MyMedicalGPT');
    if (chatApi && API_KEY) {
      // the chat API wants the key: the page says so and offers to take it
      await page.getByRole('alert').getByRole('button', { name: 'Set API key' }).click();
      const dialog = page.getByRole('dialog', { name: 'API key' });
      await dialog.getByLabel('Key', { exact: true }).fill(API_KEY);
      await dialog.getByRole('button', { name: 'Save' }).click();
    }
    if (chatApi) {
      await page.waitForFunction(() => document.querySelectorAll('#chat-model option[value]:not([value=""])').length > 0);
    } else {
      await page.getByText('This gateway does not serve chat yet (GET /v1/models answered 404).').waitFor();
      assert.ok(await page.getByRole('button', { name: 'Send' }).isDisabled(), 'nothing to send to');
    }
    for (const label of ['System prompt', 'Temperature', 'Top p', 'Top k', 'Max tokens', 'Repetition penalty', 'Seed']) {
      assert.equal(await page.getByLabel(label, { exact: true }).count(), 1, `a field labelled ${label}`);
    }
    await shot(page, 'chat-page');
    assert.deepEqual(await accessibilityProblems(page), [], 'axe on the chat page');
    await page.getByRole('link', { name: 'Jobs' }).click();
    await page.getByRole('heading', { level: 1, name: 'Jobs' }).waitFor();
    // the title follows the heading in an effect after the page is drawn: wait for it, then check it
    await page.waitForFunction(() => document.title.startsWith('Jobs'), null, { timeout: 5_000 }).catch(() => undefined);
    assert.equal(await page.title(), 'Jobs · MyMedicalGPT');
    // everything came from the gateway (no CDN), and no script failed; a 401 or 404 answer is logged
    // by the browser as "Failed to load resource" and is part of what this test expects
    assert.deepEqual(page.problems.filter((p) => !p.includes('Failed to load resource')), []);
    await page.context().close();
  });

  it('keeps an API key for the tab, or on the device when asked, and forgets it', async () => {
    const page = await openPage(browser);
    await page.goto('#/jobs');
    await page.getByRole('button', { name: 'API key: none' }).click();
    const dialog = page.getByRole('dialog', { name: 'API key' });
    await dialog.getByLabel('Key', { exact: true }).fill('k-remembered');
    await dialog.getByLabel('Remember on this device').check();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('button', { name: 'API key: set' }).waitFor();
    const sent = page.waitForRequest((r) => new URL(r.url()).pathname === '/v1/jobs');
    await page.reload();
    assert.equal((await sent).headers().authorization, 'Bearer k-remembered', 'kept across a reload');
    await page.getByRole('button', { name: 'API key: set' }).click();
    await page.getByRole('dialog', { name: 'API key' }).getByRole('button', { name: 'Forget key' }).click();
    await page.getByRole('button', { name: 'API key: none' }).waitFor();
    assert.equal(await page.evaluate(() => localStorage.getItem('mmgpt.apiKey')), null);
    await page.context().close();
  });

  it('reads on a phone: settings folded away, nothing wider than the screen', async () => {
    const phone = await openPage(browser, { width: 390, height: 844, mobile: true });
    await phone.goto('#/chat');
    await phone.getByRole('textbox', { name: 'Message', exact: true }).waitFor();
    assert.equal(await phone.locator('details.settings').getAttribute('open'), null, 'settings folded on a small screen');
    assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth));
    await shot(phone, 'chat-page-phone');
    await phone.context().close();
  });
});
