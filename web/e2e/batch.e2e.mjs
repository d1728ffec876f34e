// A batch-inference job (the seed's inference.py --data_file) started through the form against the
// real gateway and inference worker (started by browser-tests' BrowserIT): the fields the gateway
// refuses shown next to them, then the job followed to SUCCEEDED with its answers file listed, and
// that file read back from storage.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { accessibilityProblems, launch, openPage, shot } from './browser.mjs';
import { setApiKey } from './keys.mjs';

const MODEL = process.env.MMGPT_E2E_MODEL ?? 'models/micro';
const QUERIES = process.env.MMGPT_E2E_QUERIES ?? 'data/queries.jsonl';
const STORAGE = process.env.MMGPT_E2E_STORAGE ?? '';
const LONG = { timeout: 180_000 };
const EDITOR = 'Sampling and other parameters (JSON; a key left out keeps the model’s generation_config.json)';

let browser;
let page;
let jobId;

before(async () => {
  browser = await launch();
  page = await openPage(browser);
  await page.goto('#/jobs');
  await setApiKey(page);
});

after(async () => {
  await browser?.close();
});

/** The batch-inference form, filled in; the JSON editor's parameters changed by edit. */
async function fillForm({ model = MODEL, data = QUERIES, output = '', edit }) {
  await page.goto('#/jobs'); // the form keeps a draft while it stays open: start afresh
  await page.goto('#/jobs/new');
  await page.getByRole('radio', { name: /^batch-inference —/ }).check();
  await page.getByLabel('Base model (base_model)').fill(model);
  await page.locator('#data-file').fill(data);
  await page.locator('#output-file').fill(output);
  const area = page.getByLabel(EDITOR);
  const params = JSON.parse(await area.inputValue());
  assert.deepEqual(params, { max_new_tokens: 256 }, 'the worker’s default length and nothing else');
  edit?.(params);
  await area.fill(JSON.stringify(params, null, 2));
}

describe('batch inference', () => {
  it('offers batch-inference with its own fields and names the fields the gateway refuses', async () => {
    await fillForm({ data: 'data/no-such-queries.jsonl', edit: (p) => Object.assign(p, { temperature: -1 }) });
    assert.equal(await page.locator('#output-dir').count(), 0, 'no output_dir: the answers are one file');
    assert.equal(await page.locator('#max-steps').count(), 0, 'no steps to cap');
    await page.getByRole('button', { name: 'Start job' }).click();
    await page.locator('#data-file-error').waitFor();
    assert.equal(await page.locator('#data-file').getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#params-json-error').innerText(), /^temperature: must be/, 'the bad temperature, named, next to the editor');
    assert.match(await page.locator('.error[role=alert]').innerText(), /params\.data_file/);
    assert.match(await page.locator('.error[role=alert]').innerText(), /params\.temperature/);
    assert.match(page.url(), /#\/jobs\/new$/);
    await shot(page, 'batch-inference-refused');
    assert.deepEqual(await accessibilityProblems(page), [], 'axe on the batch-inference form with errors');
  });

  it('answers a file of queries: progress to SUCCEEDED, the answers file listed and written', async () => {
    await fillForm({ output: 'predictions/browser-test.jsonl', edit: (p) => Object.assign(p, { max_new_tokens: 8, seed: 42, temperature: 0.7 }) });
    await page.getByRole('button', { name: 'Start job' }).click();
    await page.waitForURL(/#\/jobs\/job-[0-9a-f]+$/);
    jobId = decodeURIComponent(new URL(page.url()).hash.replace('#/jobs/', ''));
    await page.waitForSelector('section.job[data-state="SUCCEEDED"]', LONG);
    const bar = page.locator('section.job > .progress [role=progressbar]');
    assert.equal(await bar.getAttribute('aria-valuenow'), '100');
    assert.equal(await bar.getAttribute('aria-valuetext'), '100% (query 3 of 3)');
    await page.locator('ul.artifacts').getByText('predictions/browser-test.jsonl', { exact: true }).waitFor();
    assert.match(await page.locator('#metrics-title + table').innerText(), /tokens_per_second/);
    await page.locator('details > summary', { hasText: 'Parameters' }).click();
    const params = JSON.parse(await page.locator('pre.params').innerText());
    assert.equal(params.data_file, QUERIES);
    assert.equal(params.max_new_tokens, 8);
    await shot(page, 'batch-inference');
    assert.deepEqual(await accessibilityProblems(page), [], 'axe on a finished batch-inference job');

    if (STORAGE) {
      const lines = readFileSync(join(STORAGE, 'predictions/browser-test.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(lines.length, 3, 'one answer a query, in input order');
      assert.equal(lines[0].Input, 'What is a fever?');
      assert.equal(lines[2].Input, 'What helps a headache?', 'a {"messages"} line shows its last user turn');
      for (const line of lines) assert.equal(typeof line.Output, 'string');
    }
  });

  it('lists the job under the batch-inference type filter', async () => {
    await page.goto('#/jobs');
    await page.getByLabel('Type').selectOption('batch-inference');
    await page.locator(`tr[data-job-id="${jobId}"] .badge.state-succeeded`).waitFor(LONG);
    // the list before the filter holds the other tests' training jobs; wait for the filtered one
    await page.waitForFunction(() => {
      const types = [...document.querySelectorAll('table.jobs tbody tr[data-job-id] td[data-label="Type"]')].map((t) => t.textContent);
      return types.length > 0 && types.every((t) => t === 'batch-inference');
    }, null, LONG);
    assert.equal(
      await page.locator(`tr[data-job-id="${jobId}"] [role=progressbar]`).getAttribute('aria-valuetext'),
      '100% (query 3 of 3)',
    );
    await shot(page, 'jobs-batch-inference');
    assert.deepEqual(page.problems.filter((p) => !p.includes('Failed to load resource')), [], 'no script errors');
  });
});
