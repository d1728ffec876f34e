// Debian's Chromium driven by playwright-core (which never downloads a browser), headless, with the
// flags that keep it off the network: the tests reach only the gateway under test.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const BASE_URL = process.env.MMGPT_URL ?? 'http://127.0.0.1:8080/';
export const SHOTS = process.env.MMGPT_SCREENSHOTS ?? 'target/screenshots';
const EXECUTABLE = process.env.CHROMIUM ?? '/usr/bin/chromium';

export async function launch() {
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: EXECUTABLE,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-default-apps',
      '--disable-extensions',
    ],
  });
}

/**
 * A page of the gateway's web app; every console error, failed page load and request that leaves
 * the gateway (a CDN, a font service) is recorded in page.problems, and the tests check it.
 */
export async function openPage(browser, { width = 1280, height = 900, mobile = false } = {}) {
  const context = await browser.newContext({
    baseURL: BASE_URL,
    viewport: { width, height },
    isMobile: mobile,
    hasTouch: mobile,
    deviceScaleFactor: 1,
  });
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') page.problems.push(`console error: ${m.text()}`);
  });
  const gateway = new URL(BASE_URL).origin;
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (/^(https?|wss?):$/.test(url.protocol) && url.origin !== gateway) page.problems.push(`request outside the gateway: ${r.url()}`);
  });
  return page;
}

export async function shot(page, name) {
  const path = join(SHOTS, `${name}.png`);
  // transitions finished, so a bar shows the width it has, not one on its way there
  await page.screenshot({ path, fullPage: true, animations: 'disabled' });
  return path;
}

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's WCAG 2.1 A/AA checks on what the page shows now: the violations, as readable lines. */
export async function accessibilityProblems(page) {
  await page.addScriptTag({ content: AXE });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
  return result;
}
