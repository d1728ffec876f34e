// The jobs dashboard in a real browser against the real gateway, Kafka and workers (started by
// browser-tests' BrowserIT): jobs started through the form, followed live, cancelled, failed,
// refused, listed; a pipeline with its stages; SSE and its polling fallback; accessibility checks.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { accessibilityProblems, launch, openPage, shot } from './browser.mjs';
import { API_KEY, setApiKey } from './keys.mjs';

const MODEL = process.env.MMGPT_E2E_MODEL ?? 'models/micro';
const BAD_DATA = process.env.MMGPT_E2E_BAD_DATA ?? 'data/bad-sft';
const LONG = { timeout: 180_000 };

let browser;
let page;
const jobs = {};
const apiCalls = [];

before(async () => {
  browser = await launch();
  page = await openPage(browser);
  await page.goto('#/jobs');
  await setApiKey(page);
  // from here on, every call to the API should carry the key
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.startsWith('/v1/')) apiCalls.push({ url: r.url(), auth: r.headers().authorization });
  });
});

after(async () => {
  await browser?.close();
});

/** Fills the start-a-job form and submits it; returns the new job's id from the page it lands on. */
async function startJob(p, type, { model, data, maxSteps, edit }) {
  await p.goto('#/jobs/new');
  await p.getByRole('radio', { name: new RegExp(`^${type} —`) }).check();
  if (model !== undefined) await p.getByLabel('Base model (model_name_or_path)').fill(model);
  if (data !== undefined) await p.getByLabel('Training data (train_file_dir)').fill(data);
  if (maxSteps !== undefined) await p.locator('#max-steps').fill(String(maxSteps));
  if (edit) {
    const area = p.getByLabel('Other parameters (JSON; the seed’s defaults)');
    const params = JSON.parse(await area.inputValue());
    edit(params);
    await area.fill(JSON.stringify(params, null, 2));
  }
  await p.getByRole('button', { name: 'Start job' }).click();
  await p.waitForURL(/#\/jobs\/job-[0-9a-f]+$/);
  return decodeURIComponent(new URL(p.url()).hash.replace('#/jobs/', ''));
}

function stateIs(p, state, options = LONG) {
  return p.waitForSelector(`section.job[data-state="${state}"]`, options);
}

async function noAccessibilityProblems(p, where) {
  const problems = await accessibilityProblems(p);
  assert.deepEqual(problems, [], `axe on ${where}`);
}

/** The page's own numbers: state, progress bar, points on each chart. */
function readJobPage(p) {
  return p.evaluate(() => {
    const bar = document.querySelector('section.job > .progress [role=progressbar]');
    const points = {};
    for (const f of document.querySelectorAll('figure.chart')) points[f.id] = Number(f.dataset.points);
    return {
      state: document.querySelector('section.job')?.dataset.state,
      percent: bar ? Number(bar.getAttribute('aria-valuenow')) : null,
      progressText: bar?.getAttribute('aria-valuetext') ?? '',
      live: document.querySelector('.live')?.textContent ?? '',
      points,
    };
  });
}

describe('jobs dashboard', () => {
  it('starts a pipeline from the form with the seed defaults, stages capped at 3 steps', async () => {
    jobs.pipeline = await startJob(page, 'pipeline', {
      model: MODEL,
      maxSteps: 3,
      edit(params) {
        // the seed's stage settings, shrunk to the micro model so the whole pipeline takes seconds
        Object.assign(params.pt, { block_size: 64, per_device_train_batch_size: 2, logging_steps: 1, gradient_checkpointing: false });
        Object.assign(params.sft, { model_max_length: 64, per_device_train_batch_size: 2, logging_steps: 1, gradient_checkpointing: false });
        Object.assign(params.dpo, { max_source_length: 48, max_target_length: 32, logging_steps: 1, gradient_checkpointing: false });
      },
    });
    await page.waitForSelector('#stages-title');
    assert.equal(await page.locator('ol.stages > li').count(), 6, 'pt, merge, sft, merge, dpo, merge');
  });

  it('starts a tiny pt job and draws its progress and loss curve live as the events arrive', async () => {
    jobs.pt = await startJob(page, 'pt', {
      model: MODEL,
      data: 'data/pretrain',
      maxSteps: 16,
      edit(params) {
        Object.assign(params, {
          block_size: 64, per_device_train_batch_size: 2, logging_steps: 1, eval_steps: 6,
          validation_split_percentage: 10, max_eval_samples: 4, learning_rate: 1e-3, gradient_checkpointing: false,
        });
      },
    });
    // While it runs: a part-filled bar, a live stream, and a loss curve that grows.
    await page.waitForFunction(() => {
      const job = document.querySelector('section.job');
      const bar = job?.querySelector(':scope > .progress [role=progressbar]');
      const loss = document.querySelector('#chart-loss');
      const percent = Number(bar?.getAttribute('aria-valuenow'));
      return job?.dataset.state === 'RUNNING' && percent > 0 && percent < 100 && Number(loss?.dataset.points) >= 3;
    }, null, LONG);
    const running = await readJobPage(page);
    assert.equal(running.live, 'Live', 'followed over server-sent events');
    assert.match(running.progressText, /step \d+ of 16/);
    assert.match(await page.locator('dl.facts').innerText(), /ETA\s+(\S.* left|estimating…)/);
    await shot(page, 'job-running');
    await page.waitForFunction((n) => Number(document.querySelector('#chart-loss')?.dataset.points) > n, running.points['chart-loss'], LONG);

    await stateIs(page, 'SUCCEEDED');
    const done = await readJobPage(page);
    assert.equal(done.percent, 100);
    assert.ok(done.points['chart-loss'] >= 5, `loss and eval_loss points: ${JSON.stringify(done.points)}`);
    assert.ok(done.points['chart-learning-rate'] >= 3, 'a learning-rate curve');
    await page.getByRole('figure', { name: 'Loss' }).getByText('eval_loss').waitFor();
    assert.match(await page.locator('#metrics-title + table').innerText(), /loss/);
    await page.locator('ul.artifacts').getByText(`adapters/${jobs.pt}`).waitFor();
    await shot(page, 'job-succeeded');
    await noAccessibilityProblems(page, 'a finished job with curves');
  });

  it('shows why a job failed: the file and line of the bad record', async () => {
    jobs.failed = await startJob(page, 'sft', { model: MODEL, data: BAD_DATA, maxSteps: 2 });
    await stateIs(page, 'FAILED');
    const error = await page.locator('#job-error').innerText();
    assert.match(error, /Why it failed/);
    assert.match(error, /a\.jsonl:2/);
    await shot(page, 'job-failed');
  });

  it('names every field the gateway refuses, next to the field, and starts nothing', async () => {
    await page.goto('#/jobs/new');
    await page.getByRole('radio', { name: /^pt —/ }).check();
    await page.getByLabel('Base model (model_name_or_path)').fill('models/no-such-model');
    await page.locator('#max-steps').fill('-3');
    await page.getByRole('button', { name: 'Start job' }).click();
    await page.locator('#max-steps-error').waitFor();
    assert.equal(await page.locator('#max-steps').getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#model-error').innerText(), /.+/);
    assert.match(await page.locator('.error[role=alert]').innerText(), /params\.max_steps/);
    assert.match(page.url(), /#\/jobs\/new$/);
    await shot(page, 'new-job-refused');
    await noAccessibilityProblems(page, 'the form with errors');
  });

  it('follows a running job by polling when its event stream is refused, and cancels it', async () => {
    jobs.cancelled = await startJob(page, 'pt', {
      model: MODEL,
      data: 'data/pretrain',
      maxSteps: 100000,
      edit(params) {
        Object.assign(params, { block_size: 64, per_device_train_batch_size: 2, logging_steps: 1, gradient_checkpointing: false });
      },
    });
    // A second tab whose network refuses event streams (a proxy that cuts them, say).
    const polling = await openPage(browser);
    await polling.route('**/v1/jobs/*/events', (route) => route.abort('connectionrefused'));
    await polling.goto('#/jobs');
    await setApiKey(polling);
    await polling.goto(`#/jobs/${jobs.cancelled}`);
    await polling.waitForFunction(() => document.querySelector('.live')?.textContent === 'Polling', null, LONG);
    const step = async () => Number((await readJobPage(polling)).progressText.match(/step (\d+)/)?.[1] ?? 0);
    await polling.waitForFunction(() => /step [1-9]/.test(document.querySelector('section.job > .progress [role=progressbar]')?.getAttribute('aria-valuetext') ?? ''), null, LONG);
    const first = await step();
    await polling.waitForFunction(
      (n) => Number((document.querySelector('section.job > .progress [role=progressbar]')?.getAttribute('aria-valuetext') ?? '').match(/step (\d+)/)?.[1] ?? 0) > n,
      first,
      LONG,
    );
    assert.ok((await readJobPage(polling)).points['chart-loss'] >= 2, 'the loss curve grows from polled snapshots');
    await shot(polling, 'job-polling');

    // The list shows it running: its state, how far it is and an ETA, refreshed as it goes.
    await page.goto('#/jobs');
    await page.locator(`tr[data-job-id="${jobs.cancelled}"] .badge.state-running`).waitFor(LONG);
    await page.waitForFunction((id) => {
      const row = document.querySelector(`tr[data-job-id="${id}"]`);
      const bar = row?.querySelector('[role=progressbar]');
      const eta = row?.querySelector('td[data-label="ETA"]')?.textContent ?? '';
      return /step [1-9]/.test(bar?.getAttribute('aria-valuetext') ?? '') && /\S left$|estimating…/.test(eta);
    }, jobs.cancelled, LONG);
    await shot(page, 'jobs-running');
    await page.goto(`#/jobs/${jobs.cancelled}`);

    await stateIs(page, 'RUNNING');
    await page.getByRole('button', { name: 'Cancel job' }).click();
    await page.getByRole('button', { name: 'Yes, cancel it' }).click();
    await stateIs(page, 'CANCELLED');
    await stateIs(polling, 'CANCELLED');
    assert.equal(await page.getByRole('button', { name: 'Cancel job' }).count(), 0, 'no cancel button on an ended job');
    await shot(page, 'job-cancelled');
    assert.deepEqual(polling.problems.filter((p) => !p.includes('Failed to load resource')), []);
    await polling.context().close();
  });

  it('shows the pipeline stages to the end, and a DPO stage with its reward curves', async () => {
    await page.goto(`#/jobs/${jobs.pipeline}`);
    await stateIs(page, 'SUCCEEDED', { timeout: 300_000 });
    await page.waitForFunction(() => document.querySelectorAll('ol.stages .badge.state-succeeded').length === 6, null, LONG);
    await page.locator('ul.artifacts').getByText(`models/${jobs.pipeline}`).waitFor();
    await shot(page, 'pipeline');
    await noAccessibilityProblems(page, 'a finished pipeline');

    await page.getByRole('link', { name: `${jobs.pipeline}-5-dpo` }).click();
    await stateIs(page, 'SUCCEEDED');
    await page.locator('#chart-rewards').waitFor();
    const dpo = await readJobPage(page);
    assert.ok(dpo.points['chart-rewards'] >= 3, `reward curves: ${JSON.stringify(dpo.points)}`);
    await shot(page, 'pipeline-dpo-stage');
  });

  it('lists every job with its state and progress, filters by state, and reads on a phone', async () => {
    await page.goto('#/jobs');
    for (const [name, state] of [['pt', 'SUCCEEDED'], ['failed', 'FAILED'], ['cancelled', 'CANCELLED'], ['pipeline', 'SUCCEEDED']]) {
      const row = page.locator(`tr[data-job-id="${jobs[name]}"]`);
      await row.locator(`.badge.state-${state.toLowerCase()}`).waitFor();
    }
    assert.equal(await page.locator(`tr[data-job-id="${jobs.pt}"] [role=progressbar]`).getAttribute('aria-valuenow'), '100');
    await shot(page, 'jobs');
    await noAccessibilityProblems(page, 'the jobs list');

    await page.getByLabel('State').selectOption('FAILED');
    await page.waitForFunction(() => [...document.querySelectorAll('table.jobs tbody tr')].every((r) => r.querySelector('.badge')?.textContent === 'FAILED'));
    assert.ok(await page.locator(`tr[data-job-id="${jobs.failed}"]`).isVisible());

    const phone = await openPage(browser, { width: 390, height: 844, mobile: true });
    await phone.goto('#/jobs');
    await setApiKey(phone);
    await phone.locator(`tr[data-job-id="${jobs.pt}"]`).waitFor();
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no sideways scrolling on a phone (${overflow}px too wide)`);
    await shot(phone, 'jobs-phone');
    await phone.goto(`#/jobs/${jobs.pt}`);
    await phone.locator('#chart-loss').waitFor();
    assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth));
    await shot(phone, 'job-phone');
    await phone.context().close();
  });

  it('works from the keyboard: skip link, navigation, and the form', async () => {
    await page.goto('#/jobs');
    await page.locator('h1').waitFor();
    await page.keyboard.press('Tab');
    let reached = false;
    for (let i = 0; i < 12 && !reached; i++) {
      reached = (await page.evaluate(() => document.activeElement?.textContent)) === 'Start a job';
      if (!reached) await page.keyboard.press('Tab');
    }
    assert.ok(reached, 'Tab reaches "Start a job"');
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/jobs\/new$/);
    // focus moves to the new page's heading, so the next Tab starts there
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1' && document.activeElement.textContent === 'Start a job');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'type', 'then the type radios');
    assert.deepEqual(page.problems.filter((p) => !p.includes('Failed to load resource')), [], 'no script errors');
  });

  it('sent the API key with every API call when one is set', () => {
    assert.ok(apiCalls.length > 20, `API calls seen: ${apiCalls.length}`);
    for (const call of apiCalls) assert.equal(call.auth, API_KEY ? `Bearer ${API_KEY}` : undefined, call.url);
  });
});
